"""Admin for return requests. Milestones move through actions generated from RETURN_MACHINE;
a milestone that carries values (a tracking number, an inspection result, a refund amount) asks
for them on an intermediate page before calling ``return_transition``."""

from django.contrib import admin
from django.forms import fields_for_model

from core.admin import AuditLogInline, ReadOnlyInline, reason_form, transition_actions
from returns.models import ReturnLine, ReturnRequest
from returns.services import REQUIRED_FIELDS, RETURN_MACHINE, TRANSITION_FIELDS, return_transition


def _milestone_form(target: str):
    names = [f.name for f in ReturnRequest._meta.fields if f.name in TRANSITION_FIELDS[target]]
    fields = fields_for_model(ReturnRequest, fields=names)
    for name, field in fields.items():
        field.required = name in REQUIRED_FIELDS.get(target, set())
    return reason_form(name=f"Return{target.title().replace('_', '')}Form", **fields)


def _return_transition(return_request, target, **kwargs):
    return return_transition(return_request=return_request, to_status=target, **kwargs)


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ("order_line", "quantity")


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "order", "status", "reason", "refund_estimate", "refund_amount", "created_at")
    list_filter = ("status", "inspection_result", "order__sales_channel")
    search_fields = ("code", "external_id", "order__external_id", "return_tracking_number", "order__customer__name")
    date_hierarchy = "created_at"
    list_select_related = ("order",)
    # Everything a milestone sets is read-only: it is set by the milestone's action.
    readonly_fields = (
        "order",
        "code",
        "status",
        "status_changed_at",
        "refund_estimate",
        "refund_amount",
        "return_carrier",
        "return_tracking_number",
        "label_url",
        "inspection_result",
        "inspection_notes",
        "rejection_reason",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("order", "code", "external_id", "reason", "status", "status_changed_at")}),
        ("Return shipment", {"fields": ("return_carrier", "return_tracking_number", "label_url")}),
        (
            "Inspection and refund",
            {
                "fields": (
                    "inspection_result",
                    "inspection_notes",
                    "refund_estimate",
                    "refund_amount",
                    "rejection_reason",
                )
            },
        ),
        ("Dates", {"fields": ("created_at",)}),
    )
    inlines = [ReturnLineInline, AuditLogInline]
    actions = transition_actions(
        sm=RETURN_MACHINE,
        apply=_return_transition,
        labels={
            ReturnRequest.Status.APPROVED: "Approve",
            ReturnRequest.Status.REJECTED: "Reject",
            ReturnRequest.Status.LABEL_ISSUED: "Issue return label",
            ReturnRequest.Status.IN_TRANSIT: "Mark in transit",
            ReturnRequest.Status.RECEIVED: "Mark received",
            ReturnRequest.Status.INSPECTED: "Record inspection",
            ReturnRequest.Status.REFUND_PROCESSING: "Start refund",
            ReturnRequest.Status.REFUNDED: "Mark refunded",
            ReturnRequest.Status.RESOLVED: "Resolve",
        },
        forms_by_target={target: _milestone_form(target) for target in TRANSITION_FIELDS},
        single_object_targets=set(REQUIRED_FIELDS),
    )

    def has_add_permission(self, request):
        return False  # returns are opened through return_create (partner API)

    def has_delete_permission(self, request, obj=None):
        return False  # a return's history stays; it ends as rejected or resolved
