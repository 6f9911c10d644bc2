"""Agents see a customer's preferences, push subscriptions and consent log, and can send a fresh
preference link to the address on file."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from channels.models import SandboxMessage
from customers.models import Customer
from preferences.models import ConsentLog
from preferences.services import consent_set
from tests.factories import CustomerFactory
from tests.preferences.helpers import instant_pipeline, run_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("agent", "agent@example.com", "pw"))
    return client


def test_customer_page_shows_consent_log_and_preferences(agent):
    customer = CustomerFactory()
    consent_set(customer=customer, channel="sms", state="opted_out", source="sms_keyword", actor="sms:+14155550000")
    html = agent.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert "Consent log" in html or "consent log" in html.lower()
    assert "sms:+14155550000" in html and "Customer preferences" in html
    assert agent.get(reverse("admin:preferences_pushsubscription_changelist")).status_code == 200
    assert ConsentLog.objects.count() == 1


def test_send_fresh_link_action_sends_to_the_address_on_file(agent):
    # given a customer with an email on file
    instant_pipeline()
    customer = CustomerFactory(email="emma@example.com")

    # when an agent runs the action and the pipeline does its work
    response = agent.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "send_preference_link", helpers.ACTION_CHECKBOX_NAME: [customer.pk]},
        follow=True,
    )
    run_pipeline()

    # then the agent is told it goes by email, and it went there with a link to the preference page
    assert "on its way to 1 customer(s) (1 by email)" in response.content.decode()
    message = SandboxMessage.objects.get()
    assert message.to == "emma@example.com" and "/p/" in message.body_text
    assert Customer.objects.count() == 1
