from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class JobStatus(models.TextChoices):
    """The life of a row that a Celery task fills in (a MOS computation, an export...)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Job(TimeStampedModel):
    """A background job's row: what the pages show and what `common.jobs` claims, keeps alive and recovers.

    `attempt` is the attempt its current message carries: a message of another attempt is skipped, so an
    attempt never runs twice. `heartbeat_at` is the last sign of life: the message sent (queued) or the
    worker's beat (running). `error` says why the job failed or was cancelled, or why an earlier attempt was
    abandoned.
    """

    Status = JobStatus

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempt = models.PositiveIntegerField(default=1, help_text="Raised each time a lost attempt is queued again.")
    worker = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    progress = models.FloatField(default=0, help_text="0 to 1.")
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        abstract = True
