"""Admin actions for the agents' queues (inbound replies, reschedule and callback requests):
assign to me, resolve with a note; plus the resend form. Each goes through
``services.console`` and is audited."""

from django import forms
from django.contrib import admin
from django.db.models import Q

from core.admin import admin_actor, apply_each, run_form_action


class ResendForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Why the customer should get it again. Saved in the audit trail."
    )


class ResolveForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Resolution",
        help_text="What was done (called back, rescheduled, answered). Saved in the audit trail.",
    )


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("me", "Assigned to me"), ("nobody", "Nobody"))

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user.get_username())
        if self.value() == "nobody":
            return queryset.filter(Q(assigned_to="") | Q(assigned_to__isnull=True))
        return queryset


class QueueActionsMixin:
    """For a read-only queue admin: 'Assign to me' and 'Resolve', for users who may change its rows."""

    actions = ["assign_to_me", "resolve"]

    def get_list_display(self, request):
        return (*super().get_list_display(request), "assigned_to")

    def get_list_filter(self, request):
        return (AssignedFilter, *super().get_list_filter(request))

    def has_work_permission(self, request):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Assign to me", permissions=["work"])
    def assign_to_me(self, request, queryset):
        from console.services import queue_item_assign

        username = request.user.get_username()
        apply_each(
            self,
            request,
            queryset,
            lambda item: (
                f"{queue_item_assign(item=item, username=username, actor=admin_actor(request))} assigned to {username}."
            ),
        )

    @admin.action(description="Resolve (with a note)", permissions=["work"])
    def resolve(self, request, queryset):
        from console.services import queue_item_resolve

        def apply(item, data):
            return f"{queue_item_resolve(item=item, actor=admin_actor(request), reason=data['reason'])} resolved."

        return run_form_action(self, request, queryset, form_class=ResolveForm, title="Resolve", apply=apply)
