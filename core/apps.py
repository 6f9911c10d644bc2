from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"

    def ready(self):
        # The console's groups get the permissions of models added after their migration (core/roles.py).
        from core.roles import sync_after_migrate

        post_migrate.connect(sync_after_migrate, dispatch_uid="core.roles")
