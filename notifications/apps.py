from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_catalogue(sender, **kwargs):
    from notifications.catalogue import ensure_catalogue

    ensure_catalogue()


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from notifications import receivers

        receivers.connect()
        # The shipped catalogue (types, rules, default templates) is data, installed after migrate.
        post_migrate.connect(_install_catalogue, sender=self, dispatch_uid="notifications.catalogue")
        # Email: provider webhooks (anymail's tracking signal) and a startup check that the chosen
        # ESP has its required settings (anymail names the missing one).
        from notifications import webhooks_email
        from notifications.channels.email import check_email_configuration

        webhooks_email.connect()
        check_email_configuration()
        # SMS: every provider SMS_ROUTES (or SMS_PROVIDER / WHATSAPP_PROVIDER) names must be configured.
        from notifications.channels.routing import check_providers

        check_providers()
