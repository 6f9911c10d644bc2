"""Carrier tracking webhooks, stored like every other payload and processed here: the carrier
account's adapter (``intake.carriers``) parses the body into events, which
``carrier_events_receive`` maps to statuses and records (deduped, never backwards). An event is
matched to its shipment by tracking number under the account's carrier, or under the carrier the
payload names when it names one (AfterShip's ``msg.slug``: one account, many carriers)."""

from intake.models import CarrierAccount
from intake.sources.base import IntakeAdapter, IntakeRejected, Issue, Outcome, register


@register
class CarrierWebhookAdapter(IntakeAdapter):
    kind = "carrier"

    def process(self, *, record, actor):
        from intake.carriers import get_adapter as carrier_adapter
        from intake.services import carrier_events_receive

        account = CarrierAccount.objects.filter(carrier=record.carrier).first()
        if account is None:
            raise IntakeRejected([Issue("carrier", "unknown_carrier", f"no carrier account {record.carrier!r}")])
        try:
            events = carrier_adapter(account.adapter).parse_webhook(record.payload)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise IntakeRejected([Issue("events", "carrier_format", f"{exc.__class__.__name__}: {exc}")]) from exc
        counts = carrier_events_receive(account=account, events=events, actor=f"carrier:{account.carrier}")
        warnings = (
            [
                Issue(
                    "tracking_number",
                    "unknown_shipment",
                    f"{counts['unknown_shipment']} event(s) for tracking numbers Waypost does not know",
                )
            ]
            if counts["unknown_shipment"]
            else []
        )
        return Outcome(warnings=warnings, result=counts)

    def impact(self, *, record):
        return {"in_transit": True}
