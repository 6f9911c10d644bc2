"""Rendering templates for one customer: the context (snapshot + recipient + links + values
formatted for the customer's locale with babel), the Django template engines, and the static
check that a template only uses variables its notification type's snapshot has."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, Variable
from django.template.defaulttags import ForNode, WithNode

from catalogue import snapshots
from catalogue.shipped import context_parts

TEXT_ENGINE = Engine(autoescape=False, libraries={})
HTML_ENGINE = Engine(autoescape=True, libraries={})
TEMPLATE_LANGUAGES = ("en", "es", "fr", "de")
ALWAYS = ("brand", "customer", "links", "event", "from_status", "to_status")


@dataclass
class Rendered:
    subject: str = ""
    preheader: str = ""
    body_text: str = ""
    body_html: str = ""
    link: str = ""


def babel_locale(language: str) -> str:
    return (language or "en").replace("-", "_")


def _money(value, currency, locale):
    try:
        return format_currency(Decimal(str(value)), currency or "USD", locale=locale)
    except (InvalidOperation, TypeError, ValueError):
        return ""


def _date(value, locale, tz, with_time=False):
    if not value:
        return ""
    if len(value) == 10:
        return format_date(dt.date.fromisoformat(value), format="long", locale=locale)
    moment = dt.datetime.fromisoformat(value).astimezone(tz)
    if with_time:
        return format_datetime(moment, format="medium", locale=locale)
    return format_date(moment.date(), format="full", locale=locale)


def localize(context: dict, *, language: str, time_zone: str) -> dict:
    """Add ``*_display`` values (money and dates in the customer's locale and time zone)."""
    locale = babel_locale(language)
    try:
        tz = zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    order = context.get("order")
    currency = (order or {}).get("currency") or (context.get("product") or {}).get("currency") or "USD"
    if order:
        order = context["order"] = dict(order)
        order["total_display"] = _money(order.get("total"), currency, locale)
        order["subtotal_display"] = _money(order.get("subtotal"), currency, locale)
        order["placed_at_display"] = _date(order.get("placed_at"), locale, tz)
        order["lines"] = [
            dict(ln, unit_price_display=_money(ln.get("unit_price"), currency, locale)) for ln in order.get("lines", [])
        ]
    if context.get("line"):
        line = context["line"] = dict(context["line"])
        line["unit_price_display"] = _money(line.get("unit_price"), currency, locale)
    if context.get("shipment"):
        shipment = context["shipment"] = dict(context["shipment"])
        shipment["estimated_delivery_display"] = _date(shipment.get("estimated_delivery"), locale, tz)
    if context.get("return"):
        ret = context["return"] = dict(context["return"])
        ret["refund_estimate_display"] = _money(ret.get("refund_estimate"), currency, locale)
        ret["refund_amount_display"] = _money(ret.get("refund_amount"), currency, locale)
    if context.get("product"):
        product = context["product"] = dict(context["product"])
        product["price_display"] = _money(product.get("price"), product.get("currency") or currency, locale)
        product["restock_eta_display"] = _date(product.get("restock_eta"), locale, tz)
    return context


def build_context(*, payload: dict, customer_snapshot: dict, language: str, links: dict) -> dict:
    context = dict(payload)
    context["customer"] = customer_snapshot
    context["links"] = links
    return localize(context, language=language, time_zone=customer_snapshot.get("time_zone") or "UTC")


def sample_links() -> dict:
    # The same keys as compose.message_links(), so templates are checked against what messages carry.
    return {
        "preferences": "https://waypost.example/p/sample/",
        "preferences_short": "https://waypost.example/p/s/sample/",
        "unsubscribe": "https://waypost.example/u/sample/",
        "tracking": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "reschedule": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    }


def sample_context_for(type_key: str, category: str, language: str = "en") -> dict:
    full = snapshots.sample_context()
    allowed = set(ALWAYS) | set(context_parts(type_key, category))
    payload = {k: v for k, v in full.items() if k in allowed}
    return build_context(payload=payload, customer_snapshot=full["customer"], language=language, links=sample_links())


@lru_cache(maxsize=2048)
def _compiled(source: str, html: bool):
    """A template source compiled once per process (an edit is a new source, so a new entry)."""
    return (HTML_ENGINE if html else TEXT_ENGINE).from_string(source)


def render_string(source: str, context: dict, *, html: bool = False) -> str:
    if not source:
        return ""
    return _compiled(source, html).render(Context(context, autoescape=html)).strip()


def render_template(template, *, language: str, context: dict) -> Rendered:
    """Render ``template`` in ``language`` (falling back to English per field)."""

    def field(name):
        return getattr(template, f"{name}_{language}", None) or getattr(template, f"{name}_en", None) or ""

    return Rendered(
        subject=render_string(field("subject"), context),
        preheader=render_string(field("preheader"), context),
        body_text=render_string(field("body_text"), context),
        body_html=render_string(field("body_html"), context, html=True),
        link=render_string(field("link"), context),
    )


# --- static check of the variables a template uses --------------------------------------------


def _walk(obj, seen, found, bound):
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, FilterExpression):
        _walk(obj.var, seen, found, bound)
        for _func, args in obj.filters:
            for _is_var, arg in args:
                _walk(arg, seen, found, bound)
        return
    if isinstance(obj, Variable):
        if obj.lookups:
            found.add(".".join(obj.lookups))
        return
    if isinstance(obj, ForNode):
        bound.update(obj.loopvars)
    if isinstance(obj, WithNode):
        bound.update(obj.extra_context)
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _walk(item, seen, found, bound)
        return
    if isinstance(obj, dict):
        for item in obj.values():
            _walk(item, seen, found, bound)
        return
    if isinstance(obj, Node) or hasattr(obj, "__dict__") and type(obj).__module__.startswith("django.template"):
        for value in vars(obj).values():
            _walk(value, seen, found, bound)


