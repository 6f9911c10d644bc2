"""The embedded broker: kombu's filesystem transport, with each message written to a temporary
file and renamed into the queue folder, so a consumer never picks up a half-written message
(kombu's own transport creates the file first and fills it after, and a fast consumer can read
it empty). Registered as the ``filesystem://`` transport by ``config.celery``."""

import os
import tempfile
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        fd, tmp_path = tempfile.mkstemp(
            dir=os.path.dirname(self.data_folder_out.rstrip("/")) or ".", prefix=".incoming-"
        )
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(tmp_path, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            if os.path.exists(tmp_path):
                os.unlink(tmp_path)
            raise filesystem.ChannelError(f"Cannot add message {name!r} to the queue folder") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def register() -> None:
    TRANSPORT_ALIASES["filesystem"] = "config.broker:Transport"
