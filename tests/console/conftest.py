"""Console fixtures: staff users in each role (the groups the data migration created) and
logged-in clients for them."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from console.roles import ADMINISTRATOR, MERCHANT_EDITOR, SUPPORT_AGENT


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, role: str, **fields):
        user = django_user_model.objects.create_user(
            username, fields.pop("email", f"{username}@example.com"), "pw", is_staff=True, **fields
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent(make_user):
    return make_user("alice", SUPPORT_AGENT)


@pytest.fixture
def editor(make_user):
    return make_user("marco", MERCHANT_EDITOR)


@pytest.fixture
def administrator(make_user):
    return make_user("ada", ADMINISTRATOR)


@pytest.fixture
def agent_client(agent):
    return _client(agent)


@pytest.fixture
def editor_client(editor):
    return _client(editor)


@pytest.fixture
def admin_role_client(administrator):
    return _client(administrator)
