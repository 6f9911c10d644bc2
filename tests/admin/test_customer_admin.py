"""Customers in the admin: contact data is validated and normalised like the API does, and
changes go through customer_update (audited)."""

import pytest

from core.models import AuditLog
from tests.admin.conftest import management_forms
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def form_data(customer, **changes):
    data = {
        "brand": customer.brand_id,
        "name": customer.name,
        "tier": customer.tier,
        "tags": "[]",
        "email": customer.email,
        "phone": customer.phone,
        "language": customer.language,
        "time_zone": customer.time_zone,
        "country": customer.country,
    }
    return {**data, **changes}


def test_national_phone_is_saved_in_e164_through_the_service(admin_client_as):
    # Given a customer in Mexico
    customer = CustomerFactory(country="MX", phone="+525512345678", language="es", time_zone="America/Mexico_City")
    url = f"/admin/customers/customer/{customer.pk}/change/"
    inlines = management_forms(admin_client_as.get(url))

    # When an agent types a national number and a lower-case language tag
    response = admin_client_as.post(url, {**form_data(customer, phone="55 8765 4321", language="es-mx"), **inlines})

    # Then the customer has the E.164 number and canonical tag, and the change is audited
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert (customer.phone, customer.language) == ("+525587654321", "es-MX")
    row = AuditLog.objects.get(object_id=str(customer.pk), action="updated")
    assert row.actor == "user:agent" and row.data == {"fields": ["language", "phone"]}


def test_invalid_phone_is_refused_with_a_clear_message(admin_client_as):
    # Given a customer
    customer = CustomerFactory()
    url = f"/admin/customers/customer/{customer.pk}/change/"
    inlines = management_forms(admin_client_as.get(url))

    # When an agent types an invalid number
    response = admin_client_as.post(url, {**form_data(customer, phone="12"), **inlines})

    # Then the form is shown again with the validator's message and nothing changed
    assert response.status_code == 200
    assert (
        "is not a valid phone number" in response.content.decode()
        or "is not a phone number" in response.content.decode()
    )
    before = customer.phone
    customer.refresh_from_db()
    assert customer.phone == before


def test_customer_page_links_to_their_preference_page(admin_client_as, settings):
    # Given a customer
    settings.SITE_URL = "https://waypost.example.com"
    customer = CustomerFactory()
    # When an agent opens their page
    page = admin_client_as.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    # Then it links to the customer's preference page
    assert 'href="https://waypost.example.com/p/' in page
