"""Partner API shapes for customers: contact fields validated with the same rules the services
apply (E.164 phones, BCP 47 languages, IANA zones), so bad input is a 400 on the right field."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import HourMinuteField, MomentField, OptionalEmailField, StrictBooleanField, TextField
from customers.models import Customer
from customers.serializers import ContactFieldsSerializer, LanguageField, TimeZoneField
from partners.fields import PartnerChannelField
from preferences.selectors import CHOICE_CATEGORIES


class CustomerUpsertSerializer(ContactFieldsSerializer):
    sales_channel = PartnerChannelField(help_text="Slug of one of your sales channels")
    external_id = TextField(max_length=120, help_text="The customer's id in that channel")
    tier = serializers.ChoiceField(choices=Customer._meta.get_field("tier").choices, required=False)
    tags = serializers.ListField(child=TextField(max_length=50), required=False, max_length=50)


class CustomerUpdateSerializer(ContactFieldsSerializer):
    tier = serializers.ChoiceField(choices=Customer._meta.get_field("tier").choices, required=False)
    tags = serializers.ListField(child=TextField(max_length=50), required=False, max_length=50)


class CustomerIdentitySerializer(serializers.Serializer):
    sales_channel = TextField(source="sales_channel.slug")
    external_id = TextField()


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as a partner sees it: only its identities in the partner's own channels."""

    email = OptionalEmailField(read_only=True)
    identities = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "language",
            "time_zone",
            "country",
            "tier",
            "tags",
            "identities",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CustomerIdentitySerializer(many=True))
    def get_identities(self, customer):
        view = self.context.get("view")
        channel_ids = {c.pk for c in view.channels} if view else set()
        return CustomerIdentitySerializer(
            [i for i in customer.identities.all() if i.sales_channel_id in channel_ids], many=True
        ).data


# --- Preferences (issue 6) -------------------------------------------------------------------------

CHANNEL_CHOICES = ["email", "sms", "whatsapp", "push"]


class QuietHoursSerializer(serializers.Serializer):
    enabled = StrictBooleanField(required=False)
    start = HourMinuteField(required=False)
    end = HourMinuteField(required=False)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=CHANNEL_CHOICES), required=False)


class PushStateSerializer(serializers.Serializer):
    active = serializers.BooleanField(read_only=True)
    live_subscriptions = serializers.IntegerField(read_only=True)
    app_seen_at = serializers.DateTimeField(read_only=True, allow_null=True)


CHANNEL_SWITCHES = {
    "type": "object",
    "properties": {channel: {"type": "boolean"} for channel in CHANNEL_CHOICES},
    "additionalProperties": False,
}


@extend_schema_field(CHANNEL_SWITCHES)
class ChannelSwitchesField(serializers.DictField):
    """On or off per channel: ``{"sms": false}``."""

    def __init__(self, **kwargs):
        super().__init__(child=StrictBooleanField(), **kwargs)


@extend_schema_field(
    {
        "type": "object",
        "properties": {category: {"type": "string", "enum": ["instant", "daily"]} for category in CHOICE_CATEGORIES},
        "additionalProperties": False,
    }
)
class RhythmField(serializers.DictField):
    """Instant or daily per category: ``{"shipping": "daily"}``."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=["instant", "daily"]), **kwargs)


class TypeSwitchesField(serializers.DictField):
    """On or off per notification type and channel: ``{"shipment_shipped": {"sms": false}}``."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.DictField(child=StrictBooleanField()), **kwargs)


def choosable_type_keys() -> list[str]:
    from catalogue.models import NotificationType

    return sorted(NotificationType.objects.filter(category__in=CHOICE_CATEGORIES).values_list("key", flat=True))


class TypeSwitchesSchema(OpenApiSerializerFieldExtension):
    """The schema lists the types a customer may choose, as the catalogue has them when it is read."""

    target_class = TypeSwitchesField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":  # what the customer has, types the catalogue may since have retired
            return {"type": "object", "additionalProperties": CHANNEL_SWITCHES}
        keys = choosable_type_keys()
        return {"type": "object", "properties": dict.fromkeys(keys, CHANNEL_SWITCHES), "additionalProperties": False}


class PreferencesSerializer(serializers.Serializer):
    """A customer's preferences. On PUT every key is optional: what is sent is changed, the rest
    kept. Critical types cannot be switched off (ignored); consent changes are logged (source api)."""

    language = LanguageField(required=False, allow_blank=True, help_text="BCP 47, e.g. es-MX; blank: the brand's")
    time_zone = TimeZoneField(required=False, help_text="IANA, e.g. Europe/Paris")
    channels = ChannelSwitchesField(
        required=False,
        help_text='Whole-channel consent: {"sms": false} stops every SMS',
    )
    types = TypeSwitchesField(
        required=False,
        help_text='Per type and channel: {"shipment_shipped": {"sms": false}}',
    )
    critical_types = serializers.ListField(child=TextField(), read_only=True)
    channel_order = serializers.ListField(
        child=serializers.ChoiceField(choices=CHANNEL_CHOICES), required=False, max_length=4
    )
    quiet_hours = QuietHoursSerializer(required=False)
    rhythm = RhythmField(required=False)
    digest_hour = serializers.IntegerField(min_value=0, max_value=23, required=False)
    push = PushStateSerializer(read_only=True)

    def validate_channels(self, value):
        unknown = set(value) - set(CHANNEL_CHOICES)
        if unknown:
            raise serializers.ValidationError(f"Unknown channels: {', '.join(sorted(unknown))}")
        return value

    def validate_types(self, value):
        known = set(choosable_type_keys())
        errors = [f"unknown type {k}" for k in value if k not in known]
        errors += [f"{k}: unknown channel {c}" for k, by in value.items() for c in by if c not in CHANNEL_CHOICES]
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate_rhythm(self, value):
        unknown = set(value) - set(CHOICE_CATEGORIES)
        if unknown:
            raise serializers.ValidationError(f"Unknown categories: {', '.join(sorted(unknown))}")
        return value


class AppPresenceSerializer(serializers.Serializer):
    seen_at = MomentField(past=True, required=False, help_text="When the app saw the device; default now")
