from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from notifications import receivers, tasks  # noqa: F401  (tasks: registered with Celery, for queueing)

        receivers.connect()
