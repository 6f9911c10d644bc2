"""The branded email around a template's HTML fragment: logo, brand colours, hidden preheader,
support contact, company address and preference/unsubscribe links in the footer, a QR code of the
return code for returns the customer still has to drop off, CSS inlined with ``css_inline``
(a media query for phones is kept in a <style> block). Also the List-Unsubscribe headers.

``email_dress`` finishes a composed email message; ``render_layout`` is the pure part
(used by it, by previews and by the browser rendering tests)."""

import io
import re
from urllib.parse import quote

import css_inline
import qrcode
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from qrcode.image.pure import PyPNGImage

from catalogue.snapshots import brand_snapshot

# The HTML names the QR image by this content id; the provider swaps in the real cid it attaches.
QR_CID_PLACEHOLDER = "waypost-return-qr"
# Returns the customer still has to bring to a drop-off point: those emails carry the QR code.
QR_TYPES = {"return_approved", "return_label_issued"}

_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)

FOOTER = {
    "en": {
        "preferences": "Manage notification preferences",
        "unsubscribe": "Unsubscribe from these emails",
        "why": "You receive this email because you are a customer of {brand}.",
        "qr": "Show this code at the drop-off point",
        "support": "Support",
    },
    "es": {
        "preferences": "Gestionar preferencias de notificación",
        "unsubscribe": "Cancelar la suscripción a estos correos",
        "why": "Recibes este correo porque eres cliente de {brand}.",
        "qr": "Muestra este código en el punto de entrega",
        "support": "Ayuda",
    },
    "fr": {
        "preferences": "Gérer mes préférences de notification",
        "unsubscribe": "Se désabonner de ces e-mails",
        "why": "Vous recevez cet e-mail car vous êtes client de {brand}.",
        "qr": "Présentez ce code au point de dépôt",
        "support": "Assistance",
    },
    "de": {
        "preferences": "Benachrichtigungseinstellungen verwalten",
        "unsubscribe": "Diese E-Mails abbestellen",
        "why": "Sie erhalten diese E-Mail, weil Sie Kunde bei {brand} sind.",
        "qr": "Zeigen Sie diesen Code an der Abgabestelle",
        "support": "Kundenservice",
    },
}


def _color(value: str, default: str) -> str:
    # Colours go into CSS: accept only a hex colour.
    return value if value and _HEX_COLOR.match(value) else default


def qr_png(code: str) -> bytes:
    """A PNG of ``code`` as a QR code (pure Python: qrcode + pypng)."""
    image = qrcode.make(code, image_factory=PyPNGImage, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def render_layout(
    *,
    fragment: str,
    subject: str,
    preheader: str,
    brand: dict,
    language: str,
    links: dict,
    return_code: str = "",
    qr_src: str = "",
) -> str:
    """The full HTML document, CSS inlined. ``fragment`` is the template's rendered (escaped) HTML."""
    lang = (language or "en").split("-")[0].lower()
    words = FOOTER.get(lang, FOOTER["en"])
    context = {
        "lang": language or "en",
        "subject": subject,
        "preheader": preheader,
        "brand": brand,
        "content": mark_safe(fragment),  # rendered by the HTML engine with autoescape on
        "links": links,
        "return_code": return_code,
        "qr_src": qr_src,
        "primary": _color(brand.get("primary_color", ""), "#1f4e79"),
        "accent": _color(brand.get("accent_color", ""), "#f5a623"),
        "words": {**words, "why": words["why"].format(brand=brand.get("name", ""))},
    }
    return _INLINER.inline(render_to_string("email/layout.html", context))


def list_unsubscribe_headers(*, url: str, mailto: str, one_click: bool) -> dict:
    """RFC 2369 List-Unsubscribe (mailto and https) and, for a one-click URL, RFC 8058's POST hint."""
    parts = []
    if mailto:
        parts.append(f"<mailto:{mailto}?subject={quote('unsubscribe')}>")
    if url:
        parts.append(f"<{url}>")
    headers = {"List-Unsubscribe": ", ".join(parts)} if parts else {}
    if one_click and url:
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def email_dress(message, *, notification, links: dict):
    """Wrap a composed email message's HTML (``subject``, ``preheader``, ``body_html``, ``headers``,
    ``metadata``) in the brand layout and add its unsubscribe headers."""
    brand = notification.brand
    type_key = notification.notification_type.key
    code = ""
    if type_key in QR_TYPES:
        code = (notification.event.payload.get("return") or {}).get("code") or ""
    message.body_html = render_layout(
        fragment=message.body_html,
        subject=message.subject,
        preheader=message.preheader,
        brand=brand_snapshot(brand) if brand else {},
        language=notification.language,
        links=links,
        return_code=code,
        qr_src=f"cid:{QR_CID_PLACEHOLDER}" if code else "",
    )
    if code:
        message.metadata["qr_code"] = code
    message.headers.update(
        list_unsubscribe_headers(
            url=links.get("unsubscribe", ""),
            mailto=settings.EMAIL_UNSUBSCRIBE_MAILTO or (brand.support_email if brand else ""),
            one_click=not notification.notification_type.critical,
        )
    )
    return message
