"""Customer services: create or update a customer by their id in a sales channel."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.transitions import audit

from .models import Customer, CustomerIdentity
from .validators import normalize_phone, validate_country, validate_language, validate_time_zone

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
        audit(obj=customer, action="created", actor=actor, data={"channel": sales_channel.slug, "external_id": external_id})
        return customer, True


def customer_update(*, customer: Customer, data: dict, actor: str = "", _cleaned: bool = False) -> Customer:
    cleaned = data if _cleaned else _clean(data, country_hint=customer.country)
    changed = {k: v for k, v in cleaned.items() if getattr(customer, k) != v}
    if not changed:
        return customer
    for k, v in changed.items():
        setattr(customer, k, v)
    customer.save(update_fields=[*changed, "updated_at"])
    audit(obj=customer, action="updated", actor=actor, data={"fields": sorted(changed)})
    return customer


def consent_set(*, customer: Customer, channel: str, state: str, source: str, actor: str = "",
                type_key: str = "", delivery_id: int | None = None, notification_id: int | None = None,
                reference: str = "") -> bool:
    """Set a customer's consent for a whole channel (``type_key`` empty: ``ChannelConsent``, the
    legal one) or for one notification type on it (``TypePreference``; state ``opted_in`` /
    ``opted_out``), and append the change to the consent log. Returns whether anything changed."""
    from .models import ChannelConsent, ConsentLog, TypePreference

    with transaction.atomic():
        if type_key:
            row, _ = TypePreference.objects.select_for_update().get_or_create(
                customer=customer, type_key=type_key, channel=channel, defaults={"enabled": True})
            old = ChannelConsent.State.OPTED_IN if row.enabled else ChannelConsent.State.OPTED_OUT
            if old == state:
                return False
            row.enabled = state == ChannelConsent.State.OPTED_IN
            row.save(update_fields=["enabled", "updated_at"])
        else:
            row = ChannelConsent.objects.select_for_update().filter(customer=customer, channel=channel).first()
            old = row.state if row else ""  # no row: never asked, which is not an opt-out
            if old == state:
                return False
            try:
                with transaction.atomic():
                    ChannelConsent.objects.update_or_create(customer=customer, channel=channel,
                                                            defaults={"state": state, "source": source})
            except IntegrityError:  # a concurrent first write; ours wins after it
                ChannelConsent.objects.filter(customer=customer, channel=channel).update(state=state, source=source)
        ConsentLog.objects.create(customer=customer, channel=channel, type_key=type_key, old_state=old,
                                  new_state=state, source=source, actor=actor[:120], delivery_id=delivery_id,
                                  notification_id=notification_id, reference=reference[:200])
    return True
