"""SMS sends whose outcome nobody knows (the provider took the text but the answer never came):
Twilio's are looked up in its message list, Vonage's wait for a receipt carrying our reference.
Counted at the provider: the fakes' ledgers of what they accepted."""

import pytest

from demo.report import pipeline_report
from notifications.models import Delivery, DeliveryAttempt
from notifications.selectors import deliveries_reconcile_due
from notifications.services.reconcile import deliveries_reconcile
from tests.sms.conftest import customer_with_shipment, run_pipeline, scan, signed_vonage

pytestmark = pytest.mark.django_db
D, A, R = Delivery.Status, DeliveryAttempt.Outcome, DeliveryAttempt.Resolution


def _shipped_sms(phone="+33612340077"):
    customer, shipment = customer_with_shipment(phone=phone, country="FR")
    scan(shipment, "shipped")
    run_pipeline()
    return customer, Delivery.objects.get(notification__customer=customer, channel="sms")


def _reconcile_due() -> None:
    deliveries_reconcile(delivery_ids=list(deliveries_reconcile_due().values_list("pk", flat=True)))


def test_twilio_text_that_timed_out_is_found_in_twilio_s_list_and_not_sent_again(
    sms_providers, instant, fake_twilio, fake_vonage
):
    # given Twilio taking the text but answering after the client's timeout
    sms_providers.SMS_ROUTES = "*=twilio"
    sms_providers.TWILIO_TIMEOUT_SECONDS = 0.5
    sms_providers.RECONCILE_FIRST_LOOKUP_SECONDS = 0
    fake_twilio.set_faults(hang=1.0, hang_seconds=1.5)

    # when the shipped SMS is sent, and then looked up
    _customer, sms = _shipped_sms()
    assert sms.status == D.RECONCILING
    fake_twilio.clear_faults()
    _reconcile_due()

    # then Twilio's list showed the same text to that number: sent, never sent again
    sms.refresh_from_db()
    [attempt] = sms.attempts.all()
    assert sms.status == D.SENT and sms.provider_message_id.startswith("SM")
    assert (attempt.outcome, attempt.resolution) == (A.ACCEPTED, R.FOUND) and attempt.body_digest
    assert fake_twilio.ledger.count(str(sms.pk)) == 1 and len(fake_twilio.sent("/Messages.json")) == 1


def test_vonage_text_whose_answer_was_dropped_is_settled_by_its_receipt(
    client, sms_providers, instant, fake_vonage, fake_twilio
):
    # given Vonage taking the text, then dropping the connection before answering
    sms_providers.SMS_ROUTES = "*=vonage"
    fake_vonage.set_faults(drop=1.0)
    _customer, sms = _shipped_sms()

    # then nothing more is sent: Vonage has no look-up, so the text waits for its receipt
    assert sms.status == D.RECONCILING and sms.send_after > sms.updated_at
    [accepted] = fake_vonage.ledger.messages(reference=str(sms.pk))
    # when Vonage's signed receipt for it arrives (our delivery id as client-ref)
    receipt = {
        "msisdn": sms.to.lstrip("+"),
        "to": "WAYPOST",
        "network-code": "20801",
        "messageId": accepted.id,
        "price": "0.03330000",
        "status": "delivered",
        "scts": "2601011200",
        "err-code": "0",
        "api-key": "key",
        "client-ref": str(sms.pk),
        "message-timestamp": "2026-01-01 12:00:00",
    }
    assert client.post("/webhooks/vonage/sms/dlr/", signed_vonage(receipt)).status_code == 204

    # then it is delivered, the attempt accepted by receipt, one text at Vonage
    sms.refresh_from_db()
    [attempt] = sms.attempts.all()
    assert sms.status == D.DELIVERED and sms.provider_message_id == accepted.id
    assert (attempt.outcome, attempt.resolution) == (A.ACCEPTED, R.RECEIPT)
    assert fake_vonage.ledger.count(str(sms.pk)) == 1


def test_vonage_text_whose_receipt_never_came_is_sent_again_and_the_figures_see_the_copy(
    sms_providers, instant, fake_vonage, fake_twilio
):
    # given Vonage dropping the answer of a text it took, and no receipt within the wait
    sms_providers.SMS_ROUTES = "*=vonage"
    sms_providers.RECONCILE_SETTLE_SECONDS = {**sms_providers.RECONCILE_SETTLE_SECONDS, "vonage": 0.0}
    fake_vonage.set_faults(drop=1.0)
    customer, sms = _shipped_sms()
    fake_vonage.clear_faults()

    # when the receipt wait is over, the text is sent again (the only way not to lose it)
    _reconcile_due()
    run_pipeline()

    # then Vonage holds it twice: the residual risk of a provider without a look-up, and the
    # report, counted at the provider, says so where Waypost's own tables would not
    sms.refresh_from_db()
    assert sms.status == D.SENT and fake_vonage.ledger.count(str(sms.pk)) == 2
    assert [a.resolution for a in sms.attempts.order_by("number")] == [R.NOT_FOUND, ""]
    report = pipeline_report(brand_ids=[customer.brand_id])
    assert report["duplicates"] == 1 and report["internal_duplicates"] == 0
    assert report["lost"] == 0 and report["unmeasured_providers"] == {}
