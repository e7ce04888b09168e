"""Who rates what and in which order, annotator enrolment, quality items and the cross-check reviews."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel
from studies.models import Rating, Stimulus, Study, StudyProtocol


class RatingTask(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    class Kind(models.TextChoices):
        RATING = "rating", "Rating"
        TRAINING = "training", "Training"
        QUALIFICATION = "qualification", "Qualification"
        GOLD = "gold", "Gold check"
        REPEAT = "repeat", "Repeated item"
        RELABEL = "relabel", "Relabel"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rating_tasks")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="rating_tasks")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rating_tasks")
    position = models.PositiveIntegerField(help_text="Order in this annotator's queue.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rating = models.OneToOneField(Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="task")
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.RATING)
    slot = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Which of the stimulus's N rater places this study task fills."
    )
    round = models.PositiveSmallIntegerField(default=0, help_text="Relabel round; 0 otherwise.")
    priority = models.PositiveSmallIntegerField(default=10, help_text="Lower comes first (relabel tasks: 0).")

    class Meta:
        ordering = ["study", "annotator", "priority", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["stimulus", "annotator"], condition=Q(kind="rating"), name="rating_task_unique_per_annotator"
            ),
            models.UniqueConstraint(
                fields=["stimulus", "slot"], condition=Q(kind="rating"), name="rating_task_unique_slot"
            ),
            models.UniqueConstraint(
                fields=["stimulus", "annotator", "round"], condition=Q(kind="relabel"),
                name="rating_task_unique_relabel_round",
            ),
            models.UniqueConstraint(fields=["study", "annotator", "position"], name="rating_task_unique_position"),
        ]
        indexes = [models.Index(fields=["study", "annotator", "status"], name="rating_task_queue_idx")]

    def __str__(self) -> str:
        return f"{self.annotator} rates {self.stimulus} ({self.kind})"


class QualityItem(TimeStampedModel):
    """A stimulus with a known score: for training (with feedback), qualification or hidden gold checks."""

    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        QUALIFICATION = "qualification", "Qualification"
        GOLD = "gold", "Gold"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="quality_items")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="quality_items")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    reference_score = models.FloatField()
    tolerance = models.FloatField(default=1.0)
    explanation = models.TextField(blank=True, help_text="Shown after a training vote.")

    class Meta:
        ordering = ["study", "kind", "pk"]
        constraints = [models.UniqueConstraint(fields=["stimulus", "kind"], name="quality_item_unique_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.stimulus} = {self.reference_score:g}"


class Enrolment(TimeStampedModel):
    """One annotator's progress through a study: instructions, training, qualification, rating, done."""

    class Phase(models.TextChoices):
        INSTRUCTIONS = "instructions", "Instructions"
        TRAINING = "training", "Training"
        QUALIFICATION = "qualification", "Qualification"
        RATING = "rating", "Rating"
        DONE = "done", "Done"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    protocol = models.ForeignKey(StudyProtocol, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(max_length=14, choices=Phase.choices, default=Phase.INSTRUCTIONS)
    paused = models.BooleanField(default=False)
    pause_reason = models.CharField(max_length=300, blank=True)
    qualification_score = models.FloatField(null=True, blank=True)
    gold_failures = models.PositiveIntegerField(default=0)
    rated_in_block = models.PositiveIntegerField(default=0)
    study_votes = models.PositiveIntegerField(
        default=0, help_text="Study rating tasks this annotator has done (summed for the study progress bar)."
    )
    break_until = models.DateTimeField(null=True, blank=True)
    completion_code = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "user"], name="enrolment_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.study}: {self.phase}"


class StimulusReview(TimeStampedModel):
    """One cross-check of a stimulus's votes; flagged ones wait in the coordinator's review queue."""

    class Status(models.TextChoices):
        CONSISTENT = "consistent", "Consistent"
        OPEN = "open", "Waiting for review"
        RELABEL = "relabel", "Relabel requested"
        MORE_RATERS = "more_raters", "More raters requested"
        ACCEPTED = "accepted", "Accepted"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="stimulus_reviews")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices)
    reasons = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True, help_text="Rating id -> score at check time.")
    deviating = models.JSONField(default=list, blank=True, help_text="Rater ids found deviating.")
    extra_raters = models.PositiveSmallIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["study", "stimulus", "-created_at"]
        indexes = [models.Index(fields=["study", "status"], name="stimulus_review_status_idx")]

    def __str__(self) -> str:
        return f"{self.stimulus} round {self.round}: {self.status}"


from annotation.crowd.models import CrowdLink, CrowdParticipant  # noqa: E402, F401  (the crowd wing's models)
