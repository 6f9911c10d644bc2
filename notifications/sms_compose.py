"""The SMS-specific part of composing a message: the sender for the destination country (an
alphanumeric id where allowed, a number where not), the HELP/STOP footer on the first text to a
number in countries that require it, and the encoding/segments/estimated cost in the metadata.
An answer to a text keeps the sender it names (the number the text was sent to) and gets no
footer: the customer is the one who wrote."""

from django.conf import settings

from catalogue.sms_encoding import estimated_cost, sms_stats
from channels.base import OutboundMessage
from channels.routing import country_of, sms_route, sms_sender
from notifications.models import Delivery

STOP_FOOTERS = {
    "en": "Reply STOP to opt out, HELP for help.",
    "es": "Responde BAJA para no recibir más, AYUDA para ayuda.",
    "fr": "Répondez STOP pour ne plus recevoir, AIDE pour l'aide.",
    "de": "Antworte STOP zum Abmelden, HELP für Hilfe.",
}


def first_text_to(delivery: Delivery) -> bool:
    """No SMS has gone to this number before (from any notification)."""
    return (
        not Delivery.objects.filter(channel="sms", to=delivery.to, sent_at__isnull=False)
        .exclude(pk=delivery.pk)
        .exists()
    )


def stop_footer(language: str) -> str:
    return STOP_FOOTERS.get((language or "en").split("-")[0].lower(), STOP_FOOTERS["en"])


def sms_finish(message: OutboundMessage, *, delivery: Delivery) -> OutboundMessage:
    notification = delivery.notification
    brand, customer, content = notification.brand, notification.customer, notification.content or {}
    # Locale formatting puts (narrow) no-break spaces in money and dates; GSM-7 has none, and one
    # would switch the whole text to UCS-2 (70 characters a segment).
    message.body_text = message.body_text.replace("\u00a0", " ").replace("\u202f", " ")
    country = ((customer.country if customer else "") or country_of(delivery.to)).upper()
    message.sender_id = content.get("sender") or sms_sender(
        country=country,
        sender_id=brand.sms_sender_id if brand else "",
        sender_number=brand.sms_sender_number if brand else "",
    )
    if (
        country in settings.SMS_STOP_FOOTER_COUNTRIES
        and not content.get("in_reply_to")
        and first_text_to(delivery)
        and "STOP" not in message.body_text.upper()
    ):
        message.body_text = f"{message.body_text}\n{stop_footer(delivery.notification.language)}"
    stats = sms_stats(message.body_text)
    cost = estimated_cost(message.body_text, provider=sms_route(delivery.to)[0], country=country)
    message.metadata.update(
        {
            "country": country,
            "encoding": stats.encoding,
            "segments": stats.segments,
            "estimated_cost": str(cost) if cost is not None else "",
        }
    )
    return message
