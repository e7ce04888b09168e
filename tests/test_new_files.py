"""Storing new files: the filesystem path gives what `Storage.save` gives (bytes, name, modes), never overwrites."""
import os
import resource
import signal
import stat

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage

from common.new_files import NewFiles


def test_a_new_file_is_stored_under_its_name_as_storage_save_stores_it(tmp_path):
    storage = FileSystemStorage(location=tmp_path / "fast")
    peer = FileSystemStorage(location=tmp_path / "peer")
    files = NewFiles(storage)
    prefixes = ("ab", "cd", "ab2")
    names = [files.save(f"stimuli/1/{prefix}/{prefix}cafe.png", prefix.encode() * 100) for prefix in prefixes]
    peer_names = [peer.save(f"stimuli/1/{prefix}/{prefix}cafe.png", ContentFile(prefix.encode() * 100))
                  for prefix in prefixes]
    assert names == peer_names
    for name in names:
        with storage.open(name) as fast, peer.open(name) as slow:
            assert fast.read() == slow.read()


def test_a_taken_name_keeps_the_old_file_and_stores_the_new_one_under_a_free_name(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    files = NewFiles(storage)
    first = files.save("stimuli/1/ab/same.png", b"first")
    second = files.save("stimuli/1/ab/same.png", b"second")
    assert first == "stimuli/1/ab/same.png" and second != first
    assert storage.open(first).read() == b"first" and storage.open(second).read() == b"second"


def test_the_storage_permission_modes_are_applied(tmp_path):
    storage = FileSystemStorage(location=tmp_path, file_permissions_mode=0o640, directory_permissions_mode=0o750)
    name = NewFiles(storage).save("stimuli/7/ef/x.png", b"data")
    assert stat.S_IMODE(os.stat(storage.path(name)).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "stimuli" / "7").st_mode) == 0o750
    assert stat.S_IMODE(os.stat(tmp_path / "stimuli" / "7" / "ef").st_mode) == 0o750


def test_a_name_outside_the_storage_root_is_refused(tmp_path):
    with pytest.raises(SuspiciousFileOperation):
        NewFiles(FileSystemStorage(location=tmp_path / "root")).save("../outside.png", b"data")
    assert not (tmp_path / "outside.png").exists()


def test_another_storage_is_written_through_its_own_save():
    storage = InMemoryStorage()
    files = NewFiles(storage)
    first = files.save("stimuli/1/ab/same.png", b"first")
    second = files.save("stimuli/1/ab/same.png", b"second")
    assert first == "stimuli/1/ab/same.png" and second != first
    assert storage.open(second).read() == b"second"


def test_a_known_folder_does_not_let_a_later_name_leave_the_root(tmp_path):
    files = NewFiles(FileSystemStorage(location=tmp_path / "root"))
    files.save("stimuli/1/ab/x.png", b"data")
    with pytest.raises(SuspiciousFileOperation):
        files.save("stimuli/1/ab/../../../../outside.png", b"data")
    assert not (tmp_path / "outside.png").exists()


def test_a_write_that_fails_leaves_no_half_written_file(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, write() fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, limit[1]))
    try:
        with pytest.raises(OSError, match="too large"):
            NewFiles(storage).save("stimuli/1/ab/big.png", b"x" * 5000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, handler)
    assert not (tmp_path / "stimuli" / "1" / "ab" / "big.png").exists()
