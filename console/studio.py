"""The template studio (admin pages for merchants): edit one template in one language with a live
preview rendered from a real recent event of its type (the customer replaced by the sample
customer, so no contact details show) or the realistic sample; email at desktop and phone width
inside the brand layout, SMS with characters, encoding, segments and estimated cost; errors
inline; a test send to the editor's own address or number (``console.services.template_test_send``,
through the pipeline); history with diffs and revert.
Also the rule checks the rule admin shows on save (a rule matching nothing or everything)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from catalogue import snapshots
from catalogue.email_layout import render_layout
from catalogue.forms import event_types
from catalogue.models import Rule, Template, TemplateVersion
from catalogue.rendering import (
    TEMPLATE_LANGUAGES,
    build_context,
    render_string,
    sample_context_for,
    sample_links,
    template_errors,
)
from catalogue.services import TEMPLATE_FIELDS, template_revert, template_save, version_diff_html
from catalogue.sms_encoding import estimated_cost, sms_stats
from core.admin import admin_actor, validation_text
from notifications.models import Event, Notification

FIELDS_BY_CHANNEL = {
    "email": ("subject", "preheader", "body_text", "body_html"),
    "sms": ("body_text",),
    "whatsapp": ("body_text",),
    "push": ("subject", "body_text", "link"),
}
PREVIEW_SMS_PROVIDER, PREVIEW_SMS_COUNTRY = "vonage", "US"
LABELS = {"subject": "Subject", "preheader": "Preheader", "body_text": "Text", "body_html": "HTML body", "link": "Link"}


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# --- Preview --------------------------------------------------------------------------------------


def preview_context(template: Template, language: str) -> tuple[dict, str]:
    """The context a preview renders with, and where it came from: the latest notification of
    the template's type (its event snapshot, the customer swapped for the sample customer), else
    the type's sample."""
    ntype = template.notification_type
    latest = (
        Notification.objects.filter(notification_type=ntype).order_by("-id").values_list("event_id", flat=True).first()
    )
    sample = sample_context_for(ntype.key, ntype.category, language)
    if latest:
        payload = Event.objects.filter(pk=latest).values_list("payload", flat=True).first() or {}
        customer = {**snapshots.sample_context()["customer"], "language": language}
        context = build_context(payload=payload, customer_snapshot=customer, language=language, links=sample_links())
        return context, f"event #{latest} (the latest {ntype.key}; the customer is the sample customer)"
    return sample, "the sample order (no recent event of this type)"


def render_preview(template: Template, language: str, sources: dict[str, str]) -> dict:
    """Render ``sources`` (field -> template source, this language) as the channel shows it."""
    ntype = template.notification_type
    names = {f"{f}_{language}": src for f, src in sources.items()}
    errors = template_errors(
        {k: v for k, v in names.items() if v}, type_key=ntype.key, category=ntype.category, channel=template.channel
    )
    result = {"errors": {k.rsplit("_", 1)[0]: v for k, v in errors.items()}, "channel": template.channel}
    context, source = preview_context(template, language)
    result["context_source"] = source
    rendered = {}
    for field in TEMPLATE_FIELDS:
        try:
            rendered[field] = render_string(sources.get(field, ""), context, html=field == "body_html")
        except Exception as exc:  # a syntax error is already listed in errors; show the rest
            rendered[field] = ""
            result["errors"].setdefault(field, [f"Cannot render: {exc}"])
    result["rendered"] = rendered
    if template.channel == "email":
        result["email_html"] = render_layout(
            fragment=rendered["body_html"],
            subject=rendered["subject"],
            preheader=rendered["preheader"],
            brand=context.get("brand") or {},
            language=language,
            links=context.get("links") or {},
        )
    if template.channel in ("sms", "whatsapp"):
        stats = sms_stats(rendered["body_text"])
        cost = estimated_cost(rendered["body_text"], provider=PREVIEW_SMS_PROVIDER, country=PREVIEW_SMS_COUNTRY)
        result["sms"] = {
            **stats.as_dict(),
            "estimated_cost": f"{cost:.4f}" if cost is not None else None,
            "priced_as": f"{PREVIEW_SMS_PROVIDER} {PREVIEW_SMS_COUNTRY}",
        }
    return result


# --- Pages ----------------------------------------------------------------------------------------


def index_view(request):
    _require(request, "catalogue.view_template")
    templates = Template.objects.select_related("notification_type").order_by("notification_type__key", "channel")
    context = {
        **admin.site.each_context(request),
        "title": "Template studio",
        "templates": templates,
        "languages": TEMPLATE_LANGUAGES,
    }
    return TemplateResponse(request, "admin/studio/index.html", context)


class SaveForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, help_text="What changed and why (kept in the history).")


