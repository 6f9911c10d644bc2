"""Reads of a customer's reachability: which channels may carry a notification type, and why not."""
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import ChannelConsent, Customer, CustomerIdentity, TypePreference


def customers_for_channels(*, channels) -> QuerySet[Customer]:
    """Customers a partner may see: those with an identity or an order in one of ``channels``."""
    from orders.models import Order

    in_channels = Q(pk__in=CustomerIdentity.objects.filter(sales_channel__in=channels).values("customer_id"))
    ordered = Q(pk__in=Order.objects.filter(sales_channel__in=channels).values("customer_id"))
    return Customer.objects.filter(in_channels | ordered)


@dataclass(frozen=True)
class ChannelVerdict:
    channel: str
    allowed: bool
    reason: str = ""  # why not: no_contact, no_consent, opted_out_type


def _address(customer: Customer, channel: str) -> str:
    if channel == "email":
        return customer.email
    if channel in ("sms", "whatsapp"):
        return customer.phone
    if channel == "push":
        return "push"  # push reachability is decided by the push provider (subscriptions)
    return ""


def channel_verdicts(*, customer: Customer, type_key: str, critical: bool, channels: list[str]) -> list[ChannelVerdict]:
    """For each of ``channels`` in order: may this customer be sent ``type_key`` on it?

    Channel consent (law) beats everything; a per-type opt-out is ignored for critical types.
    """
    opted_out = set(
        ChannelConsent.objects.filter(customer=customer, state=ChannelConsent.State.OPTED_OUT)
        .values_list("channel", flat=True)
    )
    type_off = set(
        TypePreference.objects.filter(customer=customer, type_key=type_key, enabled=False).values_list("channel", flat=True)
    )
    verdicts = []
    for channel in channels:
        if not _address(customer, channel):
            verdicts.append(ChannelVerdict(channel, False, "no_contact"))
        elif channel in opted_out:
            verdicts.append(ChannelVerdict(channel, False, "no_consent"))
        elif channel in type_off and not critical:
            verdicts.append(ChannelVerdict(channel, False, "opted_out_type"))
        else:
            verdicts.append(ChannelVerdict(channel, True))
    return verdicts


def address_for(*, customer: Customer, channel: str) -> str:
    return _address(customer, channel)
