"""Query filters that refuse what the database cannot take: a date-time filter held to
``core.bounds`` (an unparsable value, a UTC offset beyond ±15:59 or a year out of range is a 400
naming the parameter, not a database error), an id filter within the id column's range, and a
filter set that refuses a parameter given blank where the schema wants a value (a date-time, an
id, one of a list), instead of ignoring it."""

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from core.bounds import BIGINT_MAX, validate_moment, validate_utc_offset


class BoundedIsoDateTimeField(IsoDateTimeField):
    default_error_messages = {"invalid": "Enter an ISO 8601 date-time, e.g. 2026-01-31T09:00:00Z."}

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None:
            validate_utc_offset(moment)
            validate_moment(moment)
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time from 2000 to before 2100 with a UTC offset within ±15:59."""

    field_class = BoundedIsoDateTimeField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number from 1 to the id column's maximum."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class StrictFilterSet(django_filters.FilterSet):
    """A filter set whose non-text parameters, when given, must have a value."""

    def is_valid(self):
        valid = super().is_valid()
        for name, query_filter in self.filters.items():
            if isinstance(query_filter, django_filters.CharFilter) or self.data.get(name, None) != "":
                continue
            self.form.add_error(name, "Give a value, or leave the parameter out.")
            valid = False
        return valid