def variables_used(source: str) -> set[str]:
    """Dotted variable paths ``source`` reads (loop and ``with`` names excluded)."""
    found, bound = set(), {"forloop"}
    _walk(TEXT_ENGINE.from_string(source).nodelist, set(), found, bound)
    return {v for v in found if v.split(".")[0] not in bound}


def _resolves(path: str, context: dict) -> bool:
    value = context
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return True


def template_errors(
    sources: dict[str, str], *, type_key: str, category: str, channel: str = ""
) -> dict[str, list[str]]:
    """For each field source, the syntax errors and unknown variables; empty when all is well.
    With ``channel="sms"`` the SMS content rules apply to ``body_text*`` too."""
    if channel:
        return template_errors_for_channel(sources, type_key=type_key, category=category, channel=channel)
    context = sample_context_for(type_key, category)
    errors: dict[str, list[str]] = {}
    for name, source in sources.items():
        if not source:
            continue
        try:
            used = variables_used(source)
        except TemplateSyntaxError as exc:
            errors.setdefault(name, []).append(f"Template syntax error: {exc}")
            continue
        for path in sorted(used):
            if not _resolves(path, context):
                errors.setdefault(name, []).append(
                    f"Unknown variable '{{{{ {path} }}}}': '{type_key}' messages do not carry it."
                )
    return errors


# --- SMS content rules (checked when a template is saved) -------------------------------------

DEFAULT_PROHIBITED_SMS = (
    (
        r"\b(you(?:'ve| have)? won|winner|lottery|jackpot|claim your (?:prize|reward)|free (?:gift|prize))\b",
        "lottery or prize wording",
    ),
    (
        r"\b(cures?|miracle|weight loss|lose \d+ ?(?:lbs|kg|pounds)|prescription|viagra|guaranteed results)\b",
        "medical or health claims",
    ),
    (
        r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|t\.co|ow\.ly|is\.gd|buff\.ly|rebrand\.ly|cutt\.ly|shorturl\.at)/",
        "a public URL shortener (carriers filter them)",
    ),
)


def sms_rule_errors(source: str, *, type_key: str, category: str) -> list[str]:
    """Carrier and policy rules for SMS copy: at most ``SMS_MAX_SEGMENTS`` segments (rendered with
    the sample data), no prohibited content, the brand's name present."""
    import re

    from django.conf import settings

    from catalogue.sms_encoding import sms_stats

    errors = []
    rendered = render_string(source, sample_context_for(type_key, category))
    stats = sms_stats(rendered)
    if stats.segments > settings.SMS_MAX_SEGMENTS:
        forced = f" (UCS-2 because of {' '.join(stats.ucs2_forced_by)})" if stats.ucs2_forced_by else ""
        errors.append(
            f"Too long for SMS: {stats.characters} characters, {stats.encoding}{forced}, "
            f"{stats.segments} segments; at most {settings.SMS_MAX_SEGMENTS}."
        )
    patterns = [(p, "a prohibited pattern") for p in settings.SMS_PROHIBITED_PATTERNS] or list(DEFAULT_PROHIBITED_SMS)
    for pattern, what in patterns:
        found = re.search(pattern, f"{source}\n{rendered}", re.IGNORECASE)
        if found:
            errors.append(f"Prohibited content: '{found.group(0)}' ({what}).")
    if (
        "brand.name" not in source
        and (sample_context_for(type_key, category).get("brand") or {}).get("name", "") not in rendered
    ):
        errors.append("SMS must name the brand ({{ brand.name }}) so the customer knows who is texting.")
    return errors


def template_errors_for_channel(
    sources: dict[str, str], *, type_key: str, category: str, channel: str
) -> dict[str, list[str]]:
    """``template_errors`` plus the channel's own rules (SMS: segments, prohibited content, brand)."""
    errors = template_errors(sources, type_key=type_key, category=category)
    if channel != "sms":
        return errors
    for name, source in sources.items():
        if source and name.startswith("body_text") and name not in errors:
            for message in sms_rule_errors(source, type_key=type_key, category=category):
                errors.setdefault(name, []).append(message)
    return errors
