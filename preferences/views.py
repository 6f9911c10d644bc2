"""The preference center, opened from the signed link in every message (no login: the link is the
key): channels per type, channel order, language, quiet hours, digests, browser push, and what we
sent recently. Server-rendered and complete without JavaScript; the only script adds browser push.

A tampered or expired link gets a 400 page with no customer data, offering to send a fresh link
to the address already on file (never to one typed in).
"""

import re

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from core.api.errors import error_response
from core.guard import RequestRefused, json_body
from preferences.forms import CATEGORY_LABELS, CHANNEL_LABELS, TYPE_LABELS, PreferenceCenterForm, center_types
from preferences.links import (
    customer_for_expired_token,
    customer_for_short_code,
    customer_for_token,
    preference_token_for,
)
from preferences.models import ChannelConsent, PushSubscription, TypePreference
from preferences.selectors import CHANNELS, customer_zone, preferences_of
from preferences.services import preference_link_request, preferences_save, push_subscription_save
from preferences.vapid import vapid_public_key

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
    # same-origin, not no-referrer: the URL never goes to another site, and the page's own form
    # POSTs keep a real Origin header (no-referrer makes browsers send "Origin: null", which CSRF refuses).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _brand_context(brand) -> dict:
    return {
        "brand": brand,
        "primary_color": _safe_color(brand.primary_color, _DEFAULT_COLORS[0]),
        "accent_color": _safe_color(brand.accent_color, _DEFAULT_COLORS[1]),
    }


def _ui_language(customer) -> str:
    return (customer.language or customer.brand.default_language or "en").split("-")[0].lower()


STATUS_LABELS = {
    "planned": _("Scheduled"),
    "sending": _("Sending"),
    "sent": _("Sent"),
    "delivered": _("Delivered"),
    "superseded": _("Replaced by a newer update"),
    "not_sent": _("Not sent"),
    "dead": _("Could not be delivered"),
    "pending": _("Scheduled"),
    "failed": _("Failed"),
    "bounced": _("Bounced"),
    "suppressed": _("Not sent"),
}
HOLD_LABELS = {
    "quiet_hours": _("held for your quiet hours"),
    "digest": _("waiting for your daily digest"),
    "cap": _("waiting for your daily digest (message limit)"),
}


def recent_notifications(customer, *, limit: int = 10) -> list[dict]:
    """What we sent you: the latest notifications with their channels and status, in the
    customer's time zone and language."""
    zone, locale = customer_zone(customer), (customer.language or "en").replace("-", "_")
    rows = []
    notifications = (
        customer.notifications.select_related("notification_type")
        .prefetch_related("deliveries")
        .order_by("-created_at", "-id")[:limit]
    )
    for n in notifications:
        deliveries = sorted(n.deliveries.all(), key=lambda d: d.id)
        rows.append(
            {
                "type": TYPE_LABELS.get(n.notification_type.key, n.notification_type.name)
                if n.notification_type.category != "digest"
                else _("Daily digest"),
                "when": format_datetime(n.created_at.astimezone(zone), format="medium", locale=locale),
                "channels": [
                    {
                        "channel": CHANNEL_LABELS.get(d.channel, d.channel),
                        "status": STATUS_LABELS.get(d.status, d.status),
                    }
                    for d in deliveries
                ],
                "status": STATUS_LABELS.get(n.status, n.status),
                "hold": HOLD_LABELS.get(n.hold, "") if n.status == "planned" else "",
            }
        )
    return rows


def _center_context(request, customer, form, types, *, saved: bool) -> dict:
    token = preference_token_for(customer)
    rows = []
    for category, ntypes in types.items():
        rows.append(
            {
                "category": category,
                "label": CATEGORY_LABELS[category],
                "rhythm": form[f"rhythm_{category}"],
                "types": [
                    {
                        "ntype": t,
                        "label": TYPE_LABELS.get(t.key, t.name),
                        "cells": [form[f"type_{t.key}_{c}"] for c in CHANNELS],
                    }
                    for t in ntypes
                ],
            }
        )
    return {
        **_brand_context(customer.brand),
        "customer": customer,
        "form": form,
        "saved": saved,
        "html_lang": customer.language
        if (customer.language or "").lower().startswith(translation.get_language())
        else translation.get_language(),
        "channels": [
            {"key": c, "label": CHANNEL_LABELS[c], "consent": form[f"consent_{c}"], "quiet": form[f"quiet_{c}"]}
            for c in CHANNELS
        ],
        "order_fields": [form[f"order_{r}"] for r in range(1, len(CHANNELS) + 1)],
        "categories": rows,
        "recent": recent_notifications(customer),
        "masked_email": mask_email(customer.email),
        "masked_phone": mask_phone(customer.phone),
        "language_name": language_name(customer.language or customer.brand.default_language or "en"),
        "push_live": PushSubscription.objects.filter(customer=customer, expired_at__isnull=True).exists(),
        "vapid_public_key": vapid_public_key(),
        "subscribe_url": reverse("preferences:push_subscribe", kwargs={"token": token}),
        "sw_url": "/static/preferences/sw.js",
    }


