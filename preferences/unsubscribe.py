"""One-click unsubscribe (RFC 8058) from one notification type's emails.

Every email's ``List-Unsubscribe`` header carries ``/u/<signed>/``: the token is signed with a salt
of its own and names the customer and the notification type. A POST to it (what a mail client's
"Unsubscribe" button sends: no session, no CSRF token) turns that type off on email for that
customer, logged in the consent log; a GET shows a small page whose button sends that POST.
Only a valid signature changes anything. Critical types cannot be turned off per type, so their
link is the preference center instead (and a stray token for one leads there too).
"""

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from preferences.links import preference_link_for
from preferences.models import ChannelConsent

SALT = "preferences.unsubscribe"
SOURCE = "email_unsubscribe"


def unsubscribe_token_for(*, customer: Customer, type_key: str) -> str:
    # No expiry: an unsubscribe link must keep working for as long as the email is in an inbox.
    return signing.dumps({"c": customer.pk, "t": type_key}, salt=SALT, compress=True)


def unsubscribe_link_for(*, customer: Customer, notification_type) -> str:
    """The https half of List-Unsubscribe: one-click for this type, or the preference center
    for a critical type (which per-type choices cannot stop)."""
    if notification_type.critical:
        return preference_link_for(customer)
    path = reverse(
        "unsubscribe", kwargs={"token": unsubscribe_token_for(customer=customer, type_key=notification_type.key)}
    )
    return f"{settings.SITE_URL}{path}"


def unsubscribe_target(token: str):
    """(customer, notification type) a token was signed for, or None if tampered or unknown."""
    from catalogue.models import NotificationType

    try:
        data = signing.loads(token, salt=SALT)
        customer = Customer.objects.select_related("brand").filter(pk=int(data["c"])).first()
        notification_type = NotificationType.objects.filter(key=str(data["t"])).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if customer is None or notification_type is None:
        return None
    return customer, notification_type


def email_type_unsubscribe(*, customer: Customer, type_key: str, reference: str = "") -> bool:
    """Turn ``type_key`` off on email for ``customer`` (a consent-log row records it). Returns
    whether anything changed (a second click changes nothing)."""
    from preferences.services import consent_set

    return consent_set(
        customer=customer,
        channel="email",
        state=ChannelConsent.State.OPTED_OUT,
        source=SOURCE,
        actor=f"customer:{customer.pk}",
        type_key=type_key,
        reference=reference,
    )


def _page(request, template: str, context: dict, status: int = 200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@csrf_exempt  # RFC 8058: the mail client POSTs with no cookie and no token; the signature is the key
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request, token: str):
    target = unsubscribe_target(token)
    if target is None:
        return _page(request, "preferences/invalid_link.html", {}, status=400)
    customer, notification_type = target
    if notification_type.critical:
        return redirect(preference_link_for(customer), permanent=False)
    language = (customer.language or customer.brand.default_language or "en").split("-")[0]
    context = {
        "customer": customer,
        "brand": customer.brand,
        "type_name": notification_type.name,
        "preferences_url": preference_link_for(customer),
        "html_lang": language,
    }
    with translation.override(language):
        if request.method == "POST":
            email_type_unsubscribe(customer=customer, type_key=notification_type.key, reference="list-unsubscribe")
            return _page(request, "email/unsubscribed.html", context)
        return _page(request, "email/unsubscribe_confirm.html", context)
