"""The fake ESP's brownout faults, ledger and look-ups, through the real anymail backends: a
dropped or hung send was accepted (one message in the ledger under its delivery id) though the
client saw an error; a 500 or 429 was not; Postmark's message search and Mailgun's events API find
a message by what Waypost sent with it, and nothing else."""

import datetime as dt

import pytest
import requests
from anymail.exceptions import AnymailRequestsAPIError
from anymail.message import AnymailMessage
from urllib3.exceptions import ProtocolError

from tests.fakes.esp import FakeESP
from tests.fakes.esp_search import EASTERN

TOKEN = "server-token"


@pytest.fixture
def esp():
    with FakeESP() as fake:
        yield fake


@pytest.fixture
def postmark(settings, esp):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": esp.url, "REQUESTS_TIMEOUT": 0.5}
    return esp


@pytest.fixture
def mailgun(settings, esp):
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_API_URL": f"{esp.url}v3",
        "MAILGUN_SENDER_DOMAIN": "mg.example.com",
        "REQUESTS_TIMEOUT": 0.5,
    }
    return esp


def email(delivery_id, to="ada@example.com", tag="order_shipped") -> AnymailMessage:
    return AnymailMessage(
        subject="Your order shipped",
        body="On its way.",
        from_email="shop@example.com",
        to=[to],
        tags=[tag],
        metadata={"delivery_id": str(delivery_id)},
    )


def postmark_search(esp, token=TOKEN, **query):
    headers = {"Accept": "application/json"}
    if token:
        headers["X-Postmark-Server-Token"] = token
    return requests.get(
        f"{esp.url}messages/outbound", params={"count": 50, "offset": 0, **query}, headers=headers, timeout=5
    )


# --- faults ---------------------------------------------------------------------------------------


def test_a_dropped_send_raises_but_was_accepted(postmark):
    # Given Postmark dropping every connection after taking the message
    postmark.set_faults(drop=1.0)

    # When Waypost sends an email
    with pytest.raises(AnymailRequestsAPIError) as raised:
        email(123).send()

    # Then the client saw the connection aborted with no answer (not a timeout, not an HTTP error)
    cause = raised.value.__cause__
    assert isinstance(cause, requests.ConnectionError) and not isinstance(cause, requests.Timeout)
    assert isinstance(cause.args[0], ProtocolError) and "Connection aborted" in str(cause.args[0])
    assert "RemoteDisconnected" in repr(cause.args[0])
    # and the provider holds exactly one message for that reference, marked as dropped
    assert postmark.ledger.count("123") == 1
    [message] = postmark.accepted()["messages"]
    assert message["reference"] == "123" and message["fault"] == "drop"
    assert message["to"] == "ada@example.com"


def test_a_hung_send_times_out_but_was_accepted(postmark):
    # Given Postmark holding every answer longer than the client's 0.5 s timeout
    postmark.set_faults(hang=1.0, hang_seconds=1.5)

    # When Waypost sends an email
    with pytest.raises(AnymailRequestsAPIError) as raised:
        email(124).send()

    # Then the client timed out reading the answer, and the provider accepted the message once
    assert isinstance(raised.value.__cause__, requests.ReadTimeout)
    assert postmark.accepted()["by_reference"] == {"124": 1}
    assert postmark.accepted()["messages"][0]["fault"] == "hang"


@pytest.mark.parametrize("fault, status", [("500", 500), ("429", 429)])
def test_a_500_or_429_is_not_accepted(postmark, fault, status):
    # Given Postmark answering every send with a 500 (or throttling it)
    postmark.set_faults({fault: 1.0})

    # When Waypost sends an email
    with pytest.raises(AnymailRequestsAPIError) as raised:
        email(125).send()

    # Then the client got that status in Postmark's error shape, and the ledger stays empty
    assert raised.value.status_code == status
    assert raised.value.response.json()["ErrorCode"] == status
    assert postmark.accepted() == {"total": 0, "by_reference": {}, "messages": []}


def test_faults_are_set_and_cleared_at_run_time(postmark):
    # Given a fault spec posted to the running fake
    answer = requests.post(f"{postmark.url}_fake/faults", json={"drop": 1.0, "hang_seconds": 3}, timeout=5)
    assert answer.json() == {"drop": 1.0, "hang_seconds": 3.0}

    # When Waypost sends, then the spec is cleared with {} and it sends again
    with pytest.raises(AnymailRequestsAPIError):
        email(126).send()
    requests.post(f"{postmark.url}_fake/faults", json={}, timeout=5)
    email(126).send()

    # Then both messages were accepted (one dropped, one answered), and the spec is empty
    accepted = requests.get(f"{postmark.url}_fake/accepted", timeout=5).json()
    assert accepted["by_reference"] == {"126": 2}
    assert [m["fault"] for m in accepted["messages"]] == ["drop", None]
    assert requests.get(f"{postmark.url}_fake/faults", timeout=5).json() == {"hang_seconds": 6.0}


def test_a_bad_fault_spec_is_refused(esp):
    # Given shares that add up to more than 1, and an unknown fault
    # When they are posted
    too_much = requests.post(f"{esp.url}_fake/faults", json={"hang": 0.6, "drop": 0.6}, timeout=5)
    unknown = requests.post(f"{esp.url}_fake/faults", json={"slow": 0.1}, timeout=5)

    # Then both are refused and no fault is set
    assert too_much.status_code == unknown.status_code == 400
    assert esp.faults.shares == {}


