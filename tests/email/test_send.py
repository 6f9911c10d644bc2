"""Sending email through the real anymail backends (Postmark, Mailgun) over real HTTP to the fake
ESP on 127.0.0.1: what the ESP receives, and how its answers (500, timeout, 422) drive retries and
fallback. Also the startup check and the ANYMAIL_* environment variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from channels.email import check_email_configuration
from channels.models import SandboxMessage
from notifications.models import Delivery, DeliveryAttempt
from notifications.services.dispatch import delivery_send
from tests.email.conftest import (
    approved_return,
    b64,
    email_delivery,
    postmark_headers,
    postmark_sends_for,
    process_events,
    run_pipeline,
    send_due,
)

pytestmark = pytest.mark.django_db
D, A = Delivery.Status, DeliveryAttempt.Outcome
ROOT = Path(__file__).resolve().parents[2]


def order_email_sent_first(esp) -> None:
    """Plan the events and send the order confirmation, so the next ESP call is the return's email."""
    process_events()
    delivery_send(delivery_id=email_delivery("order_confirmed").pk)
    esp.reset()


def test_postmark_receives_a_branded_multipart_email_with_unsubscribe_headers_metadata_and_qr(postmark):
    # given a customer whose return was just approved, and Waypost sending through Postmark
    ret = approved_return(name="Ana García", email="ana@example.com")
    customer, brand = ret.order.customer, ret.order.customer.brand

    # when the pipeline runs
    run_pipeline()

    # then Postmark got the return email once, as JSON with both bodies, sender and reply-to
    delivery = email_delivery("return_approved")
    [payload] = postmark_sends_for(postmark, "return_approved")
    assert payload["To"] == "ana@example.com"
    assert payload["From"] == f"{brand.sender_name} <{brand.sender_email}>"
    assert payload["ReplyTo"] == brand.support_email
    assert ret.order.external_id in payload["Subject"]
    assert ret.code in payload["TextBody"] and "{{" not in payload["TextBody"]
    html = payload["HtmlBody"]
    assert html.startswith("<!DOCTYPE html>") and f'lang="{customer.language}"' in html
    assert brand.name in html and "{{" not in html
    assert '<h1 style="' in html and "<style>" not in html  # CSS inlined (only the media query block stays)
    # and the List-Unsubscribe headers (RFC 2369 + RFC 8058 one-click)
    headers = postmark_headers(payload)
    mailto, https = [part.strip() for part in headers["List-Unsubscribe"].split(",")]
    assert mailto == f"<mailto:{brand.support_email}?subject=unsubscribe>"
    assert https.startswith("<http://127.0.0.1:8000/u/") and https.endswith("/>")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # and the delivery id as metadata and the type as the tag, for the webhooks
    assert payload["Metadata"] == {
        "delivery_id": str(delivery.pk),
        "notification_id": str(delivery.notification_id),
        "type": "return_approved",
        "idempotency_key": f"wp-{delivery.pk}-1",
    }
    assert payload["Tag"] == "return_approved"
    assert payload["TrackOpens"] is True
    # and the QR code of the return code as an inline PNG that the HTML shows
    [image] = payload["Attachments"]
    assert image["Name"] == "return-code.png" and image["ContentType"] == "image/png"
    assert b64(image["Content"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert image["ContentID"].startswith("cid:") and f'src="{image["ContentID"]}"' in html
    # and the server token went in Postmark's header
    [request] = [r for r in postmark.sends("postmark") if r["json"]["Tag"] == "return_approved"]
    assert request["headers"]["X-Postmark-Server-Token"] == "test-server-token"
    # and the delivery is sent, with Postmark's MessageID as its provider reference
    delivery.refresh_from_db()
    assert delivery.status == D.SENT and delivery.provider == "postmark"
    assert delivery.provider_message_id and delivery.attempts.get().outcome == A.ACCEPTED


def test_order_confirmation_carries_no_qr_image(postmark):
    # given an approved return (its order confirmation went out too)
    approved_return()

    # when the pipeline runs
    run_pipeline()

    # then the order confirmation is multipart with no attachment (only drop-off returns carry a QR)
    [payload] = postmark_sends_for(postmark, "order_confirmed")
    assert payload["HtmlBody"] and payload["TextBody"] and "Attachments" not in payload
    assert "cid:" not in payload["HtmlBody"]


def test_mailgun_receives_the_same_email_as_a_form(mailgun):
    # given an approved return, and Waypost sending through Mailgun
    ret = approved_return(email="li@example.com")
    brand = ret.order.customer.brand

    # when the pipeline runs
    run_pipeline()

    # then Mailgun got a form post to the sender domain's messages endpoint
    delivery = email_delivery("return_approved")
    [request] = [r for r in mailgun.sends("mailgun") if r["form"].get("o:tag") == "return_approved"]
    assert request["path"] == f"/v3/{brand.sender_email.split('@')[1]}/messages"
    assert request["headers"]["Authorization"].startswith("Basic ")  # api:<key>
    form = request["form"]
    assert form["to"] == "li@example.com"
    assert form["from"] == f"{brand.sender_name} <{brand.sender_email}>"
    assert form["h:Reply-To"] == brand.support_email
    assert ret.code in form["text"] and "<!DOCTYPE html>" in form["html"]
    assert form["h:List-Unsubscribe"].endswith("/>") and "/u/" in form["h:List-Unsubscribe"]
    assert form["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert form["v:delivery_id"] == str(delivery.pk) and form["v:type"] == "return_approved"
    assert form["o:tracking-opens"] == "yes"
    # and the QR code as an inline file named by its Content-ID, which the HTML references
    [image] = request["files"]
    assert image["field"] == "inline" and image["content_type"] == "image/png"
    assert b64(image["content_b64"]).startswith(b"\x89PNG")
    assert f'src="cid:{image["filename"]}"' in form["html"]
    delivery.refresh_from_db()
    assert delivery.status == D.SENT and delivery.provider == "mailgun"
    assert delivery.provider_message_id.startswith("<") and delivery.provider_message_id.endswith(">")


def test_esp_500_is_retried_then_sent(postmark):
    # given an approved return whose email is due, and Postmark answering the next call with a 500
    approved_return()
    order_email_sent_first(postmark)
    postmark.fail_next("500")

    # when the dispatcher sends, retries and sends again
    send_due()

    # then the first attempt was not sent and the retry was accepted: one email, no fallback
    delivery = email_delivery("return_approved")
    attempts = list(delivery.attempts.order_by("number"))
    assert [a.outcome for a in attempts] == [A.TRANSIENT, A.ACCEPTED]
    assert attempts[0].error_code == "http_500"
    assert [r["answered"] for r in postmark.sends("postmark")] == ["500", "ok"]
    assert [r["json"]["Metadata"]["idempotency_key"] for r in postmark.sends("postmark")] == [
        f"wp-{delivery.pk}-1",
        f"wp-{delivery.pk}-2",
    ]
    delivery.refresh_from_db()
    assert delivery.status == D.SENT
    assert not Delivery.objects.filter(channel="sms", notification=delivery.notification).exists()
    assert postmark.ledger.count(str(delivery.pk)) == 1


@pytest.mark.parametrize("esp,fault", [("postmark", "timeout"), ("postmark", "drop"), ("mailgun", "timeout")])
def test_esp_that_took_the_email_but_gave_no_answer_is_looked_up_not_sent_again(esp, fault, request):
    # given an approved return whose email is due, and an ESP that takes the next email but
    # answers after the client's timeout (or drops the connection without an answer)
    fake = request.getfixturevalue(esp)
    approved_return()
    order_email_sent_first(fake)
    fake.fail_next(fault)

    # when the dispatcher sends it and looks up the send whose outcome it cannot know
    send_due()

    # then the ESP's own record showed it: sent once, never again, the attempt accepted by look-up
    delivery = email_delivery("return_approved")
    [attempt] = delivery.attempts.all()
    assert (attempt.outcome, attempt.resolution) == (A.ACCEPTED, DeliveryAttempt.Resolution.FOUND)
    assert attempt.error_code == "no_response"
    assert [r["answered"] for r in fake.sends(esp)] == [fault]
    assert fake.ledger.count(str(delivery.pk)) == 1
    delivery.refresh_from_db()
    assert delivery.status == D.SENT and delivery.provider_message_id


def test_a_send_that_never_reached_postmark_is_sent_once_postmark_has_settled(postmark, settings, monkeypatch):
    # given a send claimed whose worker died before calling (Postmark's record lags up to 2 s)
    from notifications.services.dispatch import _claim_many
    from notifications.services.reconcile import deliveries_lease_expired

    settings.RECONCILE_SETTLE_SECONDS = {**settings.RECONCILE_SETTLE_SECONDS, "postmark": 2.0}
    approved_return()
    order_email_sent_first(postmark)
    delivery = email_delivery("return_approved")
    _claim_many([delivery.pk])
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now())
    deliveries_lease_expired()

    # when it is looked up before Postmark has settled, then nothing is sent
    send_due()
    delivery.refresh_from_db()
    assert delivery.status == D.RECONCILING and postmark.sends("postmark") == []
    # and once settled and still not found, it is sent, once
    Delivery.objects.filter(pk=delivery.pk).update(send_after=timezone.now())
    monkeypatch.setattr(timezone, "now", lambda real=timezone.now: real() + timezone.timedelta(seconds=3))
    send_due()
    delivery.refresh_from_db()
    assert delivery.status == D.SENT and len(postmark.sends("postmark")) == 1
    assert list(delivery.attempts.values_list("resolution", flat=True)) == [DeliveryAttempt.Resolution.NOT_FOUND, ""]


def test_invalid_address_422_fails_fast_to_sms(postmark):
    # given an approved return whose email is due, and Postmark refusing the address (422)
    ret = approved_return()
    order_email_sent_first(postmark)
    postmark.fail_next("invalid")

    # when the dispatcher sends
    send_due()

    # then one attempt only, permanent; the email failed and the SMS went out instead
    delivery = email_delivery("return_approved")
    [attempt] = delivery.attempts.all()
    assert attempt.outcome == A.PERMANENT and attempt.error_code == "recipient_refused"
    assert len(postmark.sends("postmark")) == 1
    delivery.refresh_from_db()
    assert delivery.status == D.FAILED
    sms = Delivery.objects.get(channel="sms", notification=delivery.notification)
    assert sms.status == D.DELIVERED
    assert SandboxMessage.objects.get(delivery=sms).to == ret.order.customer.phone


def test_mailgun_400_invalid_address_is_permanent(mailgun):
    # given an approved return whose email is due, and Mailgun rejecting the address (400)
    approved_return()
    order_email_sent_first(mailgun)
    mailgun.fail_next("invalid")

    # when the dispatcher sends
    send_due()

    # then it fails fast (no retry) to SMS
    delivery = email_delivery("return_approved")
    assert [a.outcome for a in delivery.attempts.all()] == [A.PERMANENT]
    assert delivery.attempts.get().error_code == "http_400"
    assert Delivery.objects.get(channel="sms", notification=delivery.notification).status == D.DELIVERED


def test_startup_check_names_the_missing_esp_setting(settings):
    # given Postmark chosen without its server token
    settings.WAYPOST_PROVIDERS = {**settings.WAYPOST_PROVIDERS, "email": "postmark"}
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {}

    # when the startup check runs, then it fails naming the setting
    with pytest.raises(ImproperlyConfigured, match="POSTMARK_SERVER_TOKEN"):
        check_email_configuration()


def _manage_check(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANYMAIL_", "EMAIL_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_refuses_to_start_without_the_token_and_reads_anymail_env_vars():
    # given EMAIL_PROVIDER=postmark and no token, when any command starts, then it fails clearly
    failed = _manage_check(EMAIL_PROVIDER="postmark")
    assert failed.returncode != 0
    assert "EMAIL_PROVIDER=postmark" in failed.stderr and "POSTMARK_SERVER_TOKEN" in failed.stderr

    # given the token as ANYMAIL_POSTMARK_SERVER_TOKEN, then it starts (the generic env loop)
    ok = _manage_check(EMAIL_PROVIDER="postmark", ANYMAIL_POSTMARK_SERVER_TOKEN="x")
    assert ok.returncode == 0, ok.stderr
