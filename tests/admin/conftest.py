"""Fixtures for the admin tests: a logged-in superuser client and helpers to post actions."""

import re

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.urls import reverse


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("agent", "agent@example.com", "pw")


@pytest.fixture
def admin_client_as(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def post_action(admin_client_as):
    """``post_action(model, action, objs, **extra)`` posts an admin action to the changelist."""

    def post(model, action, objs, **extra):
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs], **extra}
        return admin_client_as.post(url, data)

    return post


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages queued for the next page."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


_MANAGEMENT_INPUT = re.compile(r'name="([^"]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"')


def management_forms(response) -> dict[str, str]:
    """The inline formsets' management fields of a rendered admin form, to post it back."""
    return dict(_MANAGEMENT_INPUT.findall(response.content.decode()))
