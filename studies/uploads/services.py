"""Resumable uploads: announce the files, append chunks at the offset the server has, then import all or nothing.

The bytes wait in `MOSLAB_UPLOAD_DIR/<upload id>/` (one file per announced name). After a lost connection
the page asks how much of each file arrived (`upload_received`) and sends the rest. The import is the one
stimulus import (`studies.services.stimuli_import`: every problem listed, nothing written unless all is
well); the folder and the row go afterwards, whatever the outcome. Uploads untouched for
`MOSLAB_UPLOAD_ABANDON_HOURS` are removed when the next upload starts, or by `manage.py uploads_clean`.
"""
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import DomainError
from moslab_science.errors import excerpt
from studies.models import Study
from studies.services import ImportReport, stimuli_import
from studies.uploads.models import StimulusUpload

MAX_FILES = 20_000
MAX_NAME = 255


class OffsetMismatch(DomainError):
    """A chunk that does not start where the file ends on the server; `received` is where to resume."""

    def __init__(self, message: str, *, received: int):
        super().__init__(message)
        self.received = received


def upload_folder(upload: StimulusUpload) -> Path:
    return Path(settings.MOSLAB_UPLOAD_DIR) / str(upload.pk)


def _file_problems(files) -> list[str]:
    if not isinstance(files, list) or not files:
        return ["choose at least one file: a zip, or images and videos"]
    if len(files) > MAX_FILES:
        return [f"{len(files)} files at once is too many; send at most {MAX_FILES:,}, or one zip"]
    problems, names = [], set()
    for index, entry in enumerate(files, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name or len(name) > MAX_NAME or "/" in name or "\\" in name \
                or name.startswith(".") or "\x00" in name:
            problems.append(f"file {index}: the name {excerpt(name)!r} must be a plain file name of 1 to {MAX_NAME} "
                            "characters, not starting with a dot")
        elif name in names:
            problems.append(f"{excerpt(name)} is chosen twice")
        elif isinstance(size, bool) or not isinstance(size, int) or size < 1:
            problems.append(f"{excerpt(name)}: the size must be a whole number of bytes above 0")
        names.add(name)
    zips = sorted(name for name in names if isinstance(name, str) and name.lower().endswith(".zip"))
    if zips and len(files) > 1:
        problems.append(f"send one zip on its own, or images and videos without a zip ({', '.join(zips[:3])} chosen "
                        "with other files)")
    total = sum(entry["size"] for entry in files if isinstance(entry, dict) and isinstance(entry.get("size"), int))
    if total > settings.MOSLAB_MAX_UPLOAD_BYTES:
        problems.append(f"the files hold {total:,} bytes, more than the limit of {settings.MOSLAB_MAX_UPLOAD_BYTES:,} "
                        "(MOSLAB_MAX_UPLOAD_BYTES); split them into several uploads")
    return problems


def upload_start(*, study: Study, by: AbstractBaseUser, files: list[dict]) -> StimulusUpload:
    """Announce the files (name and size each) of one upload; abandoned uploads are cleaned up first."""
    uploads_clean_abandoned()
    problems = _file_problems(files)
    if problems:
        raise DomainError("Nothing was uploaded; fix the choice of files.", problems=problems)
    upload = StimulusUpload.objects.create(study=study, created_by=by,
                                           files=[{"name": f["name"], "size": f["size"]} for f in files])
    upload_folder(upload).mkdir(parents=True, exist_ok=True)
    return upload


def upload_received(upload: StimulusUpload) -> dict[str, int]:
    """How many bytes of each announced file the server holds (where to resume)."""
    folder = upload_folder(upload)
    return {entry["name"]: (folder / entry["name"]).stat().st_size if (folder / entry["name"]).exists() else 0
            for entry in upload.files}


@transaction.atomic
def upload_chunk_append(*, upload: StimulusUpload, name: str, offset: int, data: bytes) -> int:
    """Append `data` to the file `name` if `offset` is exactly what arrived so far; returns the new size.

    A chunk sent twice (its answer lost) or out of order is refused with the size the server holds,
    which is where the page resumes.
    """
    locked = StimulusUpload.objects.select_for_update().get(pk=upload.pk)
    sizes = {entry["name"]: entry["size"] for entry in locked.files}
    if name not in sizes:
        raise DomainError(f"{excerpt(name)} is not a file of this upload; start a new upload.")
    path = upload_folder(locked) / name
    received = path.stat().st_size if path.exists() else 0
    if offset != received:
        raise OffsetMismatch(f"{excerpt(name)}: the server holds {received} bytes; send from there.",
                             received=received)
    if received + len(data) > sizes[name]:
        raise DomainError(f"{excerpt(name)} is larger than announced ({sizes[name]:,} bytes); start a new upload.")
    with path.open("ab") as handle:
        handle.write(data)
    StimulusUpload.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return received + len(data)


def upload_import(*, upload: StimulusUpload) -> ImportReport:
    """Import the upload's files (the zip, or the files as a folder), all or nothing; the upload is gone after."""
    received = upload_received(upload)
    missing = [f"{entry['name']}: {received[entry['name']]:,} of {entry['size']:,} bytes arrived"
               for entry in upload.files if received[entry["name"]] != entry["size"]]
    if missing:
        raise DomainError("Some files have not fully arrived; resume the upload first.", problems=missing)
    folder = upload_folder(upload)
    source = folder / upload.files[0]["name"] if len(upload.files) == 1 and \
        upload.files[0]["name"].lower().endswith(".zip") else folder
    try:
        return stimuli_import(study=upload.study, source=source)
    finally:
        upload_discard(upload=upload)


def upload_discard(*, upload: StimulusUpload) -> None:
    shutil.rmtree(upload_folder(upload), ignore_errors=True)
    StimulusUpload.objects.filter(pk=upload.pk).delete()


def uploads_clean_abandoned() -> int:
    """Remove uploads untouched for MOSLAB_UPLOAD_ABANDON_HOURS (their folders too); returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.MOSLAB_UPLOAD_ABANDON_HOURS)
    abandoned = list(StimulusUpload.objects.filter(updated_at__lt=cutoff))
    for upload in abandoned:
        upload_discard(upload=upload)
    return len(abandoned)
