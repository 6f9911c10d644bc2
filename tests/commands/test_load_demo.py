"""``manage.py load_demo``: a realistic demo built through the services, idempotent."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from orders.models import Order, OrderLine, Shipment
from partners.models import Partner, hash_token
from returns.models import ReturnRequest

pytestmark = pytest.mark.django_db
DOMAIN_APPS = ("core", "preferences", "orders", "returns", "inventory")


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    counted = [m for app in DOMAIN_APPS for m in apps.get_app_config(app).get_models()]
    counted.append(get_user_model())
    return {m._meta.label: m._default_manager.count() for m in counted}


def test_second_run_adds_nothing(settings):
    # Given the demo loaded once
    settings.SITE_URL = "http://demo.test:8000"
    first = load()
    counts = row_counts()

    # When it is loaded again
    second = load()

    # Then no table of the domain (nor the users) gained or lost a row
    assert row_counts() == counts
    assert "nothing added" in second
    # And the partner token was printed the first time only
    assert "Partner API token" in first and "Partner API token" not in second
    # And both runs print the admin URL, the API docs URL and a preference page URL on SITE_URL
    for output in (first, second):
        assert "http://demo.test:8000/admin/" in output
        assert "http://demo.test:8000/api/docs/" in output
        assert "http://demo.test:8000/p/" in output


def test_demo_covers_the_stories():
    # When the demo is loaded
    output = load()

    # Then there are ~8 customers in several languages, and orders in many states
    from customers.models import Customer

    assert Customer.objects.count() == 8
    assert {"en-US", "es-MX", "fr-FR", "de-DE"} <= set(Customer.objects.values_list("language", flat=True))
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"processing", "partially_shipped", "shipped", "delivered", "cancelled"} <= statuses
    assert {"shipped", "in_transit", "delivered", "delivery_exception"} <= set(
        Shipment.objects.values_list("status", flat=True)
    )
    assert OrderLine.objects.filter(backorder_state="backordered").count() == 1
    assert ReturnRequest.objects.get().status == "received"
    # And the partner token printed is the one whose hash is stored (nothing else stored in plain)
    token = next(word for word in output.split() if word.startswith("wp_"))
    assert Partner.objects.get(name="Northwind demo shop").token_hash == hash_token(token)


def test_admin_user_is_created_with_demo_password(client):
    # When the demo is loaded on an empty database
    output = load()

    # Then admin / waypost-demo can log in, and the output says so
    assert "user admin, password waypost-demo" in output
    assert client.login(username="admin", password="waypost-demo")


def test_existing_admin_password_is_never_overwritten(django_user_model):
    # Given an admin account with its own password
    django_user_model.objects.create_superuser("admin", "ops@example.com", "s3cret-own")

    # When the demo is loaded
    output = load()

    # Then the password is unchanged and the output does not claim otherwise
    user = django_user_model.objects.get(username="admin")
    assert user.check_password("s3cret-own")
    assert "password left unchanged" in output
