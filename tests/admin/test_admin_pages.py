"""Every registered model's changelist, change and add pages render for a superuser."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerIdentity
from inventory.models import BackInStockSubscription
from inventory.services import stock_level_update
from orders.services import LineInput, order_create, shipment_create, shipment_event_record
from partners.models import IdempotencyKey
from partners.services import partner_create
from returns.services import return_create
from tests.factories import CustomerFactory, ProductFactory, SalesChannelFactory

OUR_APPS = {"core", "preferences", "orders", "returns", "inventory"}
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.fixture
def one_of_everything(db, superuser):
    """At least one row of every model of our apps (and of the third-party ones we can make)."""
    channel = SalesChannelFactory()
    customer = CustomerFactory(brand=channel.brand)
    CustomerIdentity.objects.create(customer=customer, sales_channel=channel, external_id="C-1")
    product = ProductFactory(brand=channel.brand, sku="TENT-1")
    stock_level_update(product=product, on_hand=3)
    order, _ = order_create(
        sales_channel=channel,
        external_id="1001",
        customer=customer,
        lines=[
            LineInput(sku="TENT-1", quantity=1, unit_price=Decimal("300")),
            LineInput(sku="SOCK-1", quantity=2, unit_price=Decimal("10"), backordered=True),
        ],
    )
    first_line = order.lines.first()
    shipment, _ = shipment_create(order=order, carrier="ups", tracking_number="1Z1", lines=[(first_line, 1)])
    shipment_event_record(shipment=shipment, status="shipped", occurred_at=timezone.now(), carrier_code="PU")
    return_create(order=order, lines=[(first_line, 1)], reason="Too big")
    BackInStockSubscription.objects.create(customer=customer, product=product)
    partner, _ = partner_create(name="shop", sales_channels=[channel])
    IdempotencyKey.objects.create(
        partner=partner,
        key="k1",
        method="POST",
        path="/api/v1/orders/",
        request_hash="0" * 64,
        response_status=201,
        response_body={},
    )
    _make_optional_rows(customer)
    Group.objects.create(name="Support agents")


def _make_optional_rows(customer):
    """Rows of models owned by other modules, made only when those models exist."""
    from preferences import models as prefs

    if hasattr(prefs, "ChannelConsent"):
        prefs.ChannelConsent.objects.create(customer=customer, channel="sms", state="opted_out", source="sms_keyword")
    if hasattr(prefs, "TypePreference"):
        prefs.TypePreference.objects.create(customer=customer, type_key="shipment_shipped", channel="email")
    if hasattr(prefs, "PushSubscription"):  # preference center (issue 6)
        prefs.PushSubscription.objects.create(
            customer=customer, endpoint="https://push.example/abc", p256dh="k", auth="a"
        )
    from orders import models as orders_models

    if hasattr(orders_models, "IntakeRecord"):  # order intake (issue 7)
        channel = customer.identities.first().sales_channel
        orders_models.ChannelIntakeSettings.objects.create(sales_channel=channel, webhook_secret="s")
        orders_models.IntakeRecord.objects.create(
            kind="partner",
            source=f"partner:{channel.slug}",
            topic="order",
            sales_channel=channel,
            raw_body="{}",
            status="failed",
            errors=[{"field": "lines", "rule": "required", "message": ""}],
        )
        orders_models.CarrierAccount.objects.create(carrier="dhl", adapter="dhl", base_url="http://127.0.0.1:9")
    try:
        from django_celery_beat import models as beat
    except ImportError:
        return
    interval = beat.IntervalSchedule.objects.create(every=5, period=beat.IntervalSchedule.MINUTES)
    beat.CrontabSchedule.objects.create(minute="0", hour="3")
    beat.SolarSchedule.objects.create(event="sunrise", latitude=Decimal("45.5"), longitude=Decimal("-122.6"))
    beat.ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1))
    beat.PeriodicTask.objects.create(name="sweep", task="notifications.tasks.sweep", interval=interval)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_change_and_add_pages_render(model, admin_client_as, one_of_everything):
    # Given one row of the model (for our apps) and a logged-in superuser
    obj = model._default_manager.order_by("pk").first()
    if obj is None and model._meta.app_label in OUR_APPS:
        pytest.fail(f"the fixture made no {model._meta.label} row")

    # When they open the changelist (also searched, when the admin has search fields)
    changelist = admin_client_as.get(_url(model, "changelist"))
    searched = admin_client_as.get(_url(model, "changelist"), {"q": "a"})

    # Then it renders
    assert changelist.status_code == 200
    assert searched.status_code == 200

    # And the change page of a row renders (read-only admins show it as a view page)
    if obj is None:
        pytest.skip(f"no {model._meta.label} row to open (a model of another module)")
    assert admin_client_as.get(_url(model, "change", obj.pk)).status_code == 200

    # And the add page renders wherever adding is allowed
    model_admin = admin.site._registry[model]
    request = changelist.wsgi_request
    if model_admin.has_add_permission(request):
        assert admin_client_as.get(_url(model, "add")).status_code == 200


def test_status_fields_are_read_only_in_forms(admin_client_as, one_of_everything):
    # Given the change pages of the models with a status
    from orders.models import Order, OrderLine, Shipment
    from returns.models import ReturnRequest

    for model, field in [
        (Order, "status"),
        (Shipment, "status"),
        (ReturnRequest, "status"),
        (OrderLine, "backorder_state"),
    ]:
        obj = model.objects.first()
        # When the page is opened
        response = admin_client_as.get(_url(model, "change", obj.pk))
        # Then the status is shown, but there is no input for it
        assert response.status_code == 200
        assert f'name="{field}"' not in response.content.decode(), model


def test_order_changelist_queries_do_not_grow_with_rows(admin_client_as, django_assert_max_num_queries, db):
    # Given a few orders
    from tests.factories import OrderFactory

    OrderFactory.create_batch(3)
    with django_assert_max_num_queries(30) as few:
        admin_client_as.get(_url(OrderFactory._meta.model, "changelist"))
    # When there are many more
    OrderFactory.create_batch(15)
    # Then the changelist needs no more queries (customers and channels are joined, not fetched per row)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client_as.get(_url(OrderFactory._meta.model, "changelist"))
