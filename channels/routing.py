"""SMS routing: the ordered providers for a destination country (``SMS_ROUTES``, written
``US,CA=twilio,vonage;*=vonage,twilio``), the provider for the n-th attempt (a failed attempt moves
to the next provider of the route), the sender per country, and the startup check that every
routed provider is configured."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT = "*"


def parse_routes(spec: str) -> dict[str, list[str]]:
    routes: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(";"))):
        countries, sep, providers = part.partition("=")
        names = [n.strip().lower() for n in providers.split(",") if n.strip()]
        if not sep or not names:
            raise ImproperlyConfigured(f"SMS_ROUTES: '{part}' is not COUNTRIES=provider[,provider...]")
        for country in countries.split(","):
            routes[country.strip().upper() or DEFAULT] = names
    return routes


def country_of(number: str) -> str:
    try:
        return (
            phonenumbers.region_code_for_number(phonenumbers.parse(number if number.startswith("+") else f"+{number}"))
            or ""
        )
    except phonenumbers.NumberParseException:
        return ""


def sms_route(to: str) -> list[str]:
    """The providers to try for an SMS to ``to``, in order."""
    routes = parse_routes(settings.SMS_ROUTES)
    if not routes:
        return [settings.WAYPOST_PROVIDERS.get("sms", "sandbox")]
    country = country_of(to)
    return routes.get(country) or routes.get(DEFAULT) or [settings.WAYPOST_PROVIDERS.get("sms", "sandbox")]


def sms_provider_name(to: str, *, attempt_number: int = 1) -> str:
    route = sms_route(to)
    return route[(max(attempt_number, 1) - 1) % len(route)]


def provider_configured(name: str) -> str:
    """Empty when ``name`` can send; otherwise what is missing."""
    if name == "sandbox":
        return ""
    if name == "vonage":
        missing = [v for v in ("VONAGE_API_KEY", "VONAGE_API_SECRET") if not getattr(settings, v)]
    elif name == "twilio":
        missing = [v for v in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not getattr(settings, v)]
    else:
        return f"unknown provider '{name}' (known: sandbox, vonage, twilio)"
    return f"set {', '.join(missing)}" if missing else ""


def check_providers() -> None:
    """Stop startup when SMS_ROUTES or a channel's provider names one that is not configured."""
    problems = []
    try:
        routes = parse_routes(settings.SMS_ROUTES)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(str(exc)) from None
    named = {name: f"SMS_ROUTES ({countries})" for countries, names in routes.items() for name in names}
    for channel in ("sms", "whatsapp"):
        name = settings.WAYPOST_PROVIDERS.get(channel, "sandbox")
        named.setdefault(name, f"{channel.upper()}_PROVIDER")
    for name, where in named.items():
        missing = provider_configured(name)
        if missing:
            problems.append(f"{where} names '{name}': {missing}")
    if problems:
        raise ImproperlyConfigured("SMS providers are not configured: " + "; ".join(problems))


def sms_sender(*, country: str, sender_id: str, sender_number: str) -> str:
    """Alphanumeric sender id where the country allows it; a number where it does not
    (``SMS_NUMERIC_SENDER_COUNTRIES``: brands are held to having one there, customers.sms_senders)."""
    country = (country or "").upper()
    number = settings.SMS_SENDER_NUMBERS.get(country) or sender_number
    if country in settings.SMS_NUMERIC_SENDER_COUNTRIES:
        return number or sender_id
    return sender_id or number
