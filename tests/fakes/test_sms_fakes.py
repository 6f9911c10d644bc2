"""The fake Twilio and Vonage through the real SDKs: faults set at run time, the ledger keyed by
Waypost's reference (Twilio's StatusCallback ``delivery``, Vonage's client-ref), Twilio's Messages
list found by the SDK's ``messages.list``, and Vonage's signed delivery receipts posted to a
receiver, signed as Waypost's DLR webhook checks them."""

import datetime as dt
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from vonage import Auth, HttpClientOptions, Vonage
from vonage_messages import WhatsappText
from vonage_sms import SmsMessage
from vonage_sms.errors import SmsError

from channels.webhooks_sms import vonage_signature
from tests.fakes.twilio import FakeTwilio
from tests.fakes.vonage import FakeVonage

ACCOUNT, TOKEN = "AC0123456789", "twilio-token"
SECRET = "dlr-signature-secret-0123456789"
CALLBACK = "https://waypost.example/webhooks/twilio/status/?delivery={}"


@pytest.fixture
def twilio():
    fake = FakeTwilio.create().start()
    yield fake
    fake.stop()


@pytest.fixture
def vonage():
    fake = FakeVonage.create().start()
    yield fake
    fake.stop()


def twilio_client(fake: FakeTwilio) -> Client:
    class Rebased(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            url = url.replace("https://api.twilio.com", fake.base_url)
            return super().request(method, url, *args, **kwargs)

    return Client(ACCOUNT, TOKEN, http_client=Rebased(timeout=0.5))


def vonage_client(fake: FakeVonage, *, pool_maxsize: int = 1) -> Vonage:
    """The SDK as Waypost sets it up: no retries, one pooled connection, the fake's CA trusted."""
    from requests.adapters import HTTPAdapter

    class TrustFake(HTTPAdapter):
        def send(self, request, **kwargs):
            return super().send(request, **{**kwargs, "verify": fake.ca_path})

    options = HttpClientOptions(
        api_host=fake.netloc,
        rest_host=fake.netloc,
        timeout=2,
        max_retries=0,
        pool_connections=1,
        pool_maxsize=pool_maxsize,
    )
    client = Vonage(Auth(api_key="key", api_secret="secret"), options)
    adapter = TrustFake(pool_connections=1, pool_maxsize=pool_maxsize)
    client.http_client._session.mount("https://", adapter)
    return client


def sms(reference, to="33612345678") -> SmsMessage:
    return SmsMessage(to=to, from_="WAYPOST", text="Your order shipped", client_ref=str(reference))


def whatsapp(reference) -> WhatsappText:
    return WhatsappText(to="33612345678", from_="14155550100", text="Hi", client_ref=str(reference))


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that keeps every form posted to it."""

    def __init__(self):
        self.posts: list[dict] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                receiver.posts.append(dict(urllib.parse.parse_qsl(body, keep_blank_values=True)))
                receiver.arrived.set()
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/vonage/sms/dlr/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def wait(self, timeout: float = 5.0) -> dict:
        assert self.arrived.wait(timeout), "no receipt arrived"
        return self.posts[0]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


# --- Twilio ---------------------------------------------------------------------------------------


def test_twilio_ledger_is_keyed_by_the_status_callback_delivery(twilio):
    # Given a Twilio that drops the connection after taking the message
    twilio.set_faults(drop=1.0)

    # When Waypost sends an SMS whose status callback names delivery 55
    with pytest.raises(requests.ConnectionError):
        twilio_client(twilio).messages.create(
            to="+12025550123", from_="+12025550100", body="Shipped", status_callback=CALLBACK.format(55)
        )

    # Then Twilio accepted it once, under delivery 55
    assert twilio.accepted()["by_reference"] == {"55": 1}
    assert twilio.accepted()["messages"][0]["fault"] == "drop"


def test_a_hung_twilio_send_times_out_and_is_found_by_the_list(twilio):
    # Given a Twilio holding its answers past the client's 0.5 s timeout
    twilio.set_faults(hang=1.0, hang_seconds=1.5)
    client = twilio_client(twilio)

    # When Waypost sends, and looks the message up after the timeout
    with pytest.raises(requests.ReadTimeout):
        client.messages.create(
            to="+12025550123", from_="+12025550100", body="Shipped", status_callback=CALLBACK.format(59)
        )
    twilio.clear_faults()
    found = client.messages.list(to="+12025550123")

    # Then the message was accepted once and the list finds it
    assert twilio.ledger.count(59) == 1
    assert [m.sid for m in found] == [twilio.ledger.messages("twilio", reference=59)[0].id]


def test_twilio_messages_list_finds_the_sent_message_by_to_and_date(twilio):
    # Given one SMS sent through the SDK to a customer, and one to somebody else
    client = twilio_client(twilio)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    sent = client.messages.create(
        to="+12025550123", from_="+12025550100", body="Shipped", status_callback=CALLBACK.format(56)
    )
    client.messages.create(to="+12025550999", from_="+12025550100", body="Other", status_callback=CALLBACK.format(57))

    # When Waypost lists the messages to that customer sent since a minute ago
    found = client.messages.list(to="+12025550123", date_sent_after=before)

    # Then it finds the one it sent, parsed by the SDK
    assert [m.sid for m in found] == [sent.sid]
    [message] = found
    assert message.to == "+12025550123" and message.from_ == "+12025550100"
    assert message.body == "Shipped"
    assert message.status == "sent" and message.num_segments == "1" and message.price == "-0.00790"
    assert before <= message.date_sent <= dt.datetime.now(dt.UTC)
    # and the SDK fetches it by its sid
    assert client.messages(sent.sid).fetch().to == "+12025550123"
    # and nothing is found from a minute in the future, nor to a number never texted
    later = before + dt.timedelta(minutes=2)
    assert client.messages.list(to="+12025550123", date_sent_after=later) == []
    assert client.messages.list(to="+12025550000") == []


def test_twilio_messages_list_pages_through_next_page_uri(twilio):
    # Given three SMS to the same customer
    client = twilio_client(twilio)
    sids = [
        client.messages.create(
            to="+12025550123", from_="+12025550100", body=f"Text {i}", status_callback=CALLBACK.format(60 + i)
        ).sid
        for i in range(3)
    ]

    # When the SDK lists them two to a page
    found = client.messages.list(to="+12025550123", page_size=2)

    # Then it follows the next page and gets all three, newest first
    assert [m.sid for m in found] == sids[::-1]


def test_twilio_messages_list_wants_credentials(twilio):
    # Given the Messages list of an account
    url = f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"

    # When it is asked for without credentials
    answer = requests.get(url, timeout=5)

    # Then Twilio's 401 (code 20003)
    assert answer.status_code == 401 and answer.json()["code"] == 20003


def test_twilio_throttles_with_code_20429_when_told_at_run_time(twilio):
    # Given a 429 share of 1 posted to the running fake
    requests.post(f"{twilio.base_url}/_fake/faults", json={"429": 1.0}, timeout=5)

    # When Waypost sends
    with pytest.raises(TwilioRestException) as raised:
        twilio_client(twilio).messages.create(
            to="+12025550123", from_="+12025550100", body="Shipped", status_callback=CALLBACK.format(58)
        )

    # Then Twilio's throttling answer, and nothing accepted
    assert raised.value.status == 429 and raised.value.code == 20429
    assert twilio.accepted()["total"] == 0


# --- Vonage ---------------------------------------------------------------------------------------


def test_vonage_throttles_with_status_1_when_told_at_run_time(vonage):
    # Given a 429 share of 1 posted to the running fake
    requests.post(f"{vonage.base_url}/_fake/faults", json={"429": 1.0}, verify=vonage.ca_path, timeout=5)

    # When Waypost sends an SMS through the SMS API
    with pytest.raises(SmsError) as raised:
        vonage_client(vonage).sms.send(sms(70))

    # Then the SMS API's throttled status (1), and nothing accepted
    assert "Throttled" in str(raised.value)
    assert vonage.sent("/sms/json")[0].answer["messages"][0]["status"] == "1"
    assert vonage.accepted()["total"] == 0


def test_vonage_messages_api_throttles_with_http_429(vonage):
    # Given a 429 share of 1
    vonage.set_faults(http429=1.0)

    # When Waypost sends a WhatsApp text through the Messages API
    with pytest.raises(Exception) as raised:
        vonage_client(vonage).messages.send(whatsapp(71))

    # Then HTTP 429 in the Messages API's shape, and nothing accepted
    assert raised.value.response.status_code == 429
    assert raised.value.response.json()["title"] == "Rate Limit Hit"
    assert vonage.accepted()["total"] == 0


def test_vonage_messages_api_ledger_is_keyed_by_client_ref(vonage):
    # Given a working Messages API
    # When Waypost sends a WhatsApp text with client_ref 72
    sent = vonage_client(vonage).messages.send(whatsapp(72))

    # Then the ledger holds it under 72 with the answered message uuid
    [message] = vonage.accepted()["messages"]
    assert message["reference"] == "72" and message["id"] == sent.message_uuid
    assert message["api"] == "messages"


def test_a_dropped_vonage_sms_is_sent_twice_by_an_sdk_that_retries_on_remote_disconnected(vonage):
    # Given Vonage dropping the first connection, and the SDK re-sending on RemoteDisconnected
    vonage.answer_next("drop")

    # When Waypost sends one SMS with a pool of two connections (the SDK re-sends once)
    vonage_client(vonage, pool_maxsize=2).sms.send(sms(73))

    # Then the provider accepted two messages for one reference: a duplicate only it can count
    assert vonage.accepted()["by_reference"] == {"73": 2}
    assert [m["fault"] for m in vonage.accepted()["messages"]] == ["drop", None]


@pytest.mark.parametrize("method", ["md5hash", "sha256"])
def test_vonage_posts_a_signed_delivery_receipt(vonage, receiver, method):
    # Given the fake Vonage sending receipts to a receiver, signed with the shared secret
    vonage.set_dlr(receiver.url, secret=SECRET, method=method, delay_ms=50)

    # When Waypost sends an SMS with client-ref 80
    response = vonage_client(vonage).sms.send(sms(80))

    # Then a delivered receipt for that message arrives, signed as Waypost's webhook checks it
    receipt = receiver.wait()
    assert receipt["sig"] == vonage_signature(receipt, secret=SECRET, method=method)
    assert receipt["messageId"] == response.messages[0].message_id and receipt["client-ref"] == "80"
    assert receipt["status"] == "delivered" and receipt["err-code"] == "0"
    assert receipt["msisdn"] == "33612345678"
    assert receipt["to"] == "WAYPOST" and receipt["api-key"] == "key"
    assert abs(int(receipt["timestamp"]) - time.time()) < 60


@pytest.mark.django_db
def test_the_delivery_receipt_passes_waypost_dlr_webhook(vonage, receiver, client, settings):
    # Given Waypost's signature secret, and a receipt the fake posted for an SMS
    settings.VONAGE_SIGNATURE_SECRET, settings.VONAGE_SIGNATURE_METHOD = SECRET, "md5hash"
    vonage.set_dlr(receiver.url, secret=SECRET, delay_ms=0)
    vonage_client(vonage).sms.send(sms(81))
    receipt = receiver.wait()

    # When that receipt is posted to Waypost's SMS DLR webhook
    answer = client.post("/webhooks/vonage/sms/dlr/", receipt)

    # Then the webhook takes it (a bad signature would be a 401)
    assert answer.status_code == 204, answer.content


def test_a_dropped_sms_still_gets_its_receipt_and_the_answer_never_waits_for_it(vonage, receiver):
    # Given receipts a second after each send, and a dropped connection
    vonage.set_dlr(receiver.url, secret=SECRET, delay_ms=1000)
    vonage.set_faults(drop=1.0)

    # When Waypost sends
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        vonage_client(vonage).sms.send(sms(82))
    elapsed = time.monotonic() - started

    # Then the client heard at once, and the receipt for the accepted message came later
    assert elapsed < 0.5 and receiver.posts == []
    assert receiver.wait()["client-ref"] == "82"


def test_lost_receipts_and_a_receiver_that_is_down(vonage, receiver):
    # Given no receipt at all (share 0): the SMS is accepted and no receipt comes
    vonage.set_dlr(receiver.url, secret=SECRET, delay_ms=0, share=0.0)
    vonage_client(vonage).sms.send(sms(83))
    time.sleep(0.2)
    assert receiver.posts == [] and vonage.dlr.lost == 1

    # When receipts go to a port where nothing listens
    receiver.server.shutdown()
    receiver.server.server_close()
    vonage.set_dlr(receiver.url, secret=SECRET, delay_ms=0)
    vonage_client(vonage).sms.send(sms(84))

    # Then the receipt is dropped and counted, and the fake goes on accepting
    deadline = time.monotonic() + 5
    while vonage.dlr.failed == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert vonage.dlr.failed == 1
    vonage_client(vonage).sms.send(sms(85))
    assert vonage.accepted()["total"] == 3
