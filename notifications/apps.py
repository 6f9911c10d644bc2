from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_catalogue(sender, **kwargs):
    from .catalogue import ensure_catalogue

    ensure_catalogue()


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import receivers

        receivers.connect()
        # The shipped catalogue (types, rules, default templates) is data, installed after migrate.
        post_migrate.connect(_install_catalogue, sender=self, dispatch_uid="notifications.catalogue")
