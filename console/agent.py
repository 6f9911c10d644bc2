"""Support agents' console pages: find a customer by name, email, phone, order number or tracking
number (one match goes straight to the timeline), resend a delivery, send a one-off message from
a template. Each action asks why and is audited by its service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalogue.models import Template
from console.services import delivery_resend, message_send_oneoff
from core.admin import admin_actor, validation_text
from customers.models import Customer
from notifications.models import Delivery
from notifications.queueing import deliveries_enqueue_on_commit
from orders.models import Order, Shipment

SEARCH_LIMIT = 50


def customer_search(query: str) -> list[Customer]:
    """Customers whose name, email or phone contains ``query``, or whose order number (as the
    customer reads it, with or without its ``#``, or the channel's id of the order), shipment
    tracking number or return tracking number equals it; at most 50, newest first."""
    query = query.strip()
    if not query:
        return []
    number = query.lstrip("#").strip() or query
    by_order = Order.objects.filter(
        Q(number__iexact=number) | Q(number__iexact=query) | Q(external_id__iexact=query)
    ).values("customer_id")
    by_tracking = Shipment.objects.filter(tracking_number__iexact=query).values("order__customer_id")
    match = (
        Q(name__icontains=query)
        | Q(email__iexact=query)
        | Q(phone=query.replace(" ", ""))
        | Q(pk__in=by_order)
        | Q(pk__in=by_tracking)
        | Q(identities__external_id__iexact=query)
    )
    if "@" not in query and len(query) >= 3:
        match |= Q(email__icontains=query)
    return list(Customer.objects.filter(match).select_related("brand").distinct().order_by("-id")[:SEARCH_LIMIT])


def _require(request, *perms: str) -> None:
    if not all(request.user.has_perm(p) for p in perms):
        raise PermissionDenied


def search_view(request):
    _require(request, "customers.view_customer")
    query = request.GET.get("q", "")
    results = customer_search(query)
    if len(results) == 1:
        return redirect("admin:notifications_customer_timeline", results[0].pk)
    context = {
        **admin.site.each_context(request),
        "title": "Find a customer",
        "query": query,
        "results": results,
        "show_contact": request.user.has_perm("customers.view_customer_contact"),
        "searched": bool(query.strip()),
    }
    return TemplateResponse(request, "admin/console/search.html", context)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Why (kept in the audit trail).")


@require_POST
def resend_view(request, delivery_id: int):
    _require(request, "notifications.change_delivery")
    delivery = get_object_or_404(Delivery.objects.select_related("notification"), pk=delivery_id)
    form = ReasonForm(request.POST)
    customer_id = delivery.notification.customer_id  # none: an answer to a number we do not know
    timeline = (
        reverse("admin:notifications_customer_timeline", args=[customer_id])
        if customer_id
        else reverse("admin:notifications_delivery_change", args=[delivery.pk])
    )
    if not form.is_valid():
        messages.error(request, "Give a reason to resend.")
        return redirect(timeline)
    try:
        new = delivery_resend(delivery=delivery, actor=admin_actor(request), reason=form.cleaned_data["reason"])
        deliveries_enqueue_on_commit([new])
    except ValidationError as exc:
        messages.error(request, validation_text(exc))
    else:
        messages.success(request, f"Resending delivery #{delivery.pk} as #{new.pk} ({new.channel}).")
    return redirect(timeline)


class OneOffForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=Template.objects.select_related("notification_type"),
        help_text="The message to send; its channel is the template's.",
    )
    reason = forms.CharField(max_length=300, help_text="Why (kept in the audit trail).")


def oneoff_view(request, customer_id: int):
    _require(request, "notifications.change_delivery", "customers.view_customer")
    customer = get_object_or_404(Customer, pk=customer_id)
    timeline = reverse("admin:notifications_customer_timeline", args=[customer.pk])
    form = OneOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delivery = message_send_oneoff(
                customer=customer,
                template=form.cleaned_data["template"],
                actor=admin_actor(request),
                reason=form.cleaned_data["reason"],
            )
            deliveries_enqueue_on_commit([delivery])
        except ValidationError as exc:
            form.add_error(None, validation_text(exc))
        else:
            messages.success(request, f"One-off {delivery.channel} message queued (delivery #{delivery.pk}).")
            return redirect(timeline)
    context = {
        **admin.site.each_context(request),
        "title": f"Send a one-off message to {customer}",
        "customer": customer,
        "form": form,
        "timeline_url": timeline,
    }
    return TemplateResponse(request, "admin/console/oneoff.html", context)
