"""Partner API shapes for customers: contact fields validated with the same rules the services
apply (E.164 phones, BCP 47 languages, IANA zones), so bad input is a 400 on the right field."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import PartnerChannelField

from .models import Customer
from .validators import normalize_phone, validate_country, validate_language, validate_time_zone


def _django_to_drf(func, value):
    try:
        return func(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


class ContactFieldsSerializer(serializers.Serializer):
    """The customer's contact fields; ``phone`` is read in ``country`` when not international."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                  help_text="International (+14155550123) or national with `country`; stored in E.164.")
    language = serializers.CharField(max_length=16, required=False, allow_blank=True, help_text="BCP 47, e.g. es-MX")
    time_zone = serializers.CharField(max_length=64, required=False, help_text="IANA, e.g. America/Mexico_City")
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2")

    def validate_language(self, value):
        return _django_to_drf(validate_language, value) if value else value

    def validate_time_zone(self, value):
        return _django_to_drf(validate_time_zone, value)

    def validate_country(self, value):
        return _django_to_drf(validate_country, value)

    def validate(self, attrs):
        if attrs.get("phone"):
            instance_country = getattr(self.instance, "country", "") if isinstance(self.instance, Customer) else ""
            country = attrs.get("country", instance_country)
            try:
                attrs["phone"] = normalize_phone(attrs["phone"], country)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"phone": exc.messages}) from exc
        return attrs


class CustomerUpsertSerializer(ContactFieldsSerializer):
    sales_channel = PartnerChannelField(help_text="Slug of one of your sales channels")
    external_id = serializers.CharField(max_length=120, help_text="The customer's id in that channel")
    tier = serializers.ChoiceField(choices=Customer._meta.get_field("tier").choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)


class CustomerUpdateSerializer(ContactFieldsSerializer):
    tier = serializers.ChoiceField(choices=Customer._meta.get_field("tier").choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)


class CustomerIdentitySerializer(serializers.Serializer):
    sales_channel = serializers.CharField(source="sales_channel.slug")
    external_id = serializers.CharField()


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as a partner sees it: only its identities in the partner's own channels."""

    identities = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "language", "time_zone", "country", "tier", "tags",
                  "identities", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(CustomerIdentitySerializer(many=True))
    def get_identities(self, customer):
        view = self.context.get("view")
        channel_ids = {c.pk for c in view.channels} if view else set()
        return CustomerIdentitySerializer(
            [i for i in customer.identities.all() if i.sales_channel_id in channel_ids], many=True
        ).data
