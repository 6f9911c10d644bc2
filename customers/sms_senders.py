"""Numeric-only SMS sender countries, enforced when senders are configured.

In some countries carriers take no letters sender ("NORTHWIND"): a text there must come from a
phone number, or the provider refuses it (Twilio: error 21212, invalid 'From'). Which countries
those are is ``SMS_NUMERIC_SENDER_COUNTRIES`` (default below, with its sources). A brand texts the
countries in its ``sms_countries`` (every country when empty); for each numeric-only one among
them it needs a number: ``SMS_SENDER_NUMBERS`` for that country, else its own
``sms_sender_number``. A brand that would send letters there is refused in its admin form
(``Brand.clean``), and a settings-level sender that is not a phone number stops startup (the
system check below, also run by ``CustomersConfig.ready``)."""

import re

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError

from customers.validators import normalize_phone, validate_country

# SMS_NUMERIC_SENDER_COUNTRIES' default (config/settings.py), US,CA,PR,VI,GU,AS,MP, is where
# carriers accept numeric senders only: the United States and Canada (Twilio's country
# guidelines, twilio.com/guidelines/us/sms and /ca/sms, "Alphanumeric: Not Supported"; Vonage's
# "United States SMS Features and Restrictions": "Alphanumeric sender ID is not allowed in
# US/CA") and the US territories on the same North American numbering plan and carriers:
# Puerto Rico, the US Virgin Islands, Guam, American Samoa, the Northern Mariana Islands.


NUMERIC_SENDER = re.compile(r"\+?[0-9]{3,15}")


def numeric_only_countries() -> list[str]:
    return [c.strip().upper() for c in settings.SMS_NUMERIC_SENDER_COUNTRIES if c.strip()]


def parse_countries(value: str) -> list[str]:
    """``"us, mx"`` -> ``["US", "MX"]``; raises ValidationError naming a code that is not ISO 3166."""
    return [validate_country(code.strip()) for code in (value or "").split(",") if code.strip()]


def _is_number(value: str) -> bool:
    """A numeric sender: a phone number or a short code (digits, an optional leading +)."""
    return NUMERIC_SENDER.fullmatch((value or "").strip()) is not None


def _is_e164(value: str) -> bool:
    try:
        return value.strip().startswith("+") and bool(normalize_phone(value))
    except ValidationError:
        return False


def brand_sender_problems(*, sms_sender_id: str, sms_sender_number: str, sms_countries: str) -> list[str]:
    """What is wrong with a brand's SMS senders, one sentence per numeric-only country it texts
    that would get its letters sender; empty when nothing is."""
    if not sms_sender_id or _is_number(sms_sender_id) or _is_number(sms_sender_number or ""):
        return []  # a number sends everywhere; a brand with no letters sender sends no letters
    numbers = {k.upper(): v for k, v in settings.SMS_SENDER_NUMBERS.items()}
    texted = parse_countries(sms_countries)
    problems = []
    for country in numeric_only_countries():
        if texted and country not in texted:
            continue
        if _is_number(numbers.get(country, "")):
            continue
        problems.append(
            f"SMS to {country} may only come from a phone number, not '{sms_sender_id}' "
            f"(SMS_NUMERIC_SENDER_COUNTRIES): set the SMS sender number, or SMS_SENDER_NUMBERS for {country}"
            + ("" if texted else ", or list the countries this brand texts in SMS countries")
            + "."
        )
    return problems


def brand_validate_senders(brand) -> None:
    """Raise ValidationError (by field, for the admin form) when ``brand``'s senders break the rule."""
    errors = {}
    if brand.sms_sender_number and not _is_e164(brand.sms_sender_number):
        errors["sms_sender_number"] = [f"'{brand.sms_sender_number}' is not a phone number in +E.164 form."]
    try:
        parse_countries(brand.sms_countries)
    except ValidationError as exc:
        errors["sms_countries"] = exc.messages
    if not errors:
        problems = brand_sender_problems(
            sms_sender_id=brand.sms_sender_id,
            sms_sender_number=brand.sms_sender_number,
            sms_countries=brand.sms_countries,
        )
        if problems:
            errors["sms_sender_number"] = problems
    if errors:
        raise ValidationError(errors)


@checks.register("sms")
def check_sender_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Startup: every numeric-only country is an ISO code, every settings-level sender a number."""
    errors = []
    for code in settings.SMS_NUMERIC_SENDER_COUNTRIES:
        try:
            validate_country(code.strip())
        except ValidationError:
            errors.append(
                checks.Error(
                    f"SMS_NUMERIC_SENDER_COUNTRIES: '{code}' is not an ISO 3166-1 alpha-2 country code.",
                    id="customers.E001",
                )
            )
    numeric_only = set(numeric_only_countries())
    for country, sender in settings.SMS_SENDER_NUMBERS.items():
        if _is_number(str(sender)):
            continue
        why = (
            f"SMS to {country.upper()} may only come from a phone number"
            if country.upper() in numeric_only
            else "it must be a phone number"
        )
        errors.append(
            checks.Error(
                f"SMS_SENDER_NUMBERS: the sender for {country.upper()} is '{sender}', {why} (+E.164, or a short code).",
                hint=f"Set SMS_SENDER_NUMBERS={country.upper()}=+<number> (e.g. {country.upper()}=+12025550100).",
                id="customers.E002",
            )
        )
    return errors
