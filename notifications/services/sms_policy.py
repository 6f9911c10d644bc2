"""Checks the dispatcher makes before an SMS or WhatsApp send: the customer's legal consent (an
SMS STOP wins over everything, critical messages included, even for deliveries planned before
it), and the per-customer cap on non-critical SMS (excess deferred, never dropped)."""
import datetime as dt

from django.conf import settings
from django.db.models import Min, Q

from preferences.models import ChannelConsent

from ..models import Delivery, Notification, PipelineSettings

MESSAGING_CHANNELS = ("sms", "whatsapp")


def consent_withdrawn(*, delivery: Delivery, notification: Notification) -> bool:
    if delivery.channel not in MESSAGING_CHANNELS:
        return False
    return ChannelConsent.objects.filter(customer_id=notification.customer_id, channel=delivery.channel,
                                         state=ChannelConsent.State.OPTED_OUT).exists()


def cap_defer_until(*, delivery: Delivery, notification: Notification, now: dt.datetime) -> dt.datetime | None:
    """When this non-critical SMS would exceed ``SMS_CUSTOMER_CAP_PER_HOUR`` for the customer,
    the time it may go instead (when the oldest SMS of the window leaves it); else None. The hour
    follows the pipeline's time scale, like every other wait."""
    cap = settings.SMS_CUSTOMER_CAP_PER_HOUR
    if delivery.channel != "sms" or cap <= 0 or notification.notification_type.critical:
        return None
    window = dt.timedelta(seconds=3600 * PipelineSettings.current().time_scale)
    if not window:
        return None
    recent = Delivery.objects.filter(notification__customer_id=notification.customer_id, channel="sms").exclude(
        pk=delivery.pk).filter(Q(sent_at__gte=now - window) | Q(status=Delivery.Status.SENDING))
    if recent.count() < cap:
        return None
    oldest = recent.aggregate(m=Min("sent_at"))["m"] or now
    return max(oldest + window, now + dt.timedelta(seconds=1))
