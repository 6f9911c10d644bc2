"""The customer's contact fields as the partner API reads them, validated with the same rules the
services apply (E.164 phones, BCP 47 languages, IANA zones): bad input is a 400 on the right
field. Used wherever a customer comes in (the customers and orders APIs)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from customers.models import Customer
from customers.validators import normalize_phone, validate_country, validate_language, validate_time_zone


def _django_to_drf(func, value):
    try:
        return func(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


class ContactFieldsSerializer(serializers.Serializer):
    """The customer's contact fields; ``phone`` is read in ``country`` when not international."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="International (+14155550123) or national with `country`; stored in E.164.",
    )
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
