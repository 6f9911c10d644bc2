"""The Celery application: configured from Django settings (CELERY_*), tasks autodiscovered."""
import os

from celery import Celery

from .broker import register as register_filesystem_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
register_filesystem_broker()

app = Celery("waypost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
