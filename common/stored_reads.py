"""Opening many stored files for reading, with a cheaper path for the local filesystem.

`Storage.open` on a `FileSystemStorage` resolves every name through `safe_join` (made absolute, normalised,
compared with the root): for the 20,000 images of a bundle export that was about a sixth of its CPU. A plain
relative name (parts that are neither empty, `.` nor `..`, no backslash or NUL) cannot leave the storage's root,
so `StoredFiles.open` opens it there directly; any other name, and any other storage (object storage), goes
through `storage.open`, which refuses a name outside the root as before.
"""
import os
from typing import BinaryIO

from django.core.files.storage import FileSystemStorage, Storage


class StoredFiles:
    """Reads the files of one storage; what kind of storage it is, is looked up once."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.root = storage.location if isinstance(storage, FileSystemStorage) else None

    def open(self, name: str) -> BinaryIO:
        """The stored file `name`, opened for reading bytes (the caller closes it)."""
        if self.root is not None and _plain(name):
            return open(os.path.join(self.root, name), "rb")  # noqa: SIM115
        return self.storage.open(name, "rb")


def _plain(name: str) -> bool:
    return (bool(name) and "\\" not in name and "\x00" not in name
            and all(part not in ("", ".", "..") for part in name.split("/")))
