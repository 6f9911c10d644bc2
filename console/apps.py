from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self):
        # The console's groups get the permissions of models added after their migration (roles.py).
        from console.roles import sync_after_migrate

        post_migrate.connect(sync_after_migrate, dispatch_uid="console.roles")
