"""Stored media as local files, for the libraries that need a path (PyAV, the training loop).

Every read of a stored file goes through Django's storage API, so media may live on object storage
(docs/deploy.md); these helpers copy the bytes to local disk when a path is unavoidable.
"""
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db.models.fields.files import FieldFile

COPY_CHUNK_BYTES = 1 << 20


@contextmanager
def local_copy(field_file: FieldFile) -> Iterator[Path]:
    """A temporary local file with the stored bytes, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="moslab-media-") as folder:
        path = Path(folder) / Path(field_file.name).name
        _copy(field_file, path)
        yield path


def cached_copy(field_file: FieldFile, *, sha256: str, folder: Path) -> Path:
    """The stored file at `folder`/<sha256><suffix>, copied once and checked against `sha256`; a cache a worker
    keeps between runs (the name is the content, so a copy is never stale). With no `sha256` recorded, the file is
    copied and named by the hash of the bytes read."""
    suffix = Path(field_file.name).suffix.lower()
    if sha256 and (folder / f"{sha256}{suffix}").is_file():
        return folder / f"{sha256}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(dir=folder, suffix=".part")
    os.close(handle)
    partial = Path(partial_name)
    try:
        digest = _copy(field_file, partial)
        if sha256 and digest != sha256:
            raise ValueError(f"the stored file {field_file.name} no longer matches its SHA-256")
        path = folder / f"{digest}{suffix}"
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _copy(field_file: FieldFile, path: Path) -> str:
    digest = hashlib.sha256()
    with field_file.storage.open(field_file.name, "rb") as source, path.open("wb") as target:
        while chunk := source.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()
