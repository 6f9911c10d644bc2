"""Liveness (``/healthz``) and readiness (``/readyz``: database and broker reachable) probes."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        if conn.transport_cls == "filesystem" or settings.CELERY_BROKER_URL.startswith("filesystem://"):
            import os

            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
            if not os.access(folder, os.W_OK):
                raise OSError(f"broker folder {folder} is not writable")
    return "ok"


CHECKS = {"database": _check_database, "broker": _check_broker}


def _degraded_intake_sources() -> list[dict]:
    from intake.selectors import degraded_sources

    return degraded_sources()


# Reported under "degraded" without failing readiness: a shop or carrier being down is not ours.
DEGRADED_CHECKS = {"intake": _degraded_intake_sources}


@never_cache
def readyz(request):
    results, failing = {}, []
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure means not ready; name it
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
            failing.append(name)
    body = {"status": "ok" if not failing else "unavailable", "checks": results}
    degraded = []
    for name, check in DEGRADED_CHECKS.items():
        try:
            degraded.extend(check())
        except Exception as exc:  # a broken report must not fail readiness either
            degraded.append({"source": name, "reasons": [f"error: {exc.__class__.__name__}"]})
    body["degraded"] = degraded
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
