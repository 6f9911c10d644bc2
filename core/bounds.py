"""The bounds every value entering Waypost is held to, whatever the door (the partner API, shop
webhooks, marketplace reports): dates in a sane range, integers within their column and the
business's own limits. Each check raises Django's ``ValidationError`` with a message that names
the rule, so the API's error shape and the intake's dead letters say the same thing.

- Dates and date-times: from 2000-01-01 (no order, scan or stock date is older) to before
  2100-01-01; a moment that already happened (an order placed, a carrier scan) at most
  ``FUTURE_SLACK`` (a day: clocks and time zones disagree) after now; a UTC offset within
  ±15:59 (what ISO 8601 offsets and PostgreSQL allow).
- Integers: ``INT32_MAX`` for an ``IntegerField`` column, ``BIGINT_MAX`` for an id;
  ``MAX_LINE_QUANTITY`` units on one order, shipment or return line; ``MAX_STOCK`` units on hand,
  reserved or moved by one delta (so on hand plus a delta never leaves its column).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 1, 1)  # exclusive
FUTURE_SLACK = dt.timedelta(days=1)
MAX_UTC_OFFSET = dt.timedelta(hours=15, minutes=59)

INT32_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
MAX_LINE_QUANTITY = 100_000
MAX_STOCK = 1_000_000_000


def validate_day(value: dt.date) -> dt.date:
    """A calendar date from 2000-01-01 to 2099-12-31."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day < LATEST_DATE:
        raise ValidationError(
            f"{day.isoformat()} is out of range: dates run from {EARLIEST_DATE.isoformat()} to before "
            f"{LATEST_DATE.isoformat()}.",
            code="date_range",
        )
    return value


def validate_utc_offset(value: dt.datetime) -> dt.datetime:
    offset = value.utcoffset() if value.tzinfo else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError(
            f"The UTC offset {_offset(offset)} is out of range: at most ±15:59.", code="utc_offset_range"
        )
    return value


def validate_moment(value: dt.datetime, *, past: bool = False, now: dt.datetime | None = None) -> dt.datetime:
    """A date-time in the date range with a sane UTC offset; ``past`` for a moment that already
    happened (at most ``FUTURE_SLACK`` after ``now``)."""
    validate_utc_offset(value)
    validate_day(value)  # its own calendar date: converting year 1 to UTC could overflow
    if past:
        now = now or timezone.now()
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if aware > now + FUTURE_SLACK:
            raise ValidationError(
                f"{value.isoformat()} is in the future: a moment that already happened may be at most a day after now.",
                code="future",
            )
    return value


def in_bounds(value: dt.datetime | None, *, past: bool = False) -> bool:
    """Whether a date-time (``None`` is) passes ``validate_moment``: for sources whose bad
    values are skipped, not refused (a carrier's batch of scans)."""
    try:
        return value is None or bool(validate_moment(value, past=past))
    except ValidationError:
        return False


def _offset(offset: dt.timedelta) -> str:
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
