"""Who rates what, in which order, and the vote that closed each task."""
from django.conf import settings
from django.db import models

from common.models import TimeStampedModel
from studies.models import Rating, Stimulus, Study


class RatingTask(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rating_tasks")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="rating_tasks")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rating_tasks")
    position = models.PositiveIntegerField(help_text="Order in this annotator's queue.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rating = models.OneToOneField(Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="task")

    class Meta:
        ordering = ["study", "annotator", "position"]
        constraints = [
            models.UniqueConstraint(fields=["stimulus", "annotator"], name="rating_task_unique_per_annotator"),
            models.UniqueConstraint(fields=["study", "annotator", "position"], name="rating_task_unique_position"),
        ]
        indexes = [models.Index(fields=["study", "annotator", "status"], name="rating_task_queue_idx")]

    def __str__(self) -> str:
        return f"{self.annotator} rates {self.stimulus}"
