"""Signed, expiring links to a customer's preference page (no login: the link is the key)."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from customers.models import Customer

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


# --- Short links for SMS, and the customer behind an expired link --------------------------------

SHORT_CODE_BYTES = 6  # 8 URL-safe characters


def short_preference_link_for(customer: Customer) -> str:
    """``SITE_URL/p/s/<code>/``: short enough for an SMS, resolving to a fresh signed link. One
    code per customer is reused while it is younger than half the link lifetime."""
    import secrets

    from django.db import IntegrityError
    from django.utils import timezone

    from preferences.models import ShortLink

    fresh_since = timezone.now() - max_age() / 2
    link = ShortLink.objects.filter(customer=customer, created_at__gte=fresh_since).order_by("-id").first()
    while link is None:
        try:
            link = ShortLink.objects.create(customer=customer, code=secrets.token_urlsafe(SHORT_CODE_BYTES))
        except IntegrityError:  # a code collision: draw again
            link = None
    return f"{settings.SITE_URL}{reverse('preferences:short', kwargs={'code': link.code})}"


def customer_for_short_code(code: str) -> Customer | None:
    from django.utils import timezone

    from preferences.models import ShortLink

    link = (
        ShortLink.objects.select_related("customer__brand")
        .filter(code=code, created_at__gte=timezone.now() - max_age())
        .first()
    )
    return link.customer if link else None


def customer_for_expired_token(token: str) -> Customer | None:
    """The customer of a genuine link that has only expired (its signature checks out); None for
    a tampered or unknown one, which is never resolved to anybody."""
    try:
        pk = signing.TimestampSigner(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Customer.objects.select_related("brand").filter(pk=pk).first()
