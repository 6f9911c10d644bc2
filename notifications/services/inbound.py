"""Texts customers send us: keywords act at once (STOP/START change consent and land in the consent
log, HELP answers, RESCHEDULE and CALL ME open requests for agents), anything else waits in the
agents' inbox. Each inbound message is handled once (unique provider message id) and gets at most
one automatic answer: a direct notification (``services.direct``, type ``sms_reply``) written
from the catalogue's copy in the customer's language, to the number that texted, through the
provider the text came in by and from the number it was sent to; the dispatcher sends it after
commit, with attempts, retries and reconciliation like any other message. It names the customer
when the number is theirs; a number we do not know gets its answer too, in no customer's name."""

import logging
import unicodedata

from django.db import IntegrityError, transaction
from django.template import TemplateSyntaxError

from catalogue.models import Template
from catalogue.rendering import TEMPLATE_LANGUAGES, build_context, render_template
from catalogue.snapshots import brand_snapshot, customer_snapshot, reply_snapshot
from customers.models import Brand, Customer
from notifications.models import (
    CallbackRequest,
    Delivery,
    InboundMessage,
    Notification,
    RescheduleRequest,
)
from notifications.services.direct import direct_notification_send
from preferences.models import ChannelConsent, ConsentLog

logger = logging.getLogger(__name__)
REPLY_TYPE = "sms_reply"
UNKNOWN_BRAND_NAME = "Waypost"  # who answers a number no brand knows

KEYWORDS = {
    InboundMessage.Kind.STOP: {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPT OUT",
        "OPTOUT",
        "OPT-OUT",
        "BAJA",
        "ALTO",
        "PARAR",
        "ARRET",
        "ARRETER",
        "DESABONNER",
    },
    InboundMessage.Kind.START: {"START", "UNSTOP", "SUBSCRIBE", "ALTA", "REPRENDRE"},
    InboundMessage.Kind.HELP: {"HELP", "INFO", "AYUDA", "AIDE", "HILFE"},
    InboundMessage.Kind.RESCHEDULE: {
        "RESCHEDULE",
        "REPROGRAMAR",
        "REPROGRAMMER",
        "REPORTER",
        "VERSCHIEBEN",
        "NEUER TERMIN",
    },
    InboundMessage.Kind.CALL_ME: {
        "CALL ME",
        "CALLME",
        "LLAMAME",
        "LLAMENME",
        "APPELEZ-MOI",
        "APPELEZ MOI",
        "RAPPELEZ-MOI",
        "RAPPELEZ MOI",
        "RUF MICH AN",
        "RUFEN SIE MICH AN",
    },
}


def _normal(text: str) -> str:
    text = " ".join((text or "").strip().upper().split()).strip(".!¡¿?,;: ")
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain if not unicodedata.combining(ch))  # ARRÊT -> ARRET, LLÁMAME -> LLAMAME


def classify(text: str) -> str:
    """The keyword a whole message is (any case, accents ignored), else ``other``."""
    normal = _normal(text)
    for kind, words in KEYWORDS.items():
        if normal in words:
            return kind
    return InboundMessage.Kind.OTHER


def e164(number: str) -> str:
    number = (number or "").strip().replace(" ", "")
    if number.startswith("whatsapp:"):
        number = number[len("whatsapp:") :]
    return number if number.startswith("+") else f"+{number}" if number else ""


def _latest_texted_shipment(number: str):
    """The shipment whose update was texted to ``number`` last (the thread a reply answers)."""
    delivery = (
        Delivery.objects.filter(
            channel="sms", to=number, sent_at__isnull=False, notification__subject_key__startswith="shipment:"
        )
        .select_related("notification__event")
        .order_by("-sent_at", "-id")
        .first()
    )
    if delivery is None:
        return None, ""
    shipment_id = int(delivery.notification.subject_key.split(":", 1)[1])
    shipment = delivery.notification.event.payload.get("shipment") or {}
    return shipment_id, shipment.get("reschedule_url") or shipment.get("tracking_url") or ""


