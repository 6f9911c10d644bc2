"""Settings refuse insecure production configuration; health probes and API docs work offline."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _django(code: str, **env) -> subprocess.CompletedProcess:
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()\n" + code
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def test_production_refuses_an_insecure_secret_key():
    # given DEBUG off and no SECRET_KEY / a short one
    # when Django starts
    for key in ({}, {"SECRET_KEY": "short"}):
        result = _django("print('started')", DEBUG="false", **key)
        # then it refuses, saying why
        assert result.returncode != 0
        assert "SECRET_KEY is insecure" in result.stderr
        assert "started" not in result.stdout


def test_production_starts_with_a_strong_secret_key():
    result = _django("print('started')", DEBUG="false", SECRET_KEY="x7#Lq2-" * 9)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.django_db
def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_names_an_unreachable_broker(tmp_path):
    # given a broker nobody listens on
    code = (
        "from django.test import Client\nr = Client().get('/readyz')\nprint(r.status_code); print(r.content.decode())"
    )
    result = _django(
        code,
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        WAYPOST_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'ready.sqlite3'}",
    )
    status, body = result.stdout.strip().splitlines()[-2:]
    # then readiness is 503 and names the broker, while the database is fine
    assert status == "503"
    payload = json.loads(body)
    assert payload["failing"] == ["broker"]
    assert payload["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_api_docs_are_served_from_local_static_files(client):
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/orders/" in schema["paths"]


@pytest.mark.django_db
def test_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    # when the schema is generated with validation, failing on any warning
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    # then it is written and is OpenAPI 3
    assert out.read_text().startswith("openapi: 3.")
