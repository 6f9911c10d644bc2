"""Admin forms for the catalogue: a rule's event type, channel plan and conditions checked before
saving; a template checked in every language against the variables its notification type's
messages carry (an unknown variable is named, never found at send time)."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from catalogue.models import Rule, Template
from catalogue.services import TRANSLATED, template_check
from core.channels import Channel


def event_types() -> dict[str, set[str]]:
    """The events the domain signals produce, by subject: ``order.<status>``, ``shipment.<status>``,
    ``order_line.<backorder state>``, ``return.<status>``, ``stock.<threshold>`` and the
    customer's own requests (``customer.preference_link_requested``)."""
    from inventory.models import StockThreshold
    from orders.models import Order, OrderLine, Shipment
    from returns.models import ReturnRequest

    return {
        "order": set(Order.Status.values),
        "shipment": set(Shipment.Status.values),
        "order_line": set(OrderLine.Backorder.values),
        "return": set(ReturnRequest.Status.values),
        "stock": set(StockThreshold.values),
        "customer": {"preference_link_requested"},
    }


# --- Rules --------------------------------------------------------------------------------------

LIST_CONDITIONS = ("brands", "sales_channels", "countries", "customer_tags")
AMOUNT_CONDITIONS = ("min_order_value", "max_order_value")


def channel_plan_errors(channels) -> list[str]:
    known = Channel.values
    if not isinstance(channels, list) or not channels:
        return [f'Give a non-empty list of channels, in order, e.g. ["sms", "email"]; known: {", ".join(known)}.']
    errors = [f"Unknown channel {c!r}; known: {', '.join(known)}." for c in channels if c not in known]
    if len(set(map(str, channels))) != len(channels):
        errors.append("Each channel may appear once.")
    return errors


def condition_errors(conditions) -> list[str]:
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, dict):
        return ['Give an object, e.g. {"countries": ["US"], "min_order_value": "50"}.']
    errors = []
    for key, value in conditions.items():
        if key in LIST_CONDITIONS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                errors.append(f"{key!r} must be a list of strings.")
        elif key in AMOUNT_CONDITIONS:
            try:
                Decimal(str(value))
            except InvalidOperation:
                errors.append(f'{key!r} must be an amount, e.g. "50" or 49.90.')
        else:
            errors.append(f"Unknown condition {key!r}; known: {', '.join(LIST_CONDITIONS + AMOUNT_CONDITIONS)}.")
    low, high = conditions.get("min_order_value"), conditions.get("max_order_value")
    if not errors and low is not None and high is not None and Decimal(str(low)) > Decimal(str(high)):
        errors.append("min_order_value is above max_order_value.")
    return errors


class RuleAdminForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = "__all__"

    def clean_event_type(self):
        value = self.cleaned_data["event_type"].strip()
        subject, _, status = value.partition(".")
        known = event_types()
        if subject not in known:
            raise ValidationError(f"Start with one of {', '.join(sorted(known))} and a dot, e.g. shipment.delivered.")
        if status not in known[subject]:
            raise ValidationError(f"'{subject}' events are: {', '.join(sorted(known[subject]))}.")
        return value

    def clean_channels(self):
        channels = self.cleaned_data.get("channels")
        errors = channel_plan_errors(channels)
        if errors:
            raise ValidationError(errors)
        return channels

    def clean_conditions(self):
        conditions = self.cleaned_data.get("conditions")
        errors = condition_errors(conditions)
        if errors:
            raise ValidationError(errors)
        return conditions or {}


# --- Templates ----------------------------------------------------------------------------------


class TemplateAdminForm(forms.ModelForm):
    """Every translated field (``subject_en`` ... ``link_de``) is checked as ``template_save``
    checks it (``template_check``): against the snapshot of its notification type and the
    channel's rules; each error lands on its own field and names the variable or the rule."""

    class Meta:
        model = Template
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        ntype = cleaned.get("notification_type") or (
            instance.notification_type if instance.notification_type_id else None
        )
        channel = cleaned.get("channel") or instance.channel
        if ntype is None or not channel:
            return cleaned
        try:
            template_check(
                notification_type=ntype,
                channel=channel,
                data={name: cleaned.get(name) or "" for name in TRANSLATED if name in self.fields},
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned
