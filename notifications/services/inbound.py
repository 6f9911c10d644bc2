"""Texts customers send us: keywords act at once (STOP/START change consent and land in the consent
log, HELP answers, RESCHEDULE and CALL ME open requests for agents), anything else waits in the
agents' inbox. Each inbound message is handled once (unique provider message id) and gets at most
one automatic reply, sent after commit through the provider that received it."""
import unicodedata

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels import provider_named
from channels.base import OutboundMessage, SendStatus
from notifications.models import CallbackRequest, RescheduleRequest
from customers.models import Customer
from notifications.models import Delivery, InboundMessage
from preferences.models import ChannelConsent, ConsentLog

K = InboundMessage.Kind

KEYWORDS = {
    K.STOP: {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT", "OPT-OUT",
             "BAJA", "ALTO", "PARAR", "ARRET", "ARRETER", "DESABONNER"},
    K.START: {"START", "UNSTOP", "SUBSCRIBE", "ALTA", "REPRENDRE"},
    K.HELP: {"HELP", "INFO", "AYUDA", "AIDE", "HILFE"},
    K.RESCHEDULE: {"RESCHEDULE", "REPROGRAMAR", "REPROGRAMMER", "REPORTER", "VERSCHIEBEN", "NEUER TERMIN"},
    K.CALL_ME: {"CALL ME", "CALLME", "LLAMAME", "LLAMENME", "APPELEZ-MOI", "APPELEZ MOI", "RAPPELEZ-MOI",
                "RAPPELEZ MOI", "RUF MICH AN", "RUFEN SIE MICH AN"},
}

