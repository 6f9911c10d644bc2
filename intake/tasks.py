"""Celery tasks of order intake and carrier tracking: thin wrappers over the services.

- ``process_intake_record``: one stored payload, rate-limited (``INTAKE_RATE_LIMIT`` per worker)
  so a spike drains at a pace the database takes; safe to run twice.
- ``sweep_intake`` (beat): re-queues records left unprocessed (a lost broker message, a deferred
  fulfillment), ``INTAKE_SWEEP_BATCH`` at a time.
- ``poll_carriers`` (beat, every minute): polls each carrier whose interval has passed.
"""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.publishing import publish
from intake.models import CarrierAccount, IntakeRecord
from intake.services import carrier_poll, carrier_poll_due, intake_record_process


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, rate_limit=settings.INTAKE_RATE_LIMIT)
def process_intake_record(record_id: int) -> str:
    return intake_record_process(record_id=record_id).status


@shared_task(ignore_result=True)
def sweep_intake() -> int:
    cutoff = timezone.now() - timezone.timedelta(seconds=settings.INTAKE_SWEEP_GRACE_SECONDS)
    ids = list(
        IntakeRecord.objects.filter(status=IntakeRecord.Status.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[: settings.INTAKE_SWEEP_BATCH]
    )
    for pk in ids:
        if not publish(process_intake_record, (pk,)):
            break
    return len(ids)


@shared_task(ignore_result=True)
def poll_carriers() -> dict:
    now = timezone.now()
    results = {}
    for account in CarrierAccount.objects.filter(poll_enabled=True, has_webhooks=False):
        if carrier_poll_due(account=account, now=now):
            results[account.carrier] = carrier_poll(account=account)
    return results
