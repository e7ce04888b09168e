"""Opening stored files: the direct path reads what `Storage.open` reads, and any name that could leave the
storage's root still goes through the storage, which refuses it."""
import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, InMemoryStorage

from common.stored_reads import StoredFiles


def test_a_stored_file_reads_the_same_as_through_the_storage(tmp_path):
    storage = FileSystemStorage(location=tmp_path / "media")
    name = storage.save("stimuli/1/ab/abcafe.png", ContentFile(b"\x89PNG pixels"))
    with StoredFiles(storage).open(name) as direct, storage.open(name, "rb") as through:
        assert direct.read() == through.read() == b"\x89PNG pixels"


@pytest.mark.parametrize("name", ["../outside.png", "stimuli/../../outside.png", "/etc/passwd"])
def test_a_name_that_could_leave_the_root_is_refused_by_the_storage(tmp_path, name):
    (tmp_path / "outside.png").write_bytes(b"secret")
    storage = FileSystemStorage(location=tmp_path / "media")
    with pytest.raises(SuspiciousFileOperation):
        StoredFiles(storage).open(name).close()


def test_any_other_storage_is_read_through_its_own_open():
    storage = InMemoryStorage()
    name = storage.save("stimuli/a.png", ContentFile(b"bytes in memory"))
    with StoredFiles(storage).open(name) as handle:
        assert handle.read() == b"bytes in memory"