def edit_view(request, template_id: int, language: str):
    _require(request, "catalogue.view_template")
    if language not in TEMPLATE_LANGUAGES:
        language = "en"
    template = get_object_or_404(Template.objects.select_related("notification_type"), pk=template_id)
    fields = FIELDS_BY_CHANNEL.get(template.channel, TEMPLATE_FIELDS)
    can_change = request.user.has_perm("catalogue.change_template")
    sources = {f: getattr(template, f"{f}_{language}") or "" for f in TEMPLATE_FIELDS}
    save_errors = {}
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        posted = {f: request.POST.get(f, "") for f in fields}
        sources.update(posted)
        try:
            version = template_save(
                template=template,
                data={f"{f}_{language}": v for f, v in posted.items()},
                actor=admin_actor(request),
                reason=request.POST.get("reason", "")[:300],
            )
        except ValidationError as exc:
            save_errors = (
                {k.rsplit("_", 1)[0]: v for k, v in exc.message_dict.items()}
                if hasattr(exc, "error_dict")
                else {"__all__": exc.messages}
            )
            messages.error(request, "Not saved: fix the errors shown below.")
        else:
            messages.success(request, f"Saved as version {version.number}.")
            return redirect("console:studio-edit", template.pk, language)
    preview = render_preview(template, language, sources)
    versions = list(template.versions.order_by("-number")[:30])
    context = {
        **admin.site.each_context(request),
        "title": f"{template.notification_type.name} · {template.get_channel_display()}",
        "template": template,
        "language": language,
        "languages": TEMPLATE_LANGUAGES,
        "sources": sources,
        "preview": preview,
        "errors": save_errors or preview["errors"],
        "versions": versions,
        "general_errors": save_errors.pop("__all__", []),
        "field_labels": [(f, LABELS[f]) for f in fields],
        "can_change": can_change,
        "test_to": request.user.email if template.channel == "email" else "",
        "preview_url": reverse("console:studio-preview", args=[template.pk, language]),
    }
    return TemplateResponse(request, "admin/studio/edit.html", context)


@require_POST
def preview_view(request, template_id: int, language: str):
    """The live preview (JSON) of the posted, unsaved sources."""
    _require(request, "catalogue.view_template")
    template = get_object_or_404(Template.objects.select_related("notification_type"), pk=template_id)
    if language not in TEMPLATE_LANGUAGES:
        language = "en"
    sources = {f: request.POST.get(f, getattr(template, f"{f}_{language}") or "") for f in TEMPLATE_FIELDS}
    return JsonResponse(render_preview(template, language, sources))


@require_POST
def test_send_view(request, template_id: int, language: str):
    """Send the draft (as posted) to the editor: email only to their own account address; SMS,
    WhatsApp or push to the number or address they give (``template_test_send``)."""
    from console.services import template_test_send

    _require(request, "catalogue.change_template")
    template = get_object_or_404(Template.objects.select_related("notification_type"), pk=template_id)
    if language not in TEMPLATE_LANGUAGES:
        language = "en"
    back = redirect("console:studio-edit", template.pk, language)
    to = request.user.email if template.channel == "email" else request.POST.get("to", "")
    sources = {f: request.POST.get(f, getattr(template, f"{f}_{language}") or "") for f in TEMPLATE_FIELDS}
    try:
        notification = template_test_send(
            template=template,
            language=language,
            sources=sources,
            to=to,
            username=request.user.get_username(),
            actor=admin_actor(request),
        )
    except ValidationError as exc:
        messages.error(request, validation_text(exc))
        return back
    timeline = reverse("admin:notifications_customer_timeline", args=[notification.customer_id])
    messages.success(
        request,
        format_html(
            'Test {} on its way to {} (<a href="{}">see what became of it</a>).', template.channel, to.strip(), timeline
        ),
    )
    return back


@require_POST
def revert_view(request, version_id: int):
    _require(request, "catalogue.change_template")
    version = get_object_or_404(TemplateVersion.objects.select_related("template"), pk=version_id)
    language = request.POST.get("language", "en")
    try:
        new = template_revert(
            template=version.template,
            version=version,
            actor=admin_actor(request),
            reason=request.POST.get("reason", "")[:300],
        )
    except ValidationError as exc:
        messages.error(request, validation_text(exc))
    else:
        messages.success(request, f"Reverted to version {version.number} (saved as version {new.number}).")
    return redirect("console:studio-edit", version.template_id, language if language in TEMPLATE_LANGUAGES else "en")


def diff_view(request, version_id: int):
    _require(request, "catalogue.view_templateversion")
    version = get_object_or_404(TemplateVersion.objects.select_related("template__notification_type"), pk=version_id)
    previous = version.template.versions.filter(number__lt=version.number).order_by("-number").first()
    context = {
        **admin.site.each_context(request),
        "title": f"{version} compared with the previous version",
        "version": version,
        "previous": previous,
        "diff": version_diff_html(previous, version),
    }
    return TemplateResponse(request, "admin/studio/diff.html", context)


# --- Rules: flag one that would match nothing or everything ----------------------------------------

RECENT_DAYS, RECENT_EVENTS = 30, 500


def rule_warnings(rule: Rule) -> list[str]:
    """Warnings for a saved rule: an event type no domain signal produces, conditions that none of
    the last 500 events of its type (30 days) satisfies, or no conditions at all (every event of
    the type, for every customer of every brand)."""
    from notifications.selectors import _matches

    subject, _, status = rule.event_type.partition(".")
    known = event_types()
    if status not in known.get(subject, set()):
        return [f"'{rule.event_type}' is not an event Waypost produces: this rule matches nothing."]
    warnings = []
    if not rule.conditions:
        others = Rule.objects.filter(event_type=rule.event_type, is_active=True).exclude(pk=rule.pk).count()
        warnings.append(
            f"No conditions: this rule matches every '{rule.event_type}' event, for every customer of "
            f"every brand" + (f" (and {others} other active rule(s) match it too)." if others else ".")
        )
        return warnings
    since = timezone.now() - timezone.timedelta(days=RECENT_DAYS)
    recent = list(
        Event.objects.filter(type=rule.event_type, created_at__gte=since, customer__isnull=False)
        .select_related("customer")
        .order_by("-id")[:RECENT_EVENTS]
    )
    if recent and not any(_matches(rule, event=e, customer=e.customer) for e in recent):
        warnings.append(
            f"None of the last {len(recent)} '{rule.event_type}' events satisfies these conditions: "
            "this rule would have matched nothing."
        )
    return warnings


def warn_about_rule(request, rule: Rule) -> None:
    for text in rule_warnings(rule):
        messages.warning(request, text)
