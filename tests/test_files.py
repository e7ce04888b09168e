"""The one file SHA-256: the same digest as hashing the bytes at once, across chunk boundaries."""
import hashlib

import numpy as np
import pytest

from moslab_science.files import CHUNK_BYTES, file_sha256


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 2 * CHUNK_BYTES + 17])
def test_the_digest_is_that_of_the_whole_file(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    assert file_sha256(path) == file_sha256(str(path)) == hashlib.sha256(data).hexdigest()


def test_a_changed_byte_changes_the_digest(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"\x00" * (CHUNK_BYTES + 1))
    before = file_sha256(path)
    path.write_bytes(b"\x00" * CHUNK_BYTES + b"\x01")
    assert file_sha256(path) != before
