"""Admin for the platform models (audit trail, partners, idempotency keys), and the shared
admin building blocks every app uses: status-change actions generated from a state machine,
actions that ask for values on an intermediate page, read-only admins and the audit-trail inline.

Status fields are never edited in a form: they change only through these actions, which call
the domain's transition service (which checks the map, locks, audits and signals).
"""

import json
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from core.models import AuditLog
from core.transitions import InvalidTransition, StateMachine

# Past this many objects, successes are summarised in one message instead of one per object.
MAX_PER_OBJECT_MESSAGES = 20


def admin_actor(request) -> str:
    return f"user:{request.user.get_username()}"


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


# --- Read-only building blocks ------------------------------------------------------------------


class ReadOnlyAdminMixin:
    """Rows written only by services (audit trail, carrier events): view, never add/change/delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [*self.fields] if self.fields else super().get_readonly_fields(request, obj)


class AuditLogInline(ReadOnlyAdminMixin, GenericTabularInline):
    """An object's audit trail, newest first, on its own change page."""

    model = AuditLog
    ct_field, ct_fk_field = "content_type", "object_id"
    fields = ("created_at", "action", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "audit trail"
    classes = ["collapse"]


# --- Actions that ask for values first ----------------------------------------------------------


def run_form_action(
    modeladmin,
    request,
    queryset,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[object, dict], str],
):
    """Show ``form_class`` on an intermediate page for the selected objects; once submitted and
    valid, call ``apply(obj, cleaned_data)`` for each (it returns a success message or raises
    InvalidTransition / ValidationError, reported per object). Returns the page or None."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            apply_each(modeladmin, request, queryset, lambda obj: apply(obj, form.cleaned_data))
            return None
    else:
        form = form_class()
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": list(queryset),
        "opts": opts,
        "app_label": opts.app_label,
        "action_name": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/waypost/action_form.html", context)


def apply_each(modeladmin, request, objects, fn: Callable[[object], str]) -> None:
    """Call ``fn`` per object in its own transaction (the services open one); report each result."""
    successes = []
    for obj in objects:
        try:
            successes.append(fn(obj))
        except InvalidTransition as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}: {validation_text(exc)}", messages.ERROR)
    if len(successes) > MAX_PER_OBJECT_MESSAGES:
        modeladmin.message_user(request, f"{len(successes)} objects updated.", messages.SUCCESS)
    else:
        for text in successes:
            modeladmin.message_user(request, text, messages.SUCCESS)


# --- Status-change actions generated from a state machine ---------------------------------------


def transition_actions(
    *,
    sm: StateMachine,
    apply: Callable[..., object],
    targets: list[str] | None = None,
    labels: dict[str, str] | None = None,
    forms_by_target: dict[str, type[forms.Form]] | None = None,
    single_object_targets: set[str] = frozenset(),
) -> list:
    """One admin action per target state of ``sm`` (or of ``targets``, a subset of them).

    ``apply(obj, target, actor=..., reason=..., **fields)`` is the domain's transition service.
    A target listed in ``forms_by_target`` first asks for that form's values (e.g. a refund
    amount) on an intermediate page; one in ``single_object_targets`` runs on one object at a time
    because its values differ per object.
    """
    # In the machine's own state order, so the actions read like the lifecycle.
    reachable = [s for s in sm.transitions if any(s in nexts for nexts in sm.transitions.values())]
    chosen = targets if targets is not None else reachable
    unknown = set(chosen) - set(reachable)
    if unknown:
        raise ValueError(f"{sm.entity}: no transition leads to {sorted(unknown)}")
    labels, forms_by_target = labels or {}, forms_by_target or {}
    return [
        _transition_action(
            sm=sm,
            target=t,
            apply=apply,
            label=labels.get(t),
            form_class=forms_by_target.get(t),
            single=t in single_object_targets,
        )
        for t in chosen
    ]


def _transition_action(*, sm, target, apply, label, form_class, single):
    state_label = target.replace("_", " ")
    description = label or f"Mark selected as {state_label}"

    def apply_one(request, obj, fields: dict) -> str:
        fields = dict(fields)
        reason = fields.pop("reason", "") or "admin action"
        before = getattr(obj, sm.field)
        apply(obj, target, actor=admin_actor(request), reason=reason, **fields)
        return f"{capfirst(sm.entity)} {obj}: {before.replace('_', ' ')} → {state_label}."

    def action(modeladmin, request, queryset):
        if form_class is None:
            apply_each(modeladmin, request, queryset, lambda obj: apply_one(request, obj, {}))
            return None
        if single and queryset.count() != 1:
            modeladmin.message_user(
                request,
                f"Select exactly one {sm.entity} to {description.lower()}: the values asked for differ per {sm.entity}.",
                messages.WARNING,
            )
            return None
        return run_form_action(
            modeladmin,
            request,
            queryset,
            form_class=form_class,
            title=description,
            apply=lambda obj, data: apply_one(request, obj, data),
        )

    action.__name__ = f"mark_{target}"
    return admin.action(description=description, permissions=["change"])(action)


def reason_form(name: str = "TransitionForm", **fields) -> type[forms.Form]:
    """A form with ``fields`` plus an optional free-text reason recorded in the audit row."""
    attrs = dict(fields)
    attrs["reason"] = forms.CharField(required=False, max_length=300, help_text="Saved in the audit trail.")
    return type(name, (forms.Form,), attrs)


# --- Platform models ----------------------------------------------------------------------------


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "subject_link", "action", "from_state", "to_state", "actor")
    list_filter = ("action", "content_type")
    search_fields = ("object_id", "actor", "reason", "action")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)
    readonly_fields = (
        "content_type",
        "object_id",
        "subject_link",
        "action",
        "from_state",
        "to_state",
        "actor",
        "reason",
        "data",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description="subject")
    def subject_link(self, obj):
        label = f"{obj.content_type.model} #{obj.object_id}"
        try:
            url = reverse(f"admin:{obj.content_type.app_label}_{obj.content_type.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)


def pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))
