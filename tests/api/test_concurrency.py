"""Two partner requests for the same order at the same moment create one order (PostgreSQL:
real row locks and unique-index waits between two connections)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Customer
from orders.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post_concurrently(client, payload, headers):
    barrier, answers = threading.Barrier(2), []

    def post():
        own_client = APIClient()  # one client per thread: the test client is not thread-safe
        own_client.credentials(**client._credentials)
        try:
            barrier.wait(timeout=10)
            answers.append(own_client.post("/api/v1/orders/", payload, format="json", **headers))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


@pytest.mark.parametrize("headers", [{}, {"HTTP_IDEMPOTENCY_KEY": "same-key"}], ids=["external-id", "idempotency-key"])
def test_two_concurrent_creates_make_one_order(partner_client, order_payload, headers):
    # given the same order sent twice at the same moment (with or without a shared key)
    # when both requests run in parallel
    answers = _post_concurrently(partner_client, order_payload("2001"), headers)

    # then both succeed with the same order, and one order and one customer exist
    assert len(answers) == 2
    assert sorted(a.status_code for a in answers) == ([200, 201] if not headers else [201, 201])
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Order.objects.count() == 1
    assert Customer.objects.count() == 1
