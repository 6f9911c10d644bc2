"""Template editing for the studio and the admin: every save checked, locked and kept as a
numbered ``TemplateVersion`` (all translated fields), a revert saves an old version again as a
new one, and each is audited."""

import difflib

from django.core.exceptions import ValidationError
from django.db import transaction

from catalogue.models import NotificationType, Template, TemplateVersion
from catalogue.rendering import TEMPLATE_LANGUAGES, template_errors
from core.audit import AuditAction
from core.transitions import audit

TEMPLATE_FIELDS = ("subject", "preheader", "body_text", "body_html", "link")
TRANSLATED = tuple(f"{f}_{lang}" for lang in TEMPLATE_LANGUAGES for f in TEMPLATE_FIELDS)


def template_fields(template: Template) -> dict[str, str]:
    return {name: getattr(template, name) or "" for name in TRANSLATED}


def template_version_record(
    *, template: Template, actor: str, reason: str = "", reverted_from: int | None = None
) -> TemplateVersion:
    """Keep the template's current state as its next version (numbered from 1)."""
    last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return TemplateVersion.objects.create(
        template=template,
        number=last + 1,
        fields=template_fields(template),
        created_by=actor,
        reason=reason[:300],
        reverted_from=reverted_from,
    )


def _ensure_baseline(template: Template, actor: str) -> None:
    # A template installed by the catalogue has no history yet: its state before the first edit is v1.
    if not template.versions.exists():
        template_version_record(template=template, actor="system", reason=f"as found before {actor}'s first edit")


def template_check(*, notification_type: NotificationType, channel: str, data: dict[str, str]) -> None:
    """Raise ValidationError (per field) unless every field of ``data`` (translated field ->
    source) is one a template has and uses only the variables its type's messages carry, within
    the channel's rules (SMS: brand named, no prohibited content)."""
    unknown = set(data) - set(TRANSLATED)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    errors = template_errors(
        {k: v for k, v in data.items() if v},
        type_key=notification_type.key,
        category=notification_type.category,
        channel=channel,
    )
    if errors:
        raise ValidationError({name: messages for name, messages in errors.items()})


def template_create(
    *, notification_type: NotificationType, channel: str, data: dict[str, str], actor: str, reason: str = ""
) -> TemplateVersion:
    """A new template of ``notification_type`` on ``channel``, checked like any save; its first
    state is version 1; audited."""
    template_check(notification_type=notification_type, channel=channel, data=data)
    with transaction.atomic():
        template = Template.objects.create(notification_type=notification_type, channel=channel, **data)
        version = template_version_record(template=template, actor=actor, reason=reason)
        audit(obj=template, action=AuditAction.CREATED, to_state=f"v{version.number}", actor=actor, reason=reason)
    return version


def template_save(*, template: Template, data: dict[str, str], actor: str, reason: str = "") -> TemplateVersion:
    """Apply ``data`` (translated field -> source) after checking every field
    (``template_check``); under the template's row lock: save, record the new version, audit."""
    template_check(notification_type=template.notification_type, channel=template.channel, data=data)
    with transaction.atomic():
        locked = Template.objects.select_for_update().get(pk=template.pk)
        _ensure_baseline(locked, actor)
        changed = [name for name, value in data.items() if (getattr(locked, name) or "") != value]
        for name in changed:
            setattr(locked, name, data[name])
        locked.save()
        version = template_version_record(template=locked, actor=actor, reason=reason)
        audit(
            obj=locked,
            action=AuditAction.TEMPLATE_SAVED,
            to_state=f"v{version.number}",
            actor=actor,
            reason=reason,
            data={"changed": changed},
        )
    return version


def template_revert(*, template: Template, version: TemplateVersion, actor: str, reason: str = "") -> TemplateVersion:
    """Restore ``version``'s fields as a new version (history only grows)."""
    if version.template_id != template.pk:
        raise ValidationError("That version belongs to another template.")
    with transaction.atomic():
        locked = Template.objects.select_for_update().get(pk=template.pk)
        _ensure_baseline(locked, actor)
        for name in TRANSLATED:
            setattr(locked, name, version.fields.get(name, ""))
        locked.save()
        reason = reason or f"revert to v{version.number}"
        new = template_version_record(template=locked, actor=actor, reason=reason, reverted_from=version.number)
        audit(
            obj=locked,
            action=AuditAction.TEMPLATE_REVERTED,
            from_state=f"v{version.number}",
            to_state=f"v{new.number}",
            actor=actor,
            reason=reason,
        )
    return new


def version_diff_html(older: TemplateVersion | None, newer: TemplateVersion) -> str:
    """A side-by-side HTML table of the fields that differ (difflib), empty when none do."""
    before = older.fields if older else {}
    tables = []
    for name in TRANSLATED:
        a, b = before.get(name, "") or "", newer.fields.get(name, "") or ""
        if a != b:
            table = difflib.HtmlDiff(wrapcolumn=70).make_table(
                a.splitlines() or [""],
                b.splitlines() or [""],
                fromdesc=f"{name} v{older.number}" if older else f"{name} (none)",
                todesc=f"{name} v{newer.number}",
                context=True,
                numlines=2,
            )
            tables.append(table)
    return "\n".join(tables)
