"""Cross-cutting behaviour of the partner API: authentication, per-token throttling with
Retry-After, and the OpenAPI schema and docs."""

import re
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from partners.auth import PartnerRateThrottle


def test_requests_without_a_valid_token_are_401(db, channel):
    # given no token and a wrong token
    anonymous = APIClient()
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer wp_not-a-token")

    # then both are refused with a Bearer challenge
    for client in (anonymous, wrong):
        response = client.get("/api/v1/orders/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_every_authorization_scheme_readme_documents_is_accepted_and_no_other(partner_factory, channel):
    # given the schemes README documents for the partner API
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = set(re.findall(r"`Authorization: (\w+) <token>`", readme))
    assert documented == {"Bearer", "Token"}
    partner, _ = partner_factory(channel)
    token = partner.set_new_token()
    partner.save()

    # when the partner's token is sent with each of them, then it is accepted; another scheme is not
    for scheme in sorted(documented):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
        assert client.get("/api/v1/orders/").status_code == 200, scheme
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    assert basic.get("/api/v1/orders/").status_code == 401


def test_inactive_partner_is_refused(partner_factory, channel):
    # given a partner whose token was revoked
    partner, client = partner_factory(channel)
    partner.is_active = False
    partner.save()

    # then its requests are refused
    assert client.get("/api/v1/orders/").status_code == 401


def test_throttle_is_per_token_with_retry_after(partner_factory, channel, monkeypatch):
    # given a limit of 2 requests a minute and two partners
    monkeypatch.setattr(PartnerRateThrottle, "rate", "2/minute", raising=False)
    _, first = partner_factory(channel)
    _, second = partner_factory(channel)

    # when the first partner makes three requests
    answers = [first.get("/api/v1/orders/") for _ in range(3)]

    # then the third is 429 with Retry-After, and the other token is not affected
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2]["Retry-After"]) > 0
    assert second.get("/api/v1/orders/").status_code == 200


def test_schema_is_openapi_3_and_describes_the_api(client, db):
    # when the schema is fetched as JSON without a token
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    # then it is OpenAPI 3 with the partner paths and the bearer scheme
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/orders/",
        "/api/v1/orders/{id}/transition/",
        "/api/v1/shipments/{id}/events/",
        "/api/v1/returns/{id}/transition/",
        "/api/v1/stock-levels/",
        "/api/v1/customers/{id}/",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["partnerToken"]["scheme"] == "bearer"


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_are_served_from_local_static_files(client, db, url):
    # when the docs page is fetched
    response = client.get(url)

    # then it loads and points at no CDN
    assert response.status_code == 200
    assert "cdn." not in response.content.decode()


def test_an_integrity_error_inside_the_work_is_not_taken_for_a_replay(partner_factory, channel):
    # given an idempotent view whose work fails on a database constraint
    from django.db import IntegrityError
    from rest_framework import viewsets
    from rest_framework.test import APIRequestFactory, force_authenticate

    from partners.idempotency import idempotent
    from partners.models import IdempotencyKey

    class Failing(viewsets.ViewSet):
        @idempotent
        def create(self, request):
            raise IntegrityError("duplicate key in the work itself")

    partner, _ = partner_factory(channel)
    request = APIRequestFactory().post("/x/", {"a": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    force_authenticate(request, user=partner)

    # when it is called with a key
    # then the real error propagates and no key is stored
    with pytest.raises(IntegrityError, match="work itself"):
        Failing.as_view({"post": "create"})(request)
    assert not IdempotencyKey.objects.exists()
