"""Signed, expiring links to a customer's preference page (no login: the link is the key)."""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Customer

SALT = "preferences"


def max_age() -> timedelta:
    return timedelta(days=settings.PREFERENCE_LINK_MAX_AGE_DAYS)


def preference_token_for(customer: Customer) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(customer.pk))


def preference_link_for(customer: Customer) -> str:
    """The absolute URL of ``customer``'s preference page, valid for ``max_age()``."""
    path = reverse("preferences:page", kwargs={"token": preference_token_for(customer)})
    return f"{settings.SITE_URL}{path}"


def customer_for_token(token: str) -> Customer | None:
    """The customer a token was signed for, or None if it is tampered, expired or unknown."""
    try:
        pk = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return Customer.objects.select_related("brand").filter(pk=pk).first()
