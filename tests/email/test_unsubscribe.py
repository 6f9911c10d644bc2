"""One-click unsubscribe (RFC 8058): the signed URL from a sent email's List-Unsubscribe header
turns that notification type off on email in one POST with no session and no CSRF token; only a
valid signature works; GET shows a confirmation page; critical types lead to the preference center."""

import re

import pytest
from django.test import Client

from catalogue.email_layout import list_unsubscribe_headers
from catalogue.models import NotificationType
from preferences.models import ConsentLog, TypePreference
from preferences.unsubscribe import unsubscribe_link_for, unsubscribe_token_for
from tests.email.conftest import approved_return, postmark_headers, postmark_sends_for, run_pipeline

pytestmark = pytest.mark.django_db


def header_url(payload: dict) -> str:
    return re.search(r"<(https?://[^>]+)>", postmark_headers(payload)["List-Unsubscribe"]).group(1)


def path_of(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[1]


@pytest.fixture
def sent_unsubscribe_url(postmark):
    ret = approved_return()
    run_pipeline()
    [payload] = postmark_sends_for(postmark, "return_approved")
    return ret.order.customer, header_url(payload)


def test_one_click_post_unsubscribes_without_session_or_csrf(sent_unsubscribe_url):
    customer, url = sent_unsubscribe_url
    client = Client(enforce_csrf_checks=True)  # a mail client: no cookie, no CSRF token

    # when the mail client posts the RFC 8058 body to the header's URL
    response = client.post(
        path_of(url), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    # then the customer no longer gets that type by email, recorded in the consent log
    assert response.status_code == 200
    assert not response.cookies  # no session was started
    pref = TypePreference.objects.get(customer=customer, type_key="return_approved", channel="email")
    assert pref.enabled is False
    log = ConsentLog.objects.get(customer=customer)
    assert (log.channel, log.type_key, log.new_state, log.source) == (
        "email",
        "return_approved",
        "opted_out",
        "email_unsubscribe",
    )
    # and a second click changes nothing more
    assert client.post(path_of(url)).status_code == 200
    assert ConsentLog.objects.filter(customer=customer).count() == 1


def test_a_tampered_signature_is_rejected_and_changes_nothing(sent_unsubscribe_url):
    customer, url = sent_unsubscribe_url
    tampered = path_of(url)[:-3] + ("A" if path_of(url)[-3] != "A" else "B") + path_of(url)[-2:]
    other_type = "/u/" + unsubscribe_token_for(customer=customer, type_key="return_approved").replace(":", "x", 1) + "/"

    for bad in (tampered, other_type, "/u/not-a-token/"):
        assert Client(enforce_csrf_checks=True).post(bad).status_code == 400
    assert not TypePreference.objects.exists() and not ConsentLog.objects.exists()


def test_get_shows_a_confirmation_page_that_posts(sent_unsubscribe_url):
    customer, url = sent_unsubscribe_url

    # when the customer opens the link in a browser
    response = Client().get(path_of(url))

    # then a small page asks to confirm with a POST button, and nothing changed yet
    assert response.status_code == 200
    assert b'<form method="post">' in response.content and b"Return approved" in response.content
    assert not TypePreference.objects.exists()


def test_critical_types_lead_to_the_preference_center(postmark):
    # given a customer and a critical type (refunds)
    customer = approved_return().order.customer
    refund = NotificationType.objects.get(key="refund_processed")
    assert refund.critical

    # then its List-Unsubscribe link is the preference page, without the one-click hint
    link = unsubscribe_link_for(customer=customer, notification_type=refund)
    assert "/p/" in link
    headers = list_unsubscribe_headers(url=link, mailto="help@example.com", one_click=not refund.critical)
    assert "List-Unsubscribe-Post" not in headers
    # and a one-click token for it (never issued, but signed) leads there without changing anything
    token = unsubscribe_token_for(customer=customer, type_key="refund_processed")
    response = Client(enforce_csrf_checks=True).post(f"/u/{token}/")
    assert response.status_code == 302 and "/p/" in response["Location"]
    assert not TypePreference.objects.exists()
