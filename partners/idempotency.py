"""``Idempotency-Key`` support for partner POSTs: the first response is stored in the same
transaction as the work, and a repeat of the key returns it without doing the work again."""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from core.api.errors import error_body
from partners.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"

# For ``extend_schema(parameters=[IDEMPOTENCY_KEY])`` on decorated views.
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: a repeat with the same key returns the first response "
    "(422 if the body differs).",
)


def _request_hash(request) -> str:
    return hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(view_method):
    """Decorate a DRF view method (``create`` or an action)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.META.get(HEADER)
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 200:
            message = ["At most 200 characters."]
            return Response(
                error_body("invalid", f"Idempotency-Key: {message[0]}", {"Idempotency-Key": message}), status=400
            )
        digest = _request_hash(request)
        with transaction.atomic():
            try:
                # A concurrent request with the same key blocks here until we commit, then fails
                # the unique constraint and replays our stored response.
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        partner=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:300],
                        request_hash=digest,
                    )
            except IntegrityError:
                record = None
            # Only the key's own insert means "seen before": an IntegrityError raised by the
            # work itself propagates instead of being mistaken for a replay.
            if record is not None:
                response = view_method(self, request, *args, **kwargs)
                if response.status_code >= 400:
                    transaction.set_rollback(True)  # a failed request may be retried with the key
                    return response
                record.response_status = response.status_code
                record.response_body = json.loads(json.dumps(response.data, default=str))
                record.save(update_fields=["response_status", "response_body"])
                return response
        record = IdempotencyKey.objects.get(partner=request.user, key=key)
        if record.request_hash != digest or record.path != request.path[:300]:
            message = ["This key was already used for a different request."]
            body = error_body("idempotency_key_reused", f"Idempotency-Key: {message[0]}", {"Idempotency-Key": message})
            return Response(body, status=422)
        replay = Response(record.response_body, status=record.response_status)
        replay["Idempotent-Replayed"] = "true"
        return replay

    return wrapper
