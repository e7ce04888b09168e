"""A resumable upload in progress. Imported by `studies.models`; foreign keys name other models as strings."""
import uuid

from django.conf import settings
from django.db import models


class StimulusUpload(models.Model):
    """Files a coordinator is sending to a study, chunk by chunk; their bytes lie in a folder of their own
    (`studies.uploads.services.upload_folder`) until the import reads them, and the folder goes with the row.

    `files` is what the browser announced: [{"name": ..., "size": ...}]; what arrived is the size on disk.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    files = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"upload {self.pk} to study {self.study_id}"
