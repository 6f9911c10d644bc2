"""``manage.py add_partner``: creates a partner, prints its token once, refuses bad input."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from partners.models import Partner, hash_token
from tests.factories import SalesChannelFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("add_partner", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_creates_partner_and_prints_only_the_token():
    # Given two sales channels
    web, market = SalesChannelFactory(slug="web"), SalesChannelFactory(slug="market")

    # When the command runs
    out, err = run("--name", "Acme shop", "--channels", "web,market")

    # Then stdout is the token alone, it matches the stored hash, and the partner has both channels
    token = out.strip()
    assert token.startswith("wp_") and "\n" not in token
    partner = Partner.objects.get(name="Acme shop")
    assert partner.token_hash == hash_token(token)
    assert set(partner.sales_channels.all()) == {web, market}
    # And stderr summarises without repeating anything secret
    assert "Acme shop" in err and "web" in err and token not in err and partner.token_hash not in err + out


def test_unknown_channel_is_named_and_nothing_is_created():
    # Given one channel
    SalesChannelFactory(slug="web")

    # When the command names another
    with pytest.raises(CommandError, match="Unknown sales channel slug\\(s\\): nope"):
        run("--name", "Acme", "--channels", "web,nope")

    # Then no partner exists
    assert not Partner.objects.exists()


def test_existing_name_is_refused():
    # Given a partner named Acme
    SalesChannelFactory(slug="web")
    run("--name", "Acme", "--channels", "web")

    # When the command runs again with that name
    with pytest.raises(CommandError, match="already exists"):
        run("--name", "Acme", "--channels", "web")

    # Then there is still one partner
    assert Partner.objects.count() == 1


def test_channels_are_required():
    with pytest.raises(CommandError, match="at least one sales channel"):
        run("--name", "Acme")


def test_rotate_issues_a_new_token():
    # Given a partner and its token
    SalesChannelFactory(slug="web")
    first, _ = run("--name", "Acme", "--channels", "web")

    # When its token is rotated
    second, _ = run("--name", "Acme", "--rotate")

    # Then only the new token matches
    partner = Partner.objects.get(name="Acme")
    assert second.strip() != first.strip()
    assert partner.token_hash == hash_token(second.strip())


def test_rotate_unknown_partner_fails():
    with pytest.raises(CommandError, match="No partner named 'ghost'"):
        run("--name", "ghost", "--rotate")
