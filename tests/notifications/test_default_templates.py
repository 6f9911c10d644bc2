"""The shipped default templates: complete, valid for their type's snapshot, and rendering cleanly
in every language; SMS within three segments; installed once by ``ensure_catalogue()``."""

import copy
import math

import pytest

from catalogue.copy import load_copy
from catalogue.models import NotificationType, Rule, Template
from catalogue.rendering import TEMPLATE_LANGUAGES, render_string, sample_context_for, template_errors
from catalogue.shipped import BACKORDER, CHANNELS, RETURNS, SHIPPING, TYPES, ensure_catalogue

CATEGORY = {key: category for key, _name, category, *_rest in TYPES}
JOURNEYS = (SHIPPING, BACKORDER, RETURNS)  # the milestone types (every channel, every language)
DEFAULT_TEMPLATES = {key: copy for key, copy in load_copy().items() if CATEGORY.get(key) in JOURNEYS}
FIELDS = {
    "email": {"subject", "preheader", "body_text", "body_html"},
    "sms": {"body_text"},
    "whatsapp": {"body_text"},
    "push": {"subject", "body_text", "link"},
}
CASES = [
    (type_key, channel, language)
    for type_key in DEFAULT_TEMPLATES
    for channel in CHANNELS
    for language in TEMPLATE_LANGUAGES
]

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """Segments an SMS takes: GSM-7 (extension characters count twice) or UCS-2 as soon as one
    character is outside GSM-7."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units, single, multi = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text), 160, 153
    else:
        units, single, multi = len(text), 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def render(type_key: str, channel: str, language: str, context: dict | None = None) -> dict[str, str]:
    context = context or sample_context_for(type_key, CATEGORY[type_key], language)
    return {
        field: render_string(source, context, html=(field == "body_html"))
        for field, source in DEFAULT_TEMPLATES[type_key][channel][language].items()
    }


def test_every_catalogue_type_has_every_channel_and_language():
    # given the catalogue's milestone types
    # when we look them up in the defaults
    # then each has the four channels, each in the four languages, with exactly its channel's fields
    assert set(DEFAULT_TEMPLATES) == {key for key, category in CATEGORY.items() if category in JOURNEYS}
    for type_key, by_channel in DEFAULT_TEMPLATES.items():
        assert set(by_channel) == set(CHANNELS), type_key
        for channel, by_language in by_channel.items():
            assert set(by_language) == set(TEMPLATE_LANGUAGES), (type_key, channel)
            for language, fields in by_language.items():
                assert set(fields) == FIELDS[channel], (type_key, channel, language)
                assert all(source.strip() for source in fields.values()), (type_key, channel, language)


@pytest.mark.parametrize("type_key,channel,language", CASES)
def test_template_is_valid_and_renders(type_key, channel, language):
    # given one default template
    sources = DEFAULT_TEMPLATES[type_key][channel][language]

    # when it is checked against its type's snapshot and rendered with the sample context
    errors = template_errors(sources, type_key=type_key, category=CATEGORY[type_key])
    rendered = render(type_key, channel, language)

    # then it uses only variables the type carries, and every field renders to finished text
    assert errors == {}
    for field, text in rendered.items():
        assert text, f"{field} rendered empty"
        assert "{{" not in text and "{%" not in text and "None" not in text, f"{field}: {text}"


@pytest.mark.parametrize("type_key,language", [(t, lang) for t in DEFAULT_TEMPLATES for lang in TEMPLATE_LANGUAGES])
def test_sms_and_whatsapp_start_with_the_brand_and_sms_fits_three_segments(type_key, language):
    # given the SMS and WhatsApp copy of one type and language
    sms = render(type_key, "sms", language)["body_text"]
    whatsapp = render(type_key, "whatsapp", language)["body_text"]

    # then both say who is writing, SMS stays within three segments, and shipping SMS link to tracking
    assert sms.startswith("Northwind Outfitters: ") and whatsapp.startswith("Northwind Outfitters: ")
    assert sms_segments(sms) <= 3, f"{len(sms)} chars: {sms}"
    if CATEGORY[type_key] == SHIPPING and type_key != "order_confirmed":
        assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in sms


@pytest.mark.parametrize("type_key,language", [(t, lang) for t in DEFAULT_TEMPLATES for lang in TEMPLATE_LANGUAGES])
def test_push_fits_the_notification_and_opens_something_useful(type_key, language):
    # given one push template rendered with the sample context
    push = render(type_key, "push", language)

    # then the title and body fit, and the link is a real page, never the preference center
    assert len(push["subject"]) <= 50, push["subject"]
    assert len(push["body_text"]) <= 120, push["body_text"]
    assert push["link"].startswith("https://") and "/p/" not in push["link"]


def test_shipping_emails_carry_a_guarded_tracking_button():
    # given the email templates of the shipment types
    for type_key in (
        "shipment_shipped",
        "shipment_in_transit",
        "shipment_out_for_delivery",
        "shipment_delivered",
        "shipment_exception",
    ):
        for language in TEMPLATE_LANGUAGES:
            source = DEFAULT_TEMPLATES[type_key]["email"][language]["body_html"]
            # then the tracking button is there, inside a check that the URL exists
            button = '<a href="{{ shipment.tracking_url }}" class="button">'
            assert button in source
            assert source.index("{% if shipment.tracking_url %}") < source.index(button)
    assert all(
        "{{ links.reschedule }}" in DEFAULT_TEMPLATES["shipment_exception"]["email"][lang]["body_html"]
        for lang in TEMPLATE_LANGUAGES
    )


def _without_optional_values(context: dict) -> dict:
    context = copy.deepcopy(context)
    for part, keys in {
        "shipment": ("tracking_url", "tracking_number", "estimated_delivery", "estimated_delivery_display"),
        "return": (
            "label_url",
            "refund_estimate",
            "refund_estimate_display",
            "refund_amount",
            "refund_amount_display",
            "rejection_reason",
            "return_tracking_number",
            "inspection_result",
        ),
        "product": ("restock_eta", "restock_eta_display", "image_url"),
        "links": ("tracking", "reschedule"),
        "brand": ("support_url",),
        "customer": ("first_name",),
    }.items():
        for key in keys:
            if part in context:
                context[part][key] = "" if key != "restock_eta" else None
    return context


@pytest.mark.parametrize("type_key,channel,language", CASES)
def test_template_reads_well_without_optional_values(type_key, channel, language):
    # given a snapshot where every optional value is missing (no tracking, ETA, label, name, ...)
    context = _without_optional_values(sample_context_for(type_key, CATEGORY[type_key], language))

    # when the template is rendered
    rendered = render(type_key, channel, language, context)

    # then nothing dangles: no empty links or labels followed by nothing
    for field, text in rendered.items():
        if field == "link":
            continue
        assert text and "None" not in text, f"{field}: {text!r}"
        assert 'href=""' not in text and 'src=""' not in text, f"{field}: {text}"
        assert not any(line.rstrip().endswith(":") for line in text.splitlines()), f"{field}: {text}"
        assert field == "body_html" or "  " not in text, f"{field}: {text!r}"


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
def test_exception_and_inspection_copy_follows_the_event(language):
    # given a delayed shipment and a refused return
    delayed = sample_context_for("shipment_exception", SHIPPING, language) | {"event": "shipment.delayed"}
    refused = sample_context_for("return_inspected", "returns", language)
    refused["return"]["inspection_result"] = "refused"
    accepted = sample_context_for("return_inspected", "returns", language)

    # when the messages are rendered
    delayed_subject = render("shipment_exception", "email", language, delayed)["subject"]
    exception_subject = render("shipment_exception", "email", language)["subject"]
    refused_sms = render("return_inspected", "sms", language, refused)["body_text"]
    accepted_sms = render("return_inspected", "sms", language)["body_text"]

    # then each variant gets its own wording
    assert delayed_subject != exception_subject
    assert refused_sms != accepted_sms and accepted["return"]["inspection_result"] == "accepted"


def test_template_errors_names_a_variable_the_type_does_not_carry():
    # given a return_approved template that uses a shipment's tracking number
    sources = {"body_text": "Your return {{ return.code }} ships as {{ shipment.tracking_number }}."}

    # when it is checked
    errors = template_errors(sources, type_key="return_approved", category="returns")

    # then the field is rejected and the message names the variable
    assert list(errors) == ["body_text"]
    assert len(errors["body_text"]) == 1 and "shipment.tracking_number" in errors["body_text"][0]


@pytest.mark.django_db
def test_ensure_catalogue_installs_the_defaults_once():
    # given a migrated database (post_migrate may already have installed the catalogue)
    ensure_catalogue()
    counts = (NotificationType.objects.count(), Rule.objects.count(), Template.objects.count())

    # when the catalogue is ensured again
    created = ensure_catalogue()

    # then nothing new is created and every type has one template per channel, with the shipped copy
    assert created == {"types": 0, "rules": 0, "templates": 0}
    assert (NotificationType.objects.count(), Rule.objects.count(), Template.objects.count()) == counts
    installed = sum(len(by_channel) for key, by_channel in load_copy().items() if key in CATEGORY)
    assert Template.objects.count() == installed
    assert installed > len(DEFAULT_TEMPLATES) * len(CHANNELS)  # and the transactional types' own
    template = Template.objects.get(notification_type__key="shipment_shipped", channel="sms")
    assert template.body_text_de == DEFAULT_TEMPLATES["shipment_shipped"]["sms"]["de"]["body_text"]


@pytest.mark.django_db
def test_ensure_catalogue_keeps_a_merchants_edits():
    # given a template a merchant has edited
    ensure_catalogue()
    template = Template.objects.get(notification_type__key="order_confirmed", channel="email")
    template.subject_en = "Order {{ order.number }}: thank you!"
    template.save()

    # when the catalogue is ensured again
    ensure_catalogue()

    # then the edit survives
    template.refresh_from_db()
    assert template.subject_en == "Order {{ order.number }}: thank you!"
