from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_catalogue(sender, **kwargs):
    from catalogue.shipped import ensure_catalogue

    ensure_catalogue()


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Message catalogue"

    def ready(self):
        # The shipped catalogue (types, rules, the copy files) is data: installed by its data migration
        # and by install_catalogue, and what is missing after every migrate (a flushed test database).
        post_migrate.connect(_install_catalogue, sender=self, dispatch_uid="catalogue.shipped")
