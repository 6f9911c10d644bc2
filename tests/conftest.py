"""Shared fixtures: an API client authenticated as a partner, and the database-kind marks."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from partners.models import Partner


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def partner_factory(db):
    def make(*channels, name=None):
        partner = Partner(name=name or f"partner-{Partner.objects.count() + 1}")
        token = partner.set_new_token()
        partner.save()
        partner.sales_channels.set(channels)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return partner, client

    return make


@pytest.fixture(autouse=True)
def _knobs_settings(settings):
    """Simulation knobs a test sets (``tests.knobs``) go through its ``settings``, so they end with it."""
    from tests import knobs

    knobs.test_settings = settings
    yield
    knobs.test_settings = None
    knobs.waits.compress(1.0)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def no_default_quiet_hours(settings, request):
    """Customers who never chose get quiet hours 21:00-08:00 local time, so a test asserting an
    instant SMS would pass or fail by the hour it runs at. Tests start without default quiet hours;
    tests of quiet hours mark themselves ``@pytest.mark.quiet_hours`` (or set their own)."""
    if "quiet_hours" not in request.keywords:
        settings.QUIET_HOURS_DEFAULT = ""
