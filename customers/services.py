"""Customer services: create or update a customer by their id in a sales channel, with contact
data validated and normalised (E.164 phones, BCP 47 languages, IANA zones)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import AuditAction
from core.transitions import audit
from customers.models import Customer, CustomerIdentity
from customers.validators import (
    normalize_phone,
    validate_country,
    validate_language,
    validate_time_zone,
)

CONTACT_FIELDS = ("name", "email", "phone", "language", "time_zone", "country", "tier", "tags")


def _clean(data: dict, *, country_hint: str = "") -> dict:
    """Validate and normalise contact fields; raises ValidationError keyed by field."""
    cleaned, errors = {}, {}
    country = data.get("country", country_hint) or ""
    for field in CONTACT_FIELDS:
        if field not in data or data[field] is None:
            continue
        value = data[field]
        try:
            if field == "phone":
                value = normalize_phone(value, country)
            elif field == "language" and value:
                value = validate_language(value)
            elif field == "time_zone":
                value = validate_time_zone(value)
            elif field == "country":
                value = validate_country(value)
        except ValidationError as exc:
            errors[field] = exc.messages
            continue
        cleaned[field] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def customer_upsert(*, sales_channel, external_id: str, data: dict, actor: str = "") -> tuple[Customer, bool]:
    """Create the customer known as ``external_id`` in ``sales_channel``, or update it.

    Returns ``(customer, created)``. Safe under concurrent calls: the identity's unique
    constraint decides which call creates.
    """
    cleaned = _clean(data)
    with transaction.atomic():
        identity = (
            CustomerIdentity.objects.select_for_update()
            .select_related("customer")
            .filter(sales_channel=sales_channel, external_id=external_id)
            .first()
        )
        if identity:
            return customer_update(customer=identity.customer, data=cleaned, actor=actor, _cleaned=True), False
        try:
            with transaction.atomic():
                customer = Customer.objects.create(brand_id=sales_channel.brand_id, **cleaned)
                CustomerIdentity.objects.create(customer=customer, sales_channel=sales_channel, external_id=external_id)
        except IntegrityError:
            identity = CustomerIdentity.objects.select_related("customer").get(
                sales_channel=sales_channel, external_id=external_id
            )
            return customer_update(customer=identity.customer, data=cleaned, actor=actor, _cleaned=True), False
        audit(
            obj=customer,
            action=AuditAction.CREATED,
            actor=actor,
            data={"channel": sales_channel.slug, "external_id": external_id},
        )
        return customer, True


def customer_update(*, customer: Customer, data: dict, actor: str = "", _cleaned: bool = False) -> Customer:
    cleaned = data if _cleaned else _clean(data, country_hint=customer.country)
    changed = {k: v for k, v in cleaned.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for k, v in changed.items():
        setattr(customer, k, v)
    customer.save(update_fields=[*changed, "updated_at"])
    audit(obj=customer, action=AuditAction.UPDATED, actor=actor, data={"fields": sorted(changed)})
    return customer
