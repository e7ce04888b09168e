"""Storing many new files at once through a Django storage, with a cheaper path for the local filesystem.

`Storage.save` checks each name four times, asks whether it is free and makes its folder before writing; for
20,000 small imported images that was about 40 % of the import's CPU. When the storage is a `FileSystemStorage`,
`NewFiles.save` makes each folder once, creates the file with `O_EXCL` (a taken name fails instead of being
overwritten) and applies the storage's own permission modes and group; a taken name, or any other storage (object
storage), goes through `storage.save`, which picks a free name as before.
"""
import contextlib
import os

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.utils._os import safe_makedirs

CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class NewFiles:
    """Saves bytes under names that are expected to be free; `save` returns the name actually stored."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.local = isinstance(storage, FileSystemStorage)
        self.folders: set[str] = set()
        self.location_gid: int | None = None

    def save(self, name: str, data: bytes) -> str:
        if not self.local:
            return self.storage.save(name, ContentFile(data))
        full_path = self.storage.path(name)  # safe_join: refuses a name outside the storage's root
        self._make_folder(os.path.dirname(full_path))
        try:
            descriptor = os.open(full_path, CREATE_NEW, 0o666)
        except FileExistsError:
            return self.storage.save(name, ContentFile(data))
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            file_gid = os.fstat(descriptor).st_gid
        self._apply_modes(full_path, file_gid)
        return name

    def _make_folder(self, folder: str) -> None:
        if folder in self.folders:
            return
        mode = self.storage.directory_permissions_mode
        if mode is None:
            os.makedirs(folder, exist_ok=True)
        else:
            safe_makedirs(folder, mode, exist_ok=True)  # as FileSystemStorage does: the mode on every new level
        self.folders.add(folder)

    def _apply_modes(self, full_path: str, file_gid: int) -> None:
        if self.storage.file_permissions_mode is not None:
            os.chmod(full_path, self.storage.file_permissions_mode)
        if os.name != "posix":
            return
        if self.location_gid is None:
            self.location_gid = os.stat(self.storage.location).st_gid
        if file_gid != self.location_gid:  # as FileSystemStorage does: the file takes the storage root's group
            with contextlib.suppress(PermissionError):
                os.chown(full_path, uid=-1, gid=self.location_gid)
