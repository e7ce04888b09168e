"""Media storages off disk for tests: one like object storage (files in a dict in memory, no local path), and a
real S3 server (moto) for django-storages' S3 backend."""
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible


@deconstructible(path="tests.storage.ObjectLikeStorage")
class ObjectLikeStorage(Storage):
    """Keys to bytes, with only what S3Storage offers: open, save, exists, delete, listdir, size and url; ``path()``
    raises NotImplementedError, so code that needs a local file must copy one."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}

    def _open(self, name, mode="rb"):
        if name not in self.objects:
            raise FileNotFoundError(name)
        return ContentFile(self.objects[name], name=name)

    def _save(self, name, content):
        content.seek(0)
        self.objects[name] = b"".join(content.chunks())
        return name

    def exists(self, name):
        return name in self.objects

    def delete(self, name):
        self.objects.pop(name, None)

    def listdir(self, path):
        prefix = f"{path.rstrip('/')}/" if path else ""
        below = [name[len(prefix):] for name in self.objects if name.startswith(prefix)]
        folders = {part.split("/", 1)[0] for part in below if "/" in part}
        return sorted(folders), sorted(part for part in below if "/" not in part)

    def size(self, name):
        return len(self.objects[name])

    def url(self, name):
        return f"https://objects.example/{name}"


@contextmanager
def local_s3_server(port: int):
    """moto's S3 server (PyPI `moto[server]`) on 127.0.0.1:`port` for the block; yields its endpoint URL."""
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto's S3 server did not start on {endpoint}") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=20)
