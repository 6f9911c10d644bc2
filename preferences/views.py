"""The customer's preference page, opened from the signed link in every message.

For now it shows who the link is for (name, language, masked contact points) in the brand's
colours; the full preference center (channels per type, quiet hours, digest) comes later.
A tampered or expired link gets a 400 page that shows no customer data.
"""
import re

from babel import Locale, UnknownLocaleError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

from .links import customer_for_token

_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_DEFAULT_COLORS = ("#1f4e79", "#f5a623")


def mask_email(email: str) -> str:
    """``maria.lopez@example.com`` -> ``m•••••••••@example.com``."""
    if not email or "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[0]}{'•' * max(len(local) - 1, 3)}@{domain}"


def mask_phone(phone: str) -> str:
    """``+14155550136`` -> ``+1 ••• ••• 0136`` style: keep the country prefix and the last 4 digits."""
    if not phone:
        return ""
    digits = phone.lstrip("+")
    keep = 4 if len(digits) > 6 else 2
    return f"+{digits[:1]}{'•' * (len(digits) - 1 - keep)}{digits[-keep:]}"


def language_name(tag: str) -> str:
    """``es-MX`` -> ``español (México)``: the language named in itself."""
    if not tag:
        return ""
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return tag
    return locale.get_display_name(locale) or tag


def _safe_color(value: str, default: str) -> str:
    # The colour goes into a style attribute: accept only a hex colour.
    return value if value and _HEX_COLOR.match(value) else default


def _no_store(response):
    # The URL is a bearer secret: don't cache the page or leak the URL to other sites.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def preference_page(request, token: str):
    customer = customer_for_token(token)
    if customer is None:
        return _no_store(render(request, "preferences/invalid_link.html", status=400))
    brand = customer.brand
    language = customer.language or brand.default_language or "en"
    context = {
        "customer": customer,
        "brand": brand,
        "html_lang": language,
        "primary_color": _safe_color(brand.primary_color, _DEFAULT_COLORS[0]),
        "accent_color": _safe_color(brand.accent_color, _DEFAULT_COLORS[1]),
        "language_name": language_name(language),
        "masked_email": mask_email(customer.email),
        "masked_phone": mask_phone(customer.phone),
    }
    with translation.override(language.split("-")[0]):
        response = render(request, "preferences/page.html", context)
    return _no_store(response)
