"""The OpenAPI schema is the partner API's contract: schemathesis reads ``/api/schema/`` from a
live server, sends every operation at least 50 generated requests with a partner's token (valid
and invalid data, missing headers, wrong methods, stateful sequences) and runs all its checks on
every answer: no server error, only documented status codes, content types and headers, bodies
that match their schema, invalid data refused and valid data accepted.

Run it alone with ``make contract``. When it fails, the assertion message is schemathesis's own
report: each failure with the operation, the request as a curl command and the answer."""

import json
import logging
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from partners.auth import PartnerRateThrottle
from partners.models import Partner
from tests.factories import ProductFactory, SalesChannelFactory, StockLevelFactory

pytestmark = [pytest.mark.contract, pytest.mark.e2e]

EXAMPLES_PER_OPERATION = 50
SEED = 20260101  # the same requests on every run, so a failure can be reproduced
RUN_TIMEOUT_SECONDS = 900


# A schema cannot say which sales channels, orders and SKUs are the partner's own: schemathesis
# is given the partner's real ones to put in the bodies it generates, and a valid-looking write
# that names someone else's may be refused with 400 (its answer is still checked against the
# schema, and invalid data must still be refused). Generated Idempotency-Keys repeat ("0", "a")
# across different bodies, and a repeat with another body is refused with 422 by design.
CONFIG = """
[cache]
enabled = false  # each run stands alone: no replay of an earlier run's failures

[auth.openapi.partnerToken]
bearer = "{token}"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[parameters]
"body.sales_channel" = "{channel}"
"body.order" = {order}
"body.sku" = "{sku}"
"body.lines[*].line_id" = {line}

# Detail routes get the partner's own objects, so generated requests reach the views' logic
# instead of a 404 (schemathesis still sends invalid ids too).
[[operations]]
include-path-regex = '^/api/v1/customers/\\{{id\\}}/'
parameters = {{ "path.id" = {customer} }}

[[operations]]
include-path-regex = '^/api/v1/orders/\\{{id\\}}/'
parameters = {{ "path.id" = {order} }}

[[operations]]
include-path-regex = '^/api/v1/shipments/\\{{id\\}}/'
parameters = {{ "path.id" = {shipment} }}

[[operations]]
include-path-regex = '^/api/v1/returns/\\{{id\\}}/'
parameters = {{ "path.id" = {return_id} }}

[[operations]]
include-method = "POST"
include-path-regex = '^/api/v1/(orders|customers|products|stock-levels|shipments|returns|intake/orders|intake/marketplace)/$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]

# A phone number is valid when libphonenumber's metadata says so, which no schema can say: a
# well-formed string that is no phone number is refused with 400.
[[operations]]
include-method = "PATCH"
include-path-regex = '^/api/v1/customers/\\{{id\\}}/$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429"]
"""


def _partner_with_data() -> tuple[str, dict]:
    """A partner with its token, a sales channel, and data to read back: a customer with an order
    that has shipped, a return for it, and a product with its stock level. Returns the token and
    the partner's own references."""
    channel = SalesChannelFactory(slug="contract-web")
    partner = Partner(name="Contract shop")
    token = partner.set_new_token()
    partner.save()
    partner.sales_channels.set([channel])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    order = client.post(
        "/api/v1/orders/",
        {
            "sales_channel": channel.slug,
            "external_id": "C-1",
            "currency": "USD",
            "customer": {
                "external_id": "c-1",
                "name": "Ana García",
                "email": "ana@example.com",
                "phone": "+525512345678",
                "language": "es-MX",
                "time_zone": "America/Mexico_City",
                "country": "MX",
            },
            "lines": [{"sku": "BOOT-1", "name": "Trail boot", "quantity": 2, "unit_price": "149.00"}],
        },
        format="json",
    )
    assert order.status_code == 201, order.json()
    order = order.json()
    shipment = client.post(
        f"/api/v1/orders/{order['id']}/shipments/", {"carrier": "ups", "tracking_number": "1Z999AA10000000001"}
    )
    assert shipment.status_code == 201, shipment.json()
    shipment = shipment.json()
    ret = client.post(
        "/api/v1/returns/",
        {"order": order["id"], "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "Too small"},
        format="json",
    )
    assert ret.status_code == 201, ret.json()
    StockLevelFactory(product=ProductFactory(brand=channel.brand, sku="BOOT-1"), on_hand=5)
    refs = {"channel": channel.slug, "order": order["id"], "sku": "BOOT-1", "line": order["lines"][0]["id"]}
    return token, {**refs, "customer": order["customer"], "shipment": shipment["id"], "return_id": ret.json()["id"]}


def schemathesis_run(
    base_url: str, token: str, refs: dict, report_dir, *, phases: str, extra: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess, dict]:
    """schemathesis's CLI over every operation of the live server's schema, in ``phases``; its
    output and its JSON report."""
    report_dir = report_dir / phases.replace(",", "-")
    report_dir.mkdir()
    config = report_dir / "schemathesis.toml"
    config.write_text(CONFIG.format(token=token, **refs))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/schema/",
        "--url",
        base_url,
        "--phases",
        phases,
        "--checks",
        "all",
        *extra,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report_dir / "report.json"),
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        partial = [
            out.decode(errors="replace") if isinstance(out, bytes) else out or "" for out in (exc.stdout, exc.stderr)
        ]
        pytest.fail(f"schemathesis ran past {RUN_TIMEOUT_SECONDS} s:\n" + "\n".join(partial))
    report_path = report_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return run, report


@pytest.mark.django_db(transaction=True)
def test_the_api_keeps_every_promise_of_its_openapi_schema(live_server, monkeypatch, tmp_path, caplog):
    # given a partner with data, and a rate limit that generated traffic does not reach
    token, refs = _partner_with_data()
    monkeypatch.setattr(PartnerRateThrottle, "rate", "100000/minute", raising=False)
    caplog.set_level(logging.ERROR, logger="django.request")  # 4xx by the thousand; keep 5xx tracebacks

    # when schemathesis runs every operation of the schema with all its checks, then its stateful
    # sequences (links from one answer to the next request), where it flags the valid requests it
    # builds from links as "schema-violating request accepted" (schemathesis issue #2983, open):
    # that one check is left to the first run, which sends the invalid data
    run, report = schemathesis_run(live_server.url, token, refs, tmp_path, phases="examples,coverage,fuzzing")
    stateful, stateful_report = schemathesis_run(
        live_server.url, token, refs, tmp_path, phases="stateful", extra=("--exclude-checks", "negative_data_rejection")
    )

    # then every operation was tested, with no server error and no failed check
    output = f"{run.stdout}\n{run.stderr}"
    assert report, f"schemathesis wrote no report (exit {run.returncode}):\n{output}"
    operations = report["operations"]
    assert operations["tested"] == operations["total"] > 0, output
    assert report["test_cases"]["generated"] >= EXAMPLES_PER_OPERATION * operations["total"], output
    for result, answer, text in (
        (report, run, output),
        (stateful_report, stateful, f"{stateful.stdout}\n{stateful.stderr}"),
    ):
        assert result, f"schemathesis wrote no report (exit {answer.returncode}):\n{text}"
        assert result["errors"] == [], text
        server_errors = [f for f in result["failures"] if f["code"] == "not_a_server_error"]
        assert server_errors == [], text
        assert result["failures"] == [], text
        assert answer.returncode == 0, text
