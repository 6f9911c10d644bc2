"""The customer's contact fields as the partner API reads them, validated with the same rules the
services apply (E.164 phones, BCP 47 languages, IANA zones, ISO countries and currencies): bad
input is a 400 on the right field. Used wherever a customer, an address, a country or a currency
comes in (the customers, orders and products APIs)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from core.api.fields import OptionalEmailField, TextField
from customers.models import Customer
from customers.validators import (
    known_countries,
    known_currencies,
    known_languages,
    known_time_zones,
    normalize_phone,
    validate_country,
    validate_currency,
    validate_language,
    validate_time_zone,
)


def _django_to_drf(func, value):
    try:
        return func(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages, code=getattr(exc, "code", None)) from exc


class _CodeField(serializers.ChoiceField):
    """One code of a standard list, taken in any case and stored upper-case; the schema lists them."""

    codes: frozenset[str] = frozenset()
    check = staticmethod(lambda value: value)

    def __init__(self, **kwargs):
        super().__init__(choices=sorted(self.codes), **kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return _django_to_drf(self.check, data)


class CountryField(_CodeField):
    """An ISO 3166-1 alpha-2 country code (``MX``, ``JP``), from babel's CLDR data."""

    codes = known_countries()
    check = staticmethod(validate_country)


class CurrencyField(_CodeField):
    """An ISO 4217 code of a currency in use (``USD``, ``JPY``), from babel's CLDR data."""

    codes = known_currencies()
    check = staticmethod(validate_currency)


class LanguageField(_CodeField):
    """A BCP 47 language tag babel's CLDR data knows (``en``, ``es-MX``), in any case or with
    ``_``; stored in its canonical form."""

    codes = known_languages()
    check = staticmethod(validate_language)


class TimeZoneField(_CodeField):
    """An IANA time zone name of the tz database (``America/Mexico_City``)."""

    codes = known_time_zones()
    check = staticmethod(validate_time_zone)


class AddressSerializer(serializers.Serializer):
    """A postal address in one shape wherever it comes from (the partner API, shop webhooks,
    marketplace reports). Every part is optional; a key not listed here is refused."""

    name = TextField(max_length=200, required=False, allow_blank=True)
    company = TextField(max_length=200, required=False, allow_blank=True)
    line1 = TextField(max_length=200, required=False, allow_blank=True)
    line2 = TextField(max_length=200, required=False, allow_blank=True)
    city = TextField(max_length=120, required=False, allow_blank=True)
    region = TextField(max_length=120, required=False, allow_blank=True, help_text="State or province")
    postal_code = TextField(max_length=20, required=False, allow_blank=True)
    country = CountryField(required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2")
    phone = TextField(max_length=40, required=False, allow_blank=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                message = f"Not a part of an address; use {', '.join(self.fields)}."
                raise serializers.ValidationError({key: [message] for key in unknown}, code="unknown_part")
            # A part sent as null is a part left out, as shops send them.
            data = {key: value for key, value in data.items() if value is not None}
        values = super().to_internal_value(data)
        return {key: value for key, value in values.items() if value != ""}


class AddressSchema(OpenApiSerializerExtension):
    """The schema says what ``AddressSerializer`` does: no part beyond the listed ones."""

    target_class = AddressSerializer

    def map_serializer(self, auto_schema, direction):
        return {**super().map_serializer(auto_schema, direction), "additionalProperties": False}


class ContactFieldsSerializer(serializers.Serializer):
    """The customer's contact fields; ``phone`` is read in ``country`` when not international."""

    name = TextField(max_length=200, required=False, allow_blank=True)
    email = OptionalEmailField()
    phone = TextField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="International (+14155550123) or national with `country`; stored in E.164.",
    )
    language = LanguageField(required=False, allow_blank=True, help_text="BCP 47, e.g. es-MX")
    time_zone = TimeZoneField(required=False, help_text="IANA, e.g. America/Mexico_City")
    country = CountryField(required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2")

    def validate(self, attrs):
        if attrs.get("phone"):
            instance_country = getattr(self.instance, "country", "") if isinstance(self.instance, Customer) else ""
            country = attrs.get("country", instance_country)
            try:
                attrs["phone"] = normalize_phone(attrs["phone"], country)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"phone": exc.messages}) from exc
        return attrs
