"""Files on disk: the one SHA-256 of a file (exports, bundles, weights, feature caches), read in 1 MiB chunks."""
import hashlib
from pathlib import Path

CHUNK_BYTES = 1 << 20


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256 as hex, without holding the whole file in memory."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
