"""The message channels Waypost can reach a customer on (shared by every app)."""

from django.db import models


class Channel(models.TextChoices):
    """The ways Waypost can reach a customer."""

    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    PUSH = "push", "Push"
