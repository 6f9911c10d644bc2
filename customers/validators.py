"""Validation and normalisation of contact data: E.164 phones, BCP 47 languages, IANA zones,
ISO 3166-1 countries and ISO 4217 currencies (both from the CLDR data babel ships, not a hand
list)."""

import datetime as dt
import functools
import zoneinfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies
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


@functools.cache
def known_languages() -> frozenset[str]:
    """The canonical BCP 47 tags of the locales babel's CLDR data has (``es-MX``, ``sr-Latn``):
    the tags ``validate_language`` gives back."""
    from babel.localedata import locale_identifiers

    tags = set()
    for identifier in locale_identifiers():
        try:
            tags.add(validate_language(identifier.replace("_", "-")))
        except ValidationError:
            continue
    return frozenset(tags)


def validate_time_zone(name: str) -> str:
    if name not in known_time_zones():
        raise ValidationError(f"'{name}' is not an IANA time zone (e.g. 'America/Mexico_City').")
    return name


@functools.cache
def known_countries() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of countries and territories in CLDR: two letters, with
    their own languages and currencies; not regions or groupings (``001``, ``150``, ``EU``,
    ``UN``), pseudo-regions (``XA``, ``XB``), ``ZZ`` (unknown) or codes CLDR retired (``YU``).
    ``XK`` (Kosovo) and the exceptionally reserved codes (``AC``, ``IC``, ``TA``) are in, as the
    shop platforms use them."""
    languages, currencies = get_global("territory_languages"), get_global("territory_currencies")
    retired = get_global("territory_aliases")
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in retired and languages.get(code) and code in currencies
    )


@functools.cache
def known_currencies() -> frozenset[str]:
    """The ISO 4217 codes of the currencies that are legal tender somewhere today (not ``XXX``,
    ``XTS``, precious metals or retired ones like ``DEM``), read once per process."""
    today = dt.date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, start_date=today, tender=True)
    )


def validate_country(code: str) -> str:
    """Return ``code`` upper-cased ("" stays ""); raise if it is not a country's ISO code."""
    upper = (code or "").strip().upper()
    if upper and upper not in known_countries():
        raise ValidationError(f"'{code}' is not an ISO 3166-1 alpha-2 country code (e.g. US, MX).", code="iso_3166_1")
    return upper


def validate_currency(code: str) -> str:
    """Return ``code`` upper-cased; raise if it is not a currency in use (ISO 4217)."""
    upper = (code or "").strip().upper()
    if upper not in known_currencies():
        raise ValidationError(f"'{code}' is not an ISO 4217 currency code in use (e.g. USD, JPY).", code="iso_4217")
    return upper
