"""Where media live in production, from the environment (docs/deploy.md): MEDIA_ROOT (local or a shared mount), or
S3 or a compatible object store through django-storages (`pip install -e ".[s3]"`)."""
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured


def media_storage(environ: Mapping[str, str]) -> dict:
    """The STORAGES["default"] entry that MOSLAB_MEDIA_STORAGE (filesystem or s3) and its MOSLAB_S3_* variables
    describe. The S3 credentials are boto3's own (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or an instance role)."""
    kind = environ.get("MOSLAB_MEDIA_STORAGE", "filesystem")
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"MOSLAB_MEDIA_STORAGE must be filesystem or s3, not {kind!r}")
    if not environ.get("MOSLAB_S3_BUCKET"):
        raise ImproperlyConfigured("Set the MOSLAB_S3_BUCKET environment variable for media on S3.")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": environ["MOSLAB_S3_BUCKET"],
        "endpoint_url": environ.get("MOSLAB_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("MOSLAB_S3_REGION") or None,
        "default_acl": None, "querystring_auth": True, "file_overwrite": False,
    }}