def inbound_receive(
    *, provider: str, message_id: str, from_number: str, text: str, to_number: str = "", channel: str = "sms"
) -> InboundMessage | None:
    """Handle one inbound text; None when this provider message was handled before."""
    number = e164(from_number)
    kind = classify(text)
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMessage.objects.create(
                    provider=provider,
                    channel=channel,
                    provider_message_id=message_id[:200],
                    from_number=number[:20],
                    to_number=(to_number or "")[:40],
                    text=text or "",
                    kind=kind,
                )
        except IntegrityError:
            return None
        customers = list(Customer.objects.filter(phone=number).select_related("brand").order_by("-id"))
        customer = customers[0] if customers else None
        reference = f"{provider}:{message_id}"
        link = ""
        if kind in (InboundMessage.Kind.STOP, InboundMessage.Kind.START):
            from preferences.services import consent_set

            state = (
                ChannelConsent.State.OPTED_OUT if kind == InboundMessage.Kind.STOP else ChannelConsent.State.OPTED_IN
            )
            for each in customers:
                consent_set(
                    customer=each,
                    channel=channel,
                    state=state,
                    source=ConsentLog.Source.SMS_KEYWORD,
                    actor=f"{channel}:{number}",
                    reference=reference,
                )
        elif kind == InboundMessage.Kind.RESCHEDULE:
            shipment_id, link = _latest_texted_shipment(number)
            if customer and shipment_id:
                RescheduleRequest.objects.create(customer=customer, shipment_id=shipment_id, inbound=inbound, link=link)
            else:
                kind = inbound.kind = InboundMessage.Kind.OTHER  # no shipment thread to reschedule: an agent will look
        elif kind == InboundMessage.Kind.CALL_ME:
            CallbackRequest.objects.create(customer=customer, phone=number, inbound=inbound)
        inbound.customer = customer
        inbound.reply = _answer(inbound, kind=kind, customer=customer, link=link)
        inbound.save(update_fields=["customer", "kind", "reply"])
    return inbound


def _brand_of(inbound: InboundMessage, customer: Customer | None) -> Brand | None:
    """The brand the text was meant for: the customer's, else the brand whose number it was sent to."""
    if customer is not None:
        return customer.brand
    number = e164(inbound.to_number) if inbound.to_number else ""
    return Brand.objects.filter(sms_sender_number=number).order_by("pk").first() if number else None


def _answer(inbound: InboundMessage, *, kind: str, customer: Customer | None, link: str) -> Notification | None:
    """The automatic answer, as a direct notification in the customer's language (else the
    brand's, else English). None when the catalogue has no usable copy for the channel: the text
    is still handled, and nothing is sent."""
    template = (
        Template.objects.filter(notification_type__key=REPLY_TYPE, channel=inbound.channel).order_by("pk").first()
    )
    if template is None:
        logger.warning("no %s copy for %s: inbound #%s gets no answer", REPLY_TYPE, inbound.channel, inbound.pk)
        return None
    brand = _brand_of(inbound, customer)
    tags = (customer.language if customer else "", brand.default_language if brand else "")
    language = next((t for t in tags if t and t.split("-")[0].lower() in TEMPLATE_LANGUAGES), "en")
    payload = {
        "brand": brand_snapshot(brand) if brand else {"name": UNKNOWN_BRAND_NAME},
        "customer": customer_snapshot(customer) if customer else {},
        "reply": reply_snapshot(kind=kind, link=link),
    }
    context = build_context(payload=payload, customer_snapshot=payload["customer"], language=language, links={})
    try:
        written = render_template(template, language=language.split("-")[0].lower(), context=context)
    except TemplateSyntaxError:  # saved copy is checked; should an edit slip through, the text is still handled
        logger.exception(
            "the %s copy for %s does not render: inbound #%s gets no answer", REPLY_TYPE, inbound.channel, inbound.pk
        )
        return None
    sender = inbound.to_number or (brand.sms_sender_number or brand.sms_sender_id if brand else "")
    content = {"body_text": written.body_text, "provider": inbound.provider, "in_reply_to": inbound.pk}
    if sender:
        content["sender"] = sender
    return direct_notification_send(
        type_key=REPLY_TYPE,
        channel=inbound.channel,
        to=inbound.from_number,
        content=content,
        dedupe_key=f"reply:{inbound.pk}",
        cause=f"inbound.{kind}",
        subject=("inbound", inbound.pk),
        payload=payload,
        customer=customer,
        brand=brand,
        language=language,
    )
