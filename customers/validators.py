"""Validation and normalisation of contact data: E.164 phones, BCP 47 languages, IANA zones."""

import functools
import zoneinfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError


def normalize_phone(raw: str, country: str = "") -> str:
    """Return ``raw`` in E.164, reading national numbers in ``country``; raise on an invalid one."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"'{raw}' is not a phone number ({exc._msg}). Use international format, e.g. +14155550123."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"'{raw}' is not a valid phone number"
            + (f" for {country.upper()}" if country and not raw.startswith("+") else "")
            + ". Use international format, e.g. +14155550123."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_language(tag: str) -> str:
    """Return the canonical BCP 47 form of ``tag`` (``es-mx`` -> ``es-MX``); raise if unknown."""
    try:
        locale = Locale.parse(tag.replace("_", "-"), sep="-")
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise ValidationError(f"'{tag}' is not a known language tag (BCP 47, e.g. 'en', 'es-MX').") from exc
    # Babel falls back on likely subtags ('und' and 'en-ZZ' both become 'en-US'): a region the
    # tag names must survive, and 'und' (undetermined) is not a language.
    parts = tag.replace("_", "-").split("-")
    region = next(
        (p.upper() for p in parts[1:] if (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit())), None
    )
    if parts[0].lower() == "und" or (region and locale.territory != region):
        raise ValidationError(f"'{tag}' is not a known language tag (BCP 47, e.g. 'en', 'es-MX').")
    return "-".join(p for p in (locale.language, locale.script, locale.territory) if p)


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The IANA zone names of this machine's tz database, read once per process
    (``available_timezones`` walks the tzdata directories: ~15 ms a call)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(name: str) -> str:
    if name not in known_time_zones():
        raise ValidationError(f"'{name}' is not an IANA time zone (e.g. 'America/Mexico_City').")
    return name


def validate_country(code: str) -> str:
    code = (code or "").upper()
    if code and code not in Locale("en").territories or (code and len(code) != 2):
        raise ValidationError(f"'{code}' is not an ISO 3166-1 alpha-2 country code (e.g. 'US').")
    return code