def test_reset_empties_the_ledger_but_keeps_the_faults(postmark):
    # Given an accepted message and a fault spec
    email(127).send()
    postmark.set_faults(hang=0.5)

    # When the fake is reset over HTTP
    requests.post(f"{postmark.url}_fake/reset", timeout=5)

    # Then the ledger is empty and the faults stay
    assert postmark.accepted() == {"total": 0, "by_reference": {}, "messages": []}
    assert postmark.faults.shares == {"hang": 0.5}


# --- Postmark's outbound message search -----------------------------------------------------------


def test_postmark_search_finds_a_message_by_metadata_and_recipient(postmark):
    # Given two emails accepted for two deliveries, to two customers
    first, second = email(201, to="ada@example.com"), email(202, to="bob@example.com")
    first.send()
    second.send()

    # When Waypost searches by the first delivery's id and recipient
    found = postmark_search(postmark, recipient="ada@example.com", metadata_delivery_id="201").json()

    # Then it finds that message alone, with the id the send answered, in Postmark's shape
    assert found["TotalCount"] == 1
    [message] = found["Messages"]
    assert message["MessageID"] == first.anymail_status.message_id
    assert message["To"] == [{"Email": "ada@example.com", "Name": ""}]
    assert message["Recipients"] == ["ada@example.com"] and message["Status"] == "Sent"
    assert message["Metadata"]["delivery_id"] == "201" and message["Tag"] == "order_shipped"
    assert message["MessageStream"] == "outbound" and message["Subject"] == "Your order shipped"
    # and another delivery's id with that recipient finds nothing
    other = postmark_search(postmark, recipient="ada@example.com", metadata_delivery_id="202")
    assert other.json() == {"TotalCount": 0, "Messages": []}


def test_postmark_search_reads_dates_in_eastern_time(postmark):
    # Given an email accepted just now
    email(203).send()
    now = dt.datetime.now(dt.UTC)

    # When Waypost searches from a minute ago, in Eastern time and in UTC without an offset
    eastern = (now - dt.timedelta(minutes=1)).astimezone(EASTERN).strftime("%Y-%m-%dT%H:%M:%S")
    utc_naive = (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")

    # Then Eastern time finds it and the naive UTC time (read as Eastern: hours ahead) does not
    assert postmark_search(postmark, fromdate=eastern).json()["TotalCount"] == 1
    assert postmark_search(postmark, fromdate=utc_naive).json()["TotalCount"] == 0


def test_postmark_search_wants_a_token_and_paging(postmark):
    # Given an accepted email
    email(204).send()

    # When Waypost searches without a server token, or without count/offset
    no_token = postmark_search(postmark, token="")
    no_count = requests.get(f"{postmark.url}messages/outbound", headers={"X-Postmark-Server-Token": TOKEN}, timeout=5)

    # Then Postmark's 401 (ErrorCode 10) and a 422
    assert no_token.status_code == 401 and no_token.json()["ErrorCode"] == 10
    assert no_count.status_code == 422


def test_postmark_search_does_not_find_what_was_refused(postmark):
    # Given one send answered 500 and its retry accepted
    postmark.fail_next("500")
    with pytest.raises(AnymailRequestsAPIError):
        email(205).send()
    email(205).send()

    # When Waypost searches by that delivery's id
    found = postmark_search(postmark, metadata_delivery_id="205").json()

    # Then only the accepted one is there
    assert found["TotalCount"] == 1


# --- Mailgun's events API -------------------------------------------------------------------------


def mailgun_events(esp, auth=("api", "key-test"), path="mg.example.com/events", **query):
    return requests.get(f"{esp.url}v3/{path}", params=query, auth=auth, timeout=5)


def test_mailgun_events_find_the_accepted_message_by_recipient(mailgun):
    # Given two emails accepted through Mailgun, one of them dropped before the answer
    mailgun.fail_next("drop")
    with pytest.raises(AnymailRequestsAPIError):
        email(301, to="ada@example.com").send()
    other = email(302, to="bob@example.com")
    other.send()

    # When Waypost asks for accepted events to the first customer since a minute ago
    since = dt.datetime.now(dt.UTC).timestamp() - 60
    page = mailgun_events(
        mailgun, event="accepted", recipient="ada@example.com", begin=since, ascending="yes", limit=10
    ).json()

    # Then one event, carrying the delivery id as a user variable; the other customer's is not there
    [event] = page["items"]
    assert event["event"] == "accepted" and event["recipient"] == "ada@example.com"
    assert event["user-variables"]["delivery_id"] == "301"
    [dropped] = mailgun.ledger.messages("mailgun", reference="301")
    assert event["message"]["headers"]["message-id"] == dropped.id.strip("<>")
    # and the other event's message id is the send's answer without its angle brackets
    [bob] = mailgun_events(mailgun, event="accepted", recipient="bob@example.com", begin=since, ascending="yes").json()[
        "items"
    ]
    assert f"<{bob['message']['headers']['message-id']}>" == other.anymail_status.message_id
    # and the paging ends with an empty page
    following = requests.get(page["paging"]["next"], auth=("api", "key-test"), timeout=5)
    assert following.json()["items"] == []


def test_mailgun_events_want_basic_auth(mailgun):
    # Given an accepted email
    email(303).send()

    # When the events are asked for without the API key
    answer = mailgun_events(mailgun, auth=None, event="accepted")

    # Then Mailgun's 401
    assert answer.status_code == 401


def test_mailgun_events_filter_by_time(mailgun):
    # Given an email accepted now
    email(304).send()
    now = dt.datetime.now(dt.UTC).timestamp()

    # When Waypost asks for events that begin a minute from now, or that end a minute ago
    later = mailgun_events(mailgun, begin=now + 60, ascending="yes").json()["items"]
    earlier = mailgun_events(mailgun, begin=now - 120, end=now - 60).json()["items"]

    # Then neither finds it
    assert later == [] and earlier == []
