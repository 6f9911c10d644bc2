"""The Web Push provider against a fake push service on 127.0.0.1: real pywebpush requests,
encrypted (aes128gcm) and VAPID-signed (the fake verifies the JWT with the key in the header);
404/410 expire the subscription and, with none left, the plan falls back; 429/5xx are retried."""

import pytest
from django.utils import timezone

from channels.models import SandboxMessage
from notifications.models import Delivery
from preferences.models import PushSubscription
from preferences.vapid import generate_vapid_keys
from tests.fakes.push import FakePushService
from tests.preferences.helpers import (
    carrier_scan,
    customer_with_shipment,
    instant_pipeline,
    prefs_for,
    process_events,
    send_due,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def push_service():
    service = FakePushService().start()
    yield service
    service.stop()


@pytest.fixture
def vapid(settings):
    keys = generate_vapid_keys()
    settings.WAYPOST_PROVIDERS = {**settings.WAYPOST_PROVIDERS, "push": "webpush"}
    settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = keys["public_key"], keys["private_key"]
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:push@northwind.example"
    return keys


def subscribe(customer, push_service, sub_id):
    info = push_service.subscription(sub_id)
    return PushSubscription.objects.create(
        customer=customer, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"], auth=info["keys"]["auth"]
    )


def push_first_customer(push_service, *sub_ids):
    instant_pipeline()
    customer, _order, shipment = customer_with_shipment()
    process_events()  # the order confirmation goes out before the customer subscribes
    send_due()
    prefs_for(customer, channel_order=["push", "email"])
    subs = [subscribe(customer, push_service, s) for s in sub_ids]
    return customer, shipment, subs


def test_push_is_sent_encrypted_with_a_valid_vapid_signature(push_service, vapid):
    # Given a customer who wants push first and has a live browser subscription
    customer, shipment, [sub] = push_first_customer(push_service, "alpha")
    # When their order ships
    carrier_scan(shipment, "shipped")
    process_events()
    send_due()
    # Then the push service got one request whose VAPID JWT verifies with our public key
    [request] = [r for r in push_service.sent() if "alpha" in r.path]
    assert request.vapid_ok, request.vapid_error
    assert request.vapid_key == vapid["public_key"]
    assert request.claims["sub"] == "mailto:push@northwind.example" and request.claims["aud"] == push_service.origin
    assert request.headers["content-encoding"] == "aes128gcm" and int(request.headers["ttl"]) > 0
    # And the decrypted payload is the message, with the preference link
    assert "shipped" in request.payload["title"].lower() or "on its way" in request.payload["title"].lower()
    assert "/p/" in request.payload["preferences_url"]
    # And the delivery was accepted on push only (push first, fallback mode), the subscription is fresh
    delivery = Delivery.objects.get(
        notification__customer=customer, notification__notification_type__key="shipment_shipped"
    )
    assert (delivery.channel, delivery.status, delivery.provider) == ("push", "sent", "webpush")
    sub.refresh_from_db()
    assert sub.last_success_at is not None and sub.expired_at is None


def test_gone_subscription_is_expired_and_the_plan_falls_back_to_email(push_service, vapid):
    # Given the customer's only subscription is gone at the push service
    customer, shipment, [sub] = push_first_customer(push_service, "gone")
    push_service.answers["gone"] = 410
    # When a push is sent
    carrier_scan(shipment, "shipped")
    process_events()
    send_due()
    # Then the subscription is expired, push failed permanently, and email carried the message
    sub.refresh_from_db()
    assert sub.expired_at is not None
    deliveries = {
        d.channel: d
        for d in Delivery.objects.filter(
            notification__notification_type__key="shipment_shipped", notification__customer=customer
        )
    }
    assert deliveries["push"].status == "failed" and "410" in deliveries["push"].error
    assert deliveries["email"].status == "delivered"
    assert SandboxMessage.objects.filter(channel="email", to=customer.email).exists()


def test_one_gone_one_live_subscription_is_accepted_and_only_the_gone_one_expires(push_service, vapid):
    customer, shipment, [gone, live] = push_first_customer(push_service, "old", "new")
    push_service.answers["old"] = 404
    carrier_scan(shipment, "shipped")
    process_events()
    send_due()
    gone.refresh_from_db(), live.refresh_from_db()
    assert gone.expired_at is not None and live.expired_at is None and live.last_success_at is not None
    assert not SandboxMessage.objects.filter(
        channel="email", to=customer.email, delivery__notification__notification_type__key="shipment_shipped"
    ).exists()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttled_or_server_error_is_retried_later(push_service, vapid, status):
    customer, shipment, [sub] = push_first_customer(push_service, "busy")
    push_service.answers["busy"] = status
    carrier_scan(shipment, "shipped")
    process_events()
    for delivery_id in Delivery.objects.filter(status="pending", send_after__lte=timezone.now()).values_list(
        "pk", flat=True
    ):
        from notifications.services.dispatch import delivery_send

        delivery_send(delivery_id=delivery_id)
    delivery = Delivery.objects.get(
        notification__customer=customer, channel="push", notification__notification_type__key="shipment_shipped"
    )
    # (instant_pipeline scales backoff to 0: the retry is due at once, still on push)
    assert delivery.status == "pending" and delivery.attempt_count == 1 and f"http_{status}" in delivery.error
    assert delivery.attempts.get().outcome == "transient"
    sub.refresh_from_db()
    assert sub.expired_at is None


def test_vapid_keys_are_generated_once_into_the_data_dir(settings, tmp_path):
    from preferences.vapid import ensure_vapid_keys, keys_file

    settings.DATA_DIR, settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = tmp_path, "", ""
    first = ensure_vapid_keys()
    assert keys_file() == tmp_path / "vapid.json" and ensure_vapid_keys() == first
    assert len(base64_raw(first["public_key"])) == 65 and len(base64_raw(first["private_key"])) == 32


def base64_raw(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def test_fake_push_service_refuses_a_forged_vapid_signature(push_service):
    import time

    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    signer, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        {"aud": push_service.origin, "exp": int(time.time()) + 600, "sub": "mailto:x@example.com"},
        signer,
        algorithm="ES256",
    )
    claimed = other.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    import base64

    key = base64.urlsafe_b64encode(claimed).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        push_service.verify_vapid(f"vapid t={token},k={key}")
