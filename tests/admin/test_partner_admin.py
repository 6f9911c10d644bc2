"""Partners in the admin: the token is shown once after creation, only its hash is stored."""

import re

import pytest

from core.models import AuditLog
from partners.models import Partner, hash_token
from tests.admin.conftest import management_forms, messages_of
from tests.factories import SalesChannelFactory

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r"wp_[A-Za-z0-9_\-]+")


def test_creating_a_partner_shows_its_token_once(admin_client_as):
    # Given a sales channel
    channel = SalesChannelFactory()

    # When an agent adds a partner for it
    inlines = management_forms(admin_client_as.get("/admin/partners/partner/add/"))
    response = admin_client_as.post(
        "/admin/partners/partner/add/",
        {"name": "Acme shop", "sales_channels": [channel.pk], "is_active": "on", **inlines},
    )

    # Then the partner exists with the channel, and the message carries a token matching its hash
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(name="Acme shop")
    assert list(partner.sales_channels.all()) == [channel]
    tokens = [m for _, text in messages_of(response) for m in TOKEN.findall(text)]
    assert len(tokens) == 1
    assert partner.token_hash == hash_token(tokens[0])
    assert AuditLog.objects.filter(object_id=str(partner.pk), action="created").count() == 1

    # And once that message has been shown (on the next page), the partner's page shows neither
    # the token nor its hash, and has no field for them
    shown = admin_client_as.get(response["Location"]).content.decode()
    assert tokens[0] in shown
    page = admin_client_as.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert tokens[0] not in page and partner.token_hash not in page
    assert 'name="token_hash"' not in page


def test_rotating_a_token_replaces_the_hash(admin_client_as, post_action):
    # Given a partner
    from partners.services import partner_create

    partner, old = partner_create(name="Acme", sales_channels=[SalesChannelFactory()])

    # When an agent rotates its token
    response = post_action(Partner, "rotate_token", [partner])

    # Then the new token is shown once and only it matches the stored hash
    tokens = [m for _, text in messages_of(response) for m in TOKEN.findall(text)]
    partner.refresh_from_db()
    assert len(tokens) == 1 and tokens[0] != old
    assert partner.token_hash == hash_token(tokens[0])
