"""Listing the files of an import source (a folder or a zip) without trusting its paths."""
import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

IGNORED_PARTS = {"__MACOSX", ".DS_Store", "Thumbs.db"}


class SourceProblem(ValueError):
    """The source itself cannot be read safely; nothing was imported."""


@dataclass(frozen=True)
class SourceFile:
    name: str  # path relative to the source root, with forward slashes
    size_bytes: int
    read_bytes: Callable[[], bytes]


def read_source(path: Path, *, max_total_bytes: int) -> list[SourceFile]:
    """The files of a folder or zip, sorted by name; hidden and OS metadata files are skipped."""
    path = Path(path)
    if path.is_dir():
        files = _folder_files(path)
    elif zipfile.is_zipfile(path):
        files = _zip_files(path)
    elif path.exists():
        raise SourceProblem(f"{path.name} is neither a folder nor a zip file")
    else:
        raise SourceProblem(f"{path} does not exist")
    total = sum(file.size_bytes for file in files)
    if total > max_total_bytes:
        raise SourceProblem(
            f"the source holds {total:,} bytes, more than the limit of {max_total_bytes:,} "
            "(MOSLAB_MAX_UPLOAD_BYTES)"
        )
    return sorted(files, key=lambda file: file.name)


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(part in IGNORED_PARTS or part.startswith(".") for part in parts)


def _folder_files(root: Path) -> list[SourceFile]:
    """One `os.scandir` per folder (its entries know their type); hidden and OS folders are not entered."""
    files = []
    folders = [(str(root), "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = prefix + entry.name
                if _ignored((entry.name,)):
                    continue
                if entry.is_symlink():
                    raise SourceProblem(f"{name} is a symbolic link; copy the file itself instead")
                if entry.is_dir():
                    folders.append((entry.path, name + "/"))
                elif entry.is_file():
                    files.append(SourceFile(name, entry.stat().st_size, partial(_read_file, entry.path)))
    return files


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:  # a Path per file cost more than the read of a small image
        return handle.read()


def _zip_files(path: Path) -> list[SourceFile]:
    archive = zipfile.ZipFile(path)
    files = []
    for info in archive.infolist():
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in name.parts[0]:
            raise SourceProblem(f"zip entry {info.filename!r} points outside the import folder; refusing the zip")
        if info.is_dir() or _ignored(name.parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SourceProblem(f"zip entry {info.filename!r} is a symbolic link; refusing the zip")
        files.append(SourceFile(name.as_posix(), info.file_size, _zip_reader(archive, info)))
    return files


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        data = archive.read(info)
        if len(data) != info.file_size:
            raise SourceProblem(f"zip entry {info.filename!r} does not match its declared size")
        return data

    return read
