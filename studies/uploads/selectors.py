"""Reads of uploads, scoped to the study and the coordinator who started them."""
from django.contrib.auth.models import AbstractBaseUser

from common.errors import PermissionDeniedError
from studies.models import Study
from studies.uploads.models import StimulusUpload


def upload_get(*, study: Study, user: AbstractBaseUser, upload_id) -> StimulusUpload:
    """One upload of `study` that `user` started (another coordinator's upload is theirs to finish)."""
    upload = StimulusUpload.objects.filter(study=study, created_by=user, pk=upload_id).select_related("study").first()
    if upload is None:
        raise PermissionDeniedError("No such upload in this study: it was imported, abandoned, or is not yours.")
    return upload
