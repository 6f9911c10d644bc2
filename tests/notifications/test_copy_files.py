"""The transactional types' copy (the preference link, the answers to texts) in the data files
(``catalogue/copy/<type>/<channel>.toml``): one file per type and channel, in every template
language, with the channel's fields only, valid for the type's snapshot (SMS rules included) and
rendering to finished text; installed by ``ensure_catalogue()``. (The journeys' copy:
``test_default_templates.py``.)"""

import pytest

from catalogue.copy import load_copy
from catalogue.models import Template
from catalogue.rendering import (
    TEMPLATE_LANGUAGES,
    render_string,
    sample_context_for,
    template_errors,
)
from catalogue.shipped import TYPES, ensure_catalogue
from tests.notifications.test_default_templates import FIELDS, sms_segments

COPY = {key: copy for key, copy in load_copy().items() if key in ("preference_link", "sms_reply")}
CATEGORY = {key: category for key, _name, category, *_rest in TYPES}
CASES = [(t, c, lang) for t, by_channel in COPY.items() for c in by_channel for lang in TEMPLATE_LANGUAGES]
REPLY_KINDS = ("stop", "start", "help", "reschedule", "call_me", "other")


def render(type_key: str, channel: str, language: str, **context) -> dict[str, str]:
    sample = {**sample_context_for(type_key, CATEGORY[type_key], language), **context}
    return {
        field: render_string(source, sample, html=field == "body_html")
        for field, source in COPY[type_key][channel][language].items()
    }


def test_the_new_types_have_their_copy_files():
    # given the copy files
    # then the preference link has email, SMS and push, the answer to a text SMS and WhatsApp,
    # each in every language with exactly its channel's fields
    assert {t: set(c) for t, c in COPY.items()} == {
        "preference_link": {"email", "sms", "push"},
        "sms_reply": {"sms", "whatsapp"},
    }
    for by_channel in COPY.values():
        for channel, by_language in by_channel.items():
            assert set(by_language) == set(TEMPLATE_LANGUAGES)
            assert all(
                set(fields) <= FIELDS[channel] | {"link"} and fields.get("body_text") for fields in by_language.values()
            )


@pytest.mark.parametrize("type_key,channel,language", CASES)
def test_copy_is_valid_and_renders(type_key, channel, language):
    # given one file's copy in one language
    sources = COPY[type_key][channel][language]

    # when it is checked as the studio checks a save, and rendered with the sample context
    errors = template_errors(sources, type_key=type_key, category=CATEGORY[type_key], channel=channel)
    rendered = render(type_key, channel, language)

    # then it is valid and renders to finished text
    assert errors == {}
    for field, text in rendered.items():
        assert text and "{{" not in text and "{%" not in text and "None" not in text, (field, text)


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
def test_preference_link_carries_the_link_by_email_and_the_short_link_by_sms(language):
    email, sms = render("preference_link", "email", language), render("preference_link", "sms", language)
    assert (
        "https://waypost.example/p/sample/" in email["body_text"]
        and 'href="https://waypost.example/p/sample/"' in (email["body_html"])
    )
    assert sms["body_text"].startswith("Northwind Outfitters") and sms["body_text"].endswith(
        "https://waypost.example/p/s/sample/"
    )


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("kind", REPLY_KINDS)
def test_every_answer_names_the_brand_fits_three_segments_and_differs_by_keyword(kind, language):
    # given the answer to a keyword
    reply = {"kind": kind, "link": "https://track.example/1Z"}
    text = render("sms_reply", "sms", language, reply=reply)["body_text"]
    others = {
        render("sms_reply", "sms", language, reply={**reply, "kind": k})["body_text"] for k in REPLY_KINDS if k != kind
    }

    # then it is one line naming the brand, short enough, and its own
    assert text.startswith("Northwind Outfitters") and "\n" not in text and sms_segments(text) <= 3
    assert text not in others
    if kind == "reschedule":
        assert text.endswith("https://track.example/1Z")
    if kind == "help":
        assert "https://northwind.example/help, +14155550100" in text


def test_answers_of_a_brand_without_support_details_still_read():
    context = {"brand": {"name": "Waypost"}, "reply": {"kind": "help", "link": ""}}
    assert render("sms_reply", "sms", "en", **context)["body_text"].startswith(
        "Waypost order, delivery and return updates. Help: our website. Msg frequency varies."
    )


@pytest.mark.django_db
def test_ensure_catalogue_installs_the_copy_files():
    # when the catalogue is installed
    ensure_catalogue()

    # then each copy file is a template of its type and channel, with every language's fields
    for type_key, by_channel in COPY.items():
        for channel, by_language in by_channel.items():
            template = Template.objects.get(notification_type__key=type_key, channel=channel)
            for language, fields in by_language.items():
                for field, source in fields.items():
                    assert getattr(template, f"{field}_{language}") == source


def test_a_copy_file_with_a_field_no_template_has_is_refused(tmp_path):
    (tmp_path / "preference_link").mkdir()
    (tmp_path / "preference_link" / "sms.toml").write_text('[en]\nbody_text = "x"\nbody = "y"\n')
    with pytest.raises(ValueError, match="fields no template has: body"):
        load_copy(tmp_path)
