"""A media storage like object storage (S3): files in a dict in memory, none on disk, no local path."""
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