REPLIES = {
    "en": {
        K.STOP: "{brand}: You are unsubscribed and will receive no more texts. Reply START to resubscribe.",
        K.START: "{brand}: You are subscribed to order updates again. Reply HELP for help, STOP to opt out.",
        K.HELP: "{brand} order, delivery and return updates. Help: {support}. Msg frequency varies. "
                "Msg & data rates may apply. Reply STOP to opt out.",
        K.RESCHEDULE: "{brand}: Pick a new delivery time with the carrier here: {link}",
        K.CALL_ME: "{brand}: Thanks, we will call you back soon.",
        K.OTHER: "{brand}: Thanks for your message, our team will get back to you soon.",
    },
    "es": {
        K.STOP: "{brand}: Ya no recibirás más mensajes. Responde START para volver a suscribirte.",
        K.START: "{brand}: Vuelves a recibir avisos de tus pedidos. Responde AYUDA para ayuda, BAJA para salir.",
        K.HELP: "{brand} avisos de pedidos, entregas y devoluciones. Ayuda: {support}. Frecuencia variable. "
                "Msg & data rates may apply. Responde BAJA para salir.",
        K.RESCHEDULE: "{brand}: Elige otra hora de entrega con la transportista aquí: {link}",
        K.CALL_ME: "{brand}: Gracias, te llamaremos pronto.",
        K.OTHER: "{brand}: Gracias por tu mensaje, nuestro equipo te responderá pronto.",
    },
    "fr": {
        K.STOP: "{brand} : Vous ne recevrez plus de SMS. Répondez START pour vous réabonner.",
        K.START: "{brand} : Vous recevez à nouveau le suivi de vos commandes. AIDE pour l'aide, STOP pour arrêter.",
        K.HELP: "{brand} suivi des commandes, livraisons et retours. Aide : {support}. Fréquence variable. "
                "Msg & data rates may apply. Répondez STOP pour arrêter.",
        K.RESCHEDULE: "{brand} : Choisissez un nouveau créneau auprès du transporteur : {link}",
        K.CALL_ME: "{brand} : Merci, nous vous rappelons bientôt.",
        K.OTHER: "{brand} : Merci pour votre message, notre équipe vous répondra bientôt.",
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
    return K.OTHER


def e164(number: str) -> str:
    number = (number or "").strip().replace(" ", "")
    if number.startswith("whatsapp:"):
        number = number[len("whatsapp:"):]
    return number if number.startswith("+") else f"+{number}" if number else ""


def reply_text(kind: str, *, customer: Customer | None, link: str = "") -> str:
    language = ((customer.language if customer else "") or "en").split("-")[0].lower()
    texts = REPLIES.get(language, REPLIES["en"])
    brand = customer.brand if customer else None
    support = ""
    if brand:
        support = ", ".join(filter(None, [brand.support_url or brand.support_email, brand.support_phone]))
    return texts[kind].format(brand=brand.name if brand else "Waypost", support=support or "our website", link=link)


def _latest_texted_shipment(number: str):
    """The shipment whose update was texted to ``number`` last (the thread a reply answers)."""
    delivery = (Delivery.objects.filter(channel="sms", to=number, sent_at__isnull=False,
                                        notification__subject_key__startswith="shipment:")
                .select_related("notification__event").order_by("-sent_at", "-id").first())
    if delivery is None:
        return None, ""
    shipment_id = int(delivery.notification.subject_key.split(":", 1)[1])
    shipment = delivery.notification.event.payload.get("shipment") or {}
    return shipment_id, shipment.get("reschedule_url") or shipment.get("tracking_url") or ""


def inbound_receive(*, provider: str, message_id: str, from_number: str, text: str, to_number: str = "",
                    channel: str = "sms") -> InboundMessage | None:
    """Handle one inbound text; None when this provider message was handled before."""
    number = e164(from_number)
    kind = classify(text)
    with transaction.atomic():
        try:
            with transaction.atomic():
                inbound = InboundMessage.objects.create(
                    provider=provider, channel=channel, provider_message_id=message_id[:200], from_number=number[:20],
                    to_number=(to_number or "")[:40], text=text or "", kind=kind)
        except IntegrityError:
            return None
        customers = list(Customer.objects.filter(phone=number).select_related("brand").order_by("-id"))
        customer = customers[0] if customers else None
        reference = f"{provider}:{message_id}"
        link = ""
        if kind in (K.STOP, K.START):
            from preferences.services import consent_set

            state = ChannelConsent.State.OPTED_OUT if kind == K.STOP else ChannelConsent.State.OPTED_IN
            for each in customers:
                consent_set(customer=each, channel=channel, state=state, source=ConsentLog.Source.SMS_KEYWORD,
                            actor=f"{channel}:{number}", reference=reference)
        elif kind == K.RESCHEDULE:
            shipment_id, link = _latest_texted_shipment(number)
            if customer and shipment_id:
                RescheduleRequest.objects.create(customer=customer, shipment_id=shipment_id, inbound=inbound, link=link)
            else:
                kind = inbound.kind = K.OTHER  # no shipment thread to reschedule: an agent will look
        elif kind == K.CALL_ME:
            CallbackRequest.objects.create(customer=customer, phone=number, inbound=inbound)
        inbound.customer = customer
        inbound.reply_text = reply_text(kind, customer=customer, link=link)
        inbound.reply_status = InboundMessage.ReplyStatus.PENDING
        inbound.save(update_fields=["customer", "kind", "reply_text", "reply_status"])
        transaction.on_commit(lambda: inbound_reply_send(inbound_id=inbound.pk))
    return inbound


def inbound_reply_send(*, inbound_id: int) -> InboundMessage:
    """Send an inbound message's automatic reply, at most once (state moved under a row lock
    before the provider call)."""
    R = InboundMessage.ReplyStatus
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().get(pk=inbound_id)
        if inbound.reply_status != R.PENDING:
            return inbound
        inbound.reply_status = R.SENDING
        inbound.save(update_fields=["reply_status"])
    customer = inbound.customer
    sender = inbound.to_number or (customer.brand.sms_sender_number or customer.brand.sms_sender_id if customer else "")
    message = OutboundMessage(channel=inbound.channel, to=inbound.from_number, body_text=inbound.reply_text,
                              sender_id=sender, metadata={"inbound_id": inbound.pk, "site": settings.SITE_URL})
    try:
        result = provider_named(inbound.channel, inbound.provider).send(message, idempotency_key=f"wp-in-{inbound.pk}")
    except Exception as exc:  # never lose the record of what happened
        from channels.outcomes import failed_call

        result = failed_call(exc)
    ok = result.status in (SendStatus.ACCEPTED, SendStatus.DELIVERED)
    InboundMessage.objects.filter(pk=inbound.pk).update(
        reply_status=R.SENT if ok else R.FAILED, reply_provider_message_id=result.provider_message_id[:200],
        reply_error="" if ok else f"{result.error_code}: {result.error_text}"[:500], replied_at=timezone.now())
    inbound.refresh_from_db()
    return inbound
