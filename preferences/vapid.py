"""VAPID keys for Web Push: ``WEBPUSH_VAPID_PUBLIC_KEY`` / ``WEBPUSH_VAPID_PRIVATE_KEY`` when set,
else a pair generated once (py_vapid) into ``WAYPOST_DATA_DIR/vapid.json`` so a new machine's
demo works with no setup. Both are base64url: the public key as the uncompressed P-256 point the
browser's ``applicationServerKey`` wants, the private key as its raw 32 bytes."""

import base64
import json
import os
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_vapid_keys() -> dict:
    vapid = Vapid()
    vapid.generate_keys()
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return {"public_key": _b64(public), "private_key": _b64(private)}


def keys_file():
    return settings.DATA_DIR / "vapid.json"


def ensure_vapid_keys() -> dict:
    """The key pair in use, creating the file once if the settings give none."""
    if settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY:
        return {"public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY, "private_key": settings.WEBPUSH_VAPID_PRIVATE_KEY}
    path = keys_file()
    if not path.exists():
        keys = generate_vapid_keys()
        try:  # O_EXCL: when two processes race, the first file wins and both use it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                json.dump(keys, fh)
    return json.loads(path.read_text())


@lru_cache(maxsize=4)
def _cached(path: str, public: str, private: str) -> tuple[str, str]:
    keys = ensure_vapid_keys()
    return keys["public_key"], keys["private_key"]


def vapid_public_key() -> str:
    return _cached(str(keys_file()), settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY)[0]


def vapid_private_key() -> str:
    return _cached(str(keys_file()), settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY)[1]
