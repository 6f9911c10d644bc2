"""Admin for intake: the dead-letter list (most costly first; fix the payload and replay one,
or replay a selection), a marketplace report upload page, the source health page, channel
intake settings, carrier accounts (poll settings, circuit breaker) and status mappings."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import admin_actor, validation_text
from customers.models import SalesChannel
from intake.models import CarrierAccount, CarrierStatusMapping, ChannelIntakeSettings, IntakeRecord
from intake.selectors import source_health
from intake.services import (
    carrier_poll,
    intake_file_receive,
    intake_record_replay,
    intake_record_update_payload,
    intake_records_replay,
)


class IntakeRecordForm(forms.ModelForm):
    replay_now = forms.BooleanField(
        required=False, initial=True, help_text="Process the record again with this payload when saving"
    )

    class Meta:
        model = IntakeRecord
        fields = ["payload"]


class MarketplaceUploadForm(forms.Form):
    sales_channel = forms.ModelChoiceField(queryset=SalesChannel.objects.filter(kind="marketplace", is_active=True))
    file = forms.FileField(help_text="An order report: CSV (comma or tab separated) or JSON rows")


@admin.register(IntakeRecord)
class IntakeRecordAdmin(admin.ModelAdmin):
    form = IntakeRecordForm
    list_display = ("id", "source", "topic", "status", "reason_short", "impact_score", "attempts", "received_at")
    list_filter = ("status", "kind", "source")
    search_fields = ("source", "raw_body", "delivery_id")
    date_hierarchy = "received_at"
    ordering = ("-impact_score", "-received_at")  # dead letters: most costly first
    list_select_related = ("sales_channel",)
    readonly_fields = (
        "source",
        "kind",
        "topic",
        "sales_channel",
        "carrier",
        "status",
        "errors_text",
        "warnings_text",
        "impact_score",
        "attempts",
        "received_at",
        "processed_at",
        "resolved_at",
        "resolved_by",
        "result",
        "delivery_id",
        "headers",
        "raw_body",
    )
    fieldsets = (
        (
            None,
            {"fields": ("source", "kind", "topic", "sales_channel", "carrier", "status", "impact_score", "attempts")},
        ),
        ("What went wrong", {"fields": ("errors_text", "warnings_text")}),
        ("Fix and replay", {"fields": ("payload", "replay_now")}),
        ("As received", {"fields": ("delivery_id", "headers", "raw_body", "received_at")}),
        ("Outcome", {"fields": ("processed_at", "result", "resolved_at", "resolved_by")}),
    )
    actions = ["replay_selected"]

    def has_add_permission(self, request):
        return False  # records come from webhooks, the API and the upload page

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.status != IntakeRecord.Status.FAILED:
            return (*self.readonly_fields, "payload")
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is not None and obj.status != IntakeRecord.Status.FAILED:
            return [(n, {"fields": [f for f in o["fields"] if f != "replay_now"]}) for n, o in self.fieldsets]
        return self.fieldsets

    @admin.display(description="reason")
    def reason_short(self, obj):
        return obj.reason[:120]

    @admin.display(description="errors (field: rule: message)")
    def errors_text(self, obj):
        return "\n".join(f"{e.get('field') or '-'}: {e.get('rule')}: {e.get('message', '')}" for e in obj.errors) or "-"

    @admin.display(description="warnings")
    def warnings_text(self, obj):
        return (
            "\n".join(f"{w.get('field') or '-'}: {w.get('rule')}: {w.get('message', '')}" for w in obj.warnings) or "-"
        )

    def save_model(self, request, obj, form, change):
        # Never a raw save: the payload fix and the replay go through the services.
        actor = admin_actor(request)
        try:
            record = intake_record_update_payload(record=obj, payload=form.cleaned_data["payload"], actor=actor)
            if form.cleaned_data.get("replay_now"):
                record = intake_record_replay(record=record, actor=actor)
                level = messages.SUCCESS if record.status == IntakeRecord.Status.RESOLVED else messages.ERROR
                self.message_user(
                    request,
                    f"Replayed: {record.get_status_display()}" + (f" ({record.reason})" if record.errors else ""),
                    level,
                )
        except ValidationError as exc:
            self.message_user(request, validation_text(exc), messages.ERROR)

    @admin.action(description="Replay selected dead letters")
    def replay_selected(self, request, queryset):
        counts = intake_records_replay(records=queryset.order_by("-impact_score"), actor=admin_actor(request))
        self.message_user(
            request,
            f"Resolved {counts['resolved']}, still failing {counts['failed']}, "
            f"skipped {counts['skipped']} (not failed).",
            messages.SUCCESS if not counts["failed"] else messages.WARNING,
        )

    def get_urls(self):
        own = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="intake_intakerecord_upload"),
            path("health/", self.admin_site.admin_view(self.health_view), name="intake_intakerecord_health"),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "upload_url": reverse("admin:intake_intakerecord_upload"),
            "health_url": reverse("admin:intake_intakerecord_health"),
        }
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        form = MarketplaceUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                records = intake_file_receive(
                    sales_channel=form.cleaned_data["sales_channel"],
                    content=upload.read(),
                    filename=upload.name,
                    actor=admin_actor(request),
                )
            except ValidationError as exc:
                form.add_error("file", validation_text(exc))
            else:
                self.message_user(request, f"Stored {len(records)} order(s) from {upload.name}; processing them now.")
                return redirect("admin:intake_intakerecord_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a marketplace order report",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/intake_upload.html", context)

    def health_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "Source health",
            "rows": source_health(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/source_health.html", context)


@admin.register(ChannelIntakeSettings)
class ChannelIntakeSettingsAdmin(admin.ModelAdmin):
    list_display = ("sales_channel", "has_secret", "validation_overrides")
    list_select_related = ("sales_channel",)
    autocomplete_fields = ()

    @admin.display(boolean=True, description="secret set")
    def has_secret(self, obj):
        return bool(obj.webhook_secret)


class CarrierAccountForm(forms.ModelForm):
    class Meta:
        model = CarrierAccount
        exclude = [
            "circuit_state",
            "consecutive_failures",
            "circuit_opened_at",
            "last_polled_at",
            "last_success_at",
            "last_error",
        ]
        widgets = {
            "webhook_secret": forms.PasswordInput(render_value=True),
            "api_key": forms.PasswordInput(render_value=True),
        }

    def clean_adapter(self):
        from intake.carriers import registered_adapters

        name = self.cleaned_data["adapter"]
        if name not in registered_adapters():
            raise ValidationError(f"Unknown adapter; known: {', '.join(sorted(registered_adapters()))}.")
        return name


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    form = CarrierAccountForm
    list_display = (
        "carrier",
        "adapter",
        "has_webhooks",
        "poll_enabled",
        "poll_interval_minutes",
        "circuit_state",
        "consecutive_failures",
        "last_success_at",
        "webhook_url",
    )
    list_filter = ("adapter", "circuit_state", "poll_enabled")
    readonly_fields = (
        "circuit_state",
        "consecutive_failures",
        "circuit_opened_at",
        "last_polled_at",
        "last_success_at",
        "last_error",
    )
    actions = ["poll_now", "close_circuit"]

    @admin.display(description="webhook URL")
    def webhook_url(self, obj):
        return format_html("<code>{}</code>", reverse("carrier-webhook", args=[obj.carrier]))

    @admin.action(description="Poll now (ignores the interval and the circuit)")
    def poll_now(self, request, queryset):
        for account in queryset:
            result = carrier_poll(account=account, force=True)
            level = messages.ERROR if result.get("error") else messages.SUCCESS
            self.message_user(request, f"{account}: {json.dumps(result, default=str)}", level)

    @admin.action(description="Close the circuit (resume polling)")
    def close_circuit(self, request, queryset):
        n = queryset.update(circuit_state=CarrierAccount.Circuit.CLOSED, consecutive_failures=0, circuit_opened_at=None)
        self.message_user(request, f"Closed the circuit of {n} carrier(s).")


@admin.register(CarrierStatusMapping)
class CarrierStatusMappingAdmin(admin.ModelAdmin):
    list_display = ("carrier", "code", "status", "description")
    list_editable = ("status",)
    list_filter = ("carrier", "status")
    search_fields = ("carrier", "code", "description")