def preference_page(request, token: str):
    """GET shows the center; POST saves it (consent changes logged with source "center") and
    redirects back, so a reload never posts twice."""
    if request.method not in ("GET", "HEAD", "POST"):
        return _no_store(render(request, "preferences/invalid_link.html", status=405))
    customer = customer_for_token(token)
    if customer is None:
        return invalid_link(request, token)
    types = center_types()
    prefs = preferences_of(customer)
    initial = PreferenceCenterForm.initial_for(
        customer=customer,
        prefs=prefs,
        types=types,
        consents=dict(ChannelConsent.objects.filter(customer=customer).values_list("channel", "state")),
        type_prefs={
            (t, c): e
            for t, c, e in TypePreference.objects.filter(customer=customer).values_list(
                "type_key", "channel", "enabled"
            )
        },
    )
    with translation.override(_ui_language(customer)):  # labels are built with the form: translate them
        if request.method == "POST":
            form = PreferenceCenterForm(request.POST, initial=initial, types=types)
            if form.is_valid():
                data = form.to_data()
                if data["language"] == _ui_language(customer):
                    data.pop("language")  # unchanged: keep the region of the profile (es-MX)
                preferences_save(customer=customer, data=data, source="center", actor="customer")
                return _no_store(redirect(f"{request.path}?saved=1"))
        else:
            form = PreferenceCenterForm(initial=initial, types=types)
        context = _center_context(request, customer, form, types, saved=request.GET.get("saved") == "1")
        response = render(request, "preferences/page.html", context, status=400 if form.is_bound else 200)
    return _no_store(response)


def invalid_link(request, token: str = ""):
    """A clear 400 page with no customer data; it may offer a fresh link (sent to the address on file)."""
    return _no_store(
        render(
            request,
            "preferences/invalid_link.html",
            {"renew_url": reverse("preferences:renew", kwargs={"token": token}) if token else ""},
            status=400,
        )
    )


@require_safe
def short_link(request, code: str):
    """``/p/s/<code>/`` from an SMS: on to the customer's fresh signed link."""
    customer = customer_for_short_code(code)
    if customer is None:
        return invalid_link(request)
    return _no_store(redirect("preferences:page", token=preference_token_for(customer)))


RENEW_COOLDOWN_SECONDS = 600


@require_POST
def renew_link(request, token: str):
    """Ask for a fresh link for an expired one, sent (by the pipeline, within moments) to the
    address on file; at most once per cooldown. The answer is the same whoever the token was
    for, and names no address: only which kind of address it goes to."""
    customer = customer_for_expired_token(token)
    channel = ""
    if customer is not None and cache.add(f"prefs-renew:{customer.pk}", 1, RENEW_COOLDOWN_SECONDS):
        channel = preference_link_request(customer=customer, actor="customer")
    status = "sent" if customer is not None else "unknown"
    return _no_store(render(request, "preferences/link_sent.html", {"status": status, "channel": channel}, status=200))


@require_POST
def push_subscribe(request, token: str):
    """Store the browser's Web Push subscription (JSON ``PushSubscription.toJSON()``)."""
    customer = customer_for_token(token)
    if customer is None:
        return error_response(400, "invalid or expired link", code="invalid_link")
    try:
        body = json_body(request) or {}
        endpoint, keys = body["endpoint"], body["keys"]
        p256dh, auth = keys["p256dh"], keys["auth"]
    except (RequestRefused, KeyError, TypeError):
        message = "expected a PushSubscription: endpoint and keys.p256dh, keys.auth"
        return error_response(400, message, fields={"body": [message]})
    if not (isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")) and len(endpoint) <= 1000):
        return error_response(400, "endpoint: must be an http(s) URL", fields={"endpoint": ["must be an http(s) URL"]})
    sub = push_subscription_save(
        customer=customer,
        endpoint=endpoint,
        p256dh=str(p256dh)[:200],
        auth=str(auth)[:100],
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    return JsonResponse({"id": sub.pk, "status": "subscribed"}, status=201)
