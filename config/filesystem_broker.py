"""kombu's filesystem transport (the embedded default's broker) with messages that appear in the queue whole.

kombu 5.7 creates a message's file in the queue folder and then writes it; a worker listing the folder in
between takes the empty file, fails to decode it and stops ("Unrecoverable error: JSONDecodeError"), which a
loaded machine with a short polling interval makes likely. Here a message is written to a hidden file in the
same folder (which no queue's name matches) and renamed into place, atomic on one file system.
"""
import os
import tempfile
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: written aside, then renamed to the name kombu's `_get` looks for."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        handle, partial = tempfile.mkstemp(dir=self.data_folder_out, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc
        finally:
            if os.path.exists(partial):
                os.unlink(partial)


class Transport(filesystem.Transport):
    Channel = Channel


def use_atomic_filesystem_transport() -> None:
    """Make ``filesystem://`` URLs use this transport (kombu resolves a URL's scheme through its aliases)."""
    TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
