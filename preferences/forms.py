"""The preference center's form: every choice a customer can make, built from the notification
catalogue (categories, types, which are critical) and turned into ``preferences_save`` data."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from catalogue.models import NotificationType
from catalogue.rendering import TEMPLATE_LANGUAGES
from customers.validators import known_time_zones
from preferences.selectors import CHANNELS

CHANNEL_LABELS = {"email": _("Email"), "sms": _("SMS"), "whatsapp": _("WhatsApp"), "push": _("Push notifications")}
CATEGORY_LABELS = {
    "shipping": _("Orders and shipping"),
    "backorder": _("Backorders"),
    "returns": _("Returns and refunds"),
}
TYPE_LABELS = {
    "order_confirmed": _("Order confirmed"),
    "shipment_shipped": _("Shipped"),
    "shipment_in_transit": _("In transit"),
    "shipment_out_for_delivery": _("Out for delivery"),
    "shipment_delivered": _("Delivered"),
    "shipment_exception": _("Delivery problem or delay"),
    "order_backordered": _("Item backordered"),
    "back_in_stock": _("Back in stock"),
    "return_approved": _("Return approved"),
    "return_rejected": _("Return rejected"),
    "return_label_issued": _("Return label ready"),
    "return_received": _("Return received"),
    "return_inspected": _("Return inspected"),
    "refund_processed": _("Refund processed"),
    "return_resolved": _("Return closed"),
    # not choices (no category of the center), but listed under "What we sent you"
    "preference_link": _("Link to your preferences"),
    "sms_reply": _("Answer to your message"),
}
RHYTHM_CHOICES = [("instant", _("As it happens")), ("daily", _("One daily digest"))]


def center_languages() -> list[tuple[str, str]]:
    """The UI's languages that also have message templates."""
    return [(code, name) for code, name in settings.LANGUAGES if code in TEMPLATE_LANGUAGES]


def center_types() -> dict[str, list[NotificationType]]:
    """Notification types by category, in journey order (digests are not a choice)."""
    grouped: dict[str, list[NotificationType]] = {}
    for ntype in NotificationType.objects.exclude(category=NotificationType.Category.DIGEST).order_by(
        "category", "position"
    ):
        grouped.setdefault(ntype.category, []).append(ntype)
    return {c: grouped[c] for c in CATEGORY_LABELS if c in grouped}


def _zones():
    return sorted(known_time_zones() - {"Factory", "localtime"})


class PreferenceCenterForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"))
    time_zone = forms.ChoiceField(label=_("Time zone"))
    quiet_enabled = forms.BooleanField(label=_("Hold messages during quiet hours"), required=False)
    quiet_start = forms.TimeField(label=_("Quiet from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_end = forms.TimeField(label=_("Quiet until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    digest_hour = forms.TypedChoiceField(
        label=_("Send my daily digest at"), coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)]
    )

    def __init__(self, *args, types: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = types
        self.fields["language"].choices = center_languages()
        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in _zones()]
        order_choices = [("", _("(none)"))] + [(c, CHANNEL_LABELS[c]) for c in CHANNELS]
        for rank in range(1, len(CHANNELS) + 1):
            self.fields[f"order_{rank}"] = forms.ChoiceField(
                choices=order_choices, required=False, label=_("Choice %(rank)s") % {"rank": rank}
            )
        for channel in CHANNELS:
            self.fields[f"consent_{channel}"] = forms.BooleanField(required=False, label=CHANNEL_LABELS[channel])
            self.fields[f"quiet_{channel}"] = forms.BooleanField(required=False, label=CHANNEL_LABELS[channel])
        for category, ntypes in types.items():
            self.fields[f"rhythm_{category}"] = forms.ChoiceField(
                choices=RHYTHM_CHOICES, widget=forms.RadioSelect, label=CATEGORY_LABELS[category]
            )
            for ntype in ntypes:
                for channel in CHANNELS:
                    self.fields[f"type_{ntype.key}_{channel}"] = forms.BooleanField(
                        required=False,
                        disabled=ntype.critical,
                        label=f"{TYPE_LABELS.get(ntype.key, ntype.name)}: {CHANNEL_LABELS[channel]}",
                    )

    @staticmethod
    def initial_for(*, customer, prefs, types, consents: dict, type_prefs: dict) -> dict:
        language = (customer.language or customer.brand.default_language or "en").split("-")[0].lower()
        initial = {
            "language": language if language in TEMPLATE_LANGUAGES else "en",
            "time_zone": customer.time_zone or "UTC",
            "quiet_enabled": prefs.quiet_hours_enabled,
            "quiet_start": prefs.quiet_start,
            "quiet_end": prefs.quiet_end,
            "digest_hour": prefs.digest_hour,
        }
        for rank, channel in enumerate(prefs.channel_order or [], start=1):
            initial[f"order_{rank}"] = channel
        for channel in CHANNELS:
            initial[f"consent_{channel}"] = consents.get(channel) != "opted_out"
            initial[f"quiet_{channel}"] = channel in (prefs.quiet_channels or [])
        for category, ntypes in types.items():
            initial[f"rhythm_{category}"] = prefs.rhythm_for(category)
            for ntype in ntypes:
                for channel in CHANNELS:
                    initial[f"type_{ntype.key}_{channel}"] = ntype.critical or type_prefs.get(
                        (ntype.key, channel), True
                    )
        return initial

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
        if cleaned.get("quiet_enabled") and isinstance(start, dt.time) and start == end:
            self.add_error("quiet_end", _("Quiet hours need an end time different from the start."))
        return cleaned

    def to_data(self) -> dict:
        """The cleaned form as ``preferences_save`` data."""
        c = self.cleaned_data
        order = [c[f"order_{rank}"] for rank in range(1, len(CHANNELS) + 1) if c.get(f"order_{rank}")]
        return {
            "language": c["language"],
            "time_zone": c["time_zone"],
            "channels": {ch: c[f"consent_{ch}"] for ch in CHANNELS},
            "types": {
                t.key: {ch: c[f"type_{t.key}_{ch}"] for ch in CHANNELS}
                for ntypes in self.types.values()
                for t in ntypes
                if not t.critical
            },
            "channel_order": list(dict.fromkeys(order)),
            "quiet_hours": {
                "enabled": c["quiet_enabled"],
                "start": c["quiet_start"],
                "end": c["quiet_end"],
                "channels": [ch for ch in CHANNELS if c[f"quiet_{ch}"]],
            },
            "rhythm": {cat: c[f"rhythm_{cat}"] for cat in self.types},
            "digest_hour": c["digest_hour"],
        }
