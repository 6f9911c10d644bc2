"""Serializer fields that hold what enters the API to ``core.bounds`` and return what the schema
promises: text that is a string, booleans that are booleans, bounded dates and date-times, wall-clock times as ``HH:MM``, links and email
addresses that are ``null`` rather than blank, and lists of items whose length errors sit on the list's path."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from core.bounds import validate_day, validate_moment, validate_utc_offset

HOUR_MINUTE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _checked(check, value, **kwargs):
    try:
        return check(value, **kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages, code=exc.code) from exc


class MomentField(serializers.DateTimeField):
    """An ISO 8601 date-time from 2000 to before 2100 with a UTC offset within ±15:59;
    ``past=True`` for a moment that already happened (at most a day after now)."""

    def __init__(self, *, past: bool = False, **kwargs):
        self.past = past
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        # Checked on the value as sent, before it is moved to UTC (year 1 at +05:00 cannot be).
        _checked(validate_utc_offset, value)
        _checked(validate_moment, value, past=self.past)
        return super().enforce_timezone(value)


class DayField(serializers.DateField):
    """An ISO 8601 date from 2000-01-01 to 2099-12-31."""

    def to_internal_value(self, value):
        return _checked(validate_day, super().to_internal_value(value))


@extend_schema_field({"type": "string", "pattern": HOUR_MINUTE.pattern, "example": "22:00"})
class HourMinuteField(serializers.TimeField):
    """A wall-clock time as ``HH:MM`` (24-hour), read and written the same way."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("input_formats", ["%H:%M"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not HOUR_MINUTE.match(value):
            raise serializers.ValidationError("Use HH:MM (24-hour), e.g. 22:00.", code="invalid")
        return super().to_internal_value(value)


class TextField(serializers.CharField):
    """Text as the schema says it: a JSON string. A number or ``true`` where text belongs is
    refused, not turned into ``"0"`` (DRF's ``CharField`` would)."""

    default_error_messages = {"invalid": "Give text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false``, as the schema says; ``0``, ``"yes"`` or ``"true"`` are refused (DRF's
    ``BooleanField`` would read them)."""

    default_error_messages = {"invalid": "Give true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class OptionalURLField(serializers.URLField):
    """A read-only link: ``null`` when there is none (a blank column), never ``""``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


@extend_schema_field(
    {"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}], "nullable": True}
)
class OptionalEmailField(serializers.EmailField):
    """An email address a customer may not have: an address, or ``""``/``null`` to have none in;
    the address or ``null`` out, never ``""``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        return "" if value is None else value

    def to_representation(self, value):
        return value or None


class ItemsListSerializer(serializers.ListSerializer):
    """A list of nested items whose own errors (too few, too many, not a list) are said on the
    list's path (``lines``), not under ``lines.non_field_errors``, and whose length bounds the
    schema shows (``minItems``, ``maxItems``). Set it as the item serializer's
    ``Meta.list_serializer_class``."""

    def get_validators(self):
        # Already enforced by ``to_internal_value``; as validators the schema carries them.
        bounds = [MinLengthValidator(self.min_length)] if self.min_length is not None else []
        bounds += [MaxLengthValidator(self.max_length)] if self.max_length is not None else []
        return [*super().get_validators(), *bounds]

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            key = api_settings.NON_FIELD_ERRORS_KEY
            if isinstance(exc.detail, dict) and list(exc.detail) == [key]:
                raise serializers.ValidationError(exc.detail[key]) from exc
            raise
