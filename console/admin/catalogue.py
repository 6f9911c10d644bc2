"""Admin for the catalogue (merchants): notification types, rules and templates, translated per
language and checked on save against the variables their messages carry, and every template's
saved versions."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html_join
from django.utils.text import Truncator
from modeltranslation.admin import TranslationAdmin

from catalogue.forms import RuleAdminForm, TemplateAdminForm
from catalogue.models import NotificationType, Rule, Template, TemplateVersion
from catalogue.rendering import TEMPLATE_LANGUAGES, sample_context_for
from catalogue.services import TRANSLATED, template_create, template_save
from core.admin import ReadOnlyAdminMixin, admin_actor

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}


@admin.register(NotificationType)
class NotificationTypeAdmin(TranslationAdmin):
    list_display = ("name", "key", "category", "critical", "coalesce_group", "position", "rule_count", "template_count")
    list_filter = ("category", "critical", "coalesce_group")
    search_fields = ("key", "name", "description")
    ordering = ("category", "position")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(rules_n=Count("rules", distinct=True), templates_n=Count("templates", distinct=True))
        )

    def get_readonly_fields(self, request, obj=None):
        # Customers' per-type choices and dedupe keys refer to the key: fixed once created.
        return ("key",) if obj else ()

    @admin.display(description="rules", ordering="rules_n")
    def rule_count(self, obj):
        return obj.rules_n

    @admin.display(description="templates", ordering="templates_n")
    def template_count(self, obj):
        return obj.templates_n


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleAdminForm
    list_display = (
        "name",
        "event_type",
        "notification_type",
        "channel_plan",
        "mode",
        "coalesce_seconds",
        "priority",
        "is_active",
    )
    list_filter = ("is_active", "mode", "notification_type__category", "notification_type")
    search_fields = ("name", "event_type", "notification_type__key")
    list_select_related = ("notification_type",)
    fieldsets = (
        (None, {"fields": ("name", "event_type", "notification_type", "is_active")}),
        ("Plan", {"fields": ("channels", "mode", "priority", "coalesce_seconds")}),
        ("Conditions", {"fields": ("conditions",)}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from console.studio import warn_about_rule  # flag a rule matching nothing or everything

        warn_about_rule(request, obj)

    @admin.display(description="channels")
    def channel_plan(self, obj):
        joiner = " → " if obj.mode == Rule.Mode.FALLBACK else " + "
        return joiner.join(obj.channels or [])


@admin.register(Template)
class TemplateAdmin(TranslationAdmin):
    """One fieldset per language; ``TemplateAdminForm`` shows ``template_check``'s errors per
    field; saves go through ``template_save`` (a new template through ``template_create``)."""

    form = TemplateAdminForm
    list_display = ("notification_type", "channel", "subject_preview", "languages_filled", "updated_at")
    list_filter = ("channel", "notification_type__category", "notification_type")
    search_fields = ("notification_type__key", "notification_type__name", "subject_en", "body_text_en")
    list_select_related = ("notification_type",)
    readonly_fields = ("available_variables", "updated_at")
    fieldsets = (
        (None, {"fields": ("notification_type", "channel", "available_variables", "updated_at")}),
        *(
            (
                LANGUAGE_NAMES[lang],
                {
                    "fields": tuple(f"{f}_{lang}" for f in ("subject", "preheader", "body_text", "body_html", "link")),
                    "classes": () if lang == "en" else ("collapse",),
                },
            )
            for lang in TEMPLATE_LANGUAGES
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # Its versions are of one type and channel: fixed once created.
        return (*self.readonly_fields, "notification_type", "channel") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the catalogue's services, never a raw save: checked (variables, the channel's
        rules), under the template's row lock, kept as a version, audited."""
        data = {name: form.cleaned_data.get(name) or "" for name in TRANSLATED if name in form.cleaned_data}
        actor = admin_actor(request)
        if change:
            template_save(template=obj, data=data, actor=actor, reason="saved in the admin")
        else:
            version = template_create(
                notification_type=obj.notification_type,
                channel=obj.channel,
                data=data,
                actor=actor,
                reason="saved in the admin",
            )
            obj.pk = version.template_id
        obj.refresh_from_db()

    @admin.display(description="subject (en)")
    def subject_preview(self, obj):
        return Truncator(obj.subject_en or obj.body_text_en or "").chars(60)

    @admin.display(description="languages")
    def languages_filled(self, obj):
        return ", ".join(
            lang for lang in TEMPLATE_LANGUAGES if getattr(obj, f"subject_{lang}") or getattr(obj, f"body_text_{lang}")
        )

    @admin.display(description="variables these messages carry")
    def available_variables(self, obj):
        if not obj or not obj.notification_type_id:
            return "Choose the notification type and save to see its variables."
        ntype = obj.notification_type
        paths = sorted(_variable_paths(sample_context_for(ntype.key, ntype.category)))
        return format_html_join(" ", "<code>{{{{ {} }}}}</code>", ((p,) for p in paths))


def _variable_paths(value, prefix="") -> set[str]:
    """Dotted paths of a sample context (a list shows as ``name`` with its items' fields as
    ``name.0.field``; templates loop over it with ``{% for %}``)."""
    if isinstance(value, dict):
        paths = set()
        for key, item in value.items():
            paths |= _variable_paths(item, f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return {prefix} | _variable_paths(value[0], f"{prefix}.0")
    return {prefix}


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every saved state of a template; the studio shows diffs and reverts."""

    list_display = ("template", "number", "created_by", "reason", "reverted_from", "created_at")
    list_filter = ("template__channel", "template__notification_type")
    search_fields = ("template__notification_type__key", "created_by", "reason")
    list_select_related = ("template__notification_type",)
