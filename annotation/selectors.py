from django.contrib.auth.models import AbstractBaseUser

from annotation.models import RatingTask
from common.errors import PermissionDeniedError
from studies.models import Study


def task_next_for_user(*, study: Study, user: AbstractBaseUser) -> RatingTask | None:
    return (
        RatingTask.objects.filter(study=study, annotator=user, status=RatingTask.Status.PENDING)
        .select_related("stimulus").order_by("position").first()
    )


def task_get_for_user(*, study: Study, user: AbstractBaseUser, task_id: int) -> RatingTask:
    task = RatingTask.objects.filter(study=study, annotator=user, pk=task_id).select_related("stimulus").first()
    if task is None:
        raise PermissionDeniedError("This task is not assigned to you in this study.")
    return task


def task_progress_for_user(*, study: Study, user: AbstractBaseUser) -> dict[str, int]:
    tasks = RatingTask.objects.filter(study=study, annotator=user)
    return {"done": tasks.filter(status=RatingTask.Status.DONE).count(), "total": tasks.count()}
