"""Studies, their stimuli, who takes part, the votes, and MOS computations."""
import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import Job, TimeStampedModel


class Study(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for rating"
        CLOSED = "closed", "Closed"
        ARCHIVED = "archived", "Archived"  # closed and put away: takes no votes, offers annotators nothing

    class Origin(models.TextChoices):
        COLLECTED = "collected", "Collected here"
        IMPORTED = "imported", "Imported dataset"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scale_min = models.FloatField(default=1)
    scale_max = models.FloatField(default=5)
    raters_per_stimulus = models.PositiveSmallIntegerField(default=5)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.COLLECTED,
        help_text="Imported studies hold a public dataset; they take no new ratings.",
    )

    class Meta:
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(condition=Q(scale_max__gt=models.F("scale_min")), name="study_scale_ordered"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", "Coordinator"
        ANNOTATOR = "annotator", "Annotator"
        RESEARCHER = "researcher", "Researcher"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.study}"


def stimulus_upload_path(instance: "Stimulus", filename: str) -> str:
    return stimulus_file_name(study_id=instance.study_id, sha256=instance.sha256, filename=filename)


def stimulus_file_name(*, study_id: int, sha256: str, filename: str) -> str:
    """Where a stimulus's bytes are stored: named by their SHA-256 in the study's folder, with the file's suffix.

    One folder per study, not 256 by the hash's first two digits: on ext4 the spread folders cost the kernel 0.8-1.1 s
    against 0.4-0.6 s to create 20,000 files (bench/bench_datasets.py); a folder of 100,000+ names is an indexed
    lookup on every current filesystem, and object storage has no folders. Files stored before keep their names."""
    base = filename.rsplit("/", 1)[-1]
    suffix = base.rsplit(".", 1)[-1].lower() if "." in base else "bin"
    return f"{stimulus_folder(study_id)}/{sha256}.{suffix}"


def stimulus_folder(study_id: int) -> str:
    return f"stimuli/{study_id}"


class StimulusQuerySet(models.QuerySet):
    def studied(self) -> "StimulusQuerySet":
        """The stimuli the study is about: training, qualification and gold items left out."""
        return self.filter(is_quality_item=False)


class Stimulus(TimeStampedModel):
    """One image or video as uploaded: the stored bytes are the uploaded bytes, never re-encoded.

    A stimulus of an imported ratings-only dataset has no media: empty file and sha256, no size.
    A video's frame count, rate, duration and codec come from decoding it to the end at import.
    A quality item (training, qualification or gold, with a known score) is marked so that progress, MOS and
    dataset versions leave it out; the quality-item import sets the mark.
    """

    class MediaType(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="stimuli")
    name = models.CharField(max_length=255, help_text="File name as imported; unique in the study.")
    file = models.FileField(upload_to=stimulus_upload_path, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    media_type = models.CharField(max_length=8, choices=MediaType.choices, default=MediaType.IMAGE)
    image_format = models.CharField(max_length=16, blank=True, help_text="JPEG, PNG... or the video container.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True, help_text="Average: frames / duration.")
    duration_seconds = models.FloatField(null=True, blank=True)
    codec = models.CharField(max_length=32, blank=True)
    variable_frame_rate = models.BooleanField(default=False)
    source_content = models.CharField(
        max_length=255, blank=True, help_text="Id of the source content; splits never separate it."
    )
    groups = models.JSONField(default=dict, blank=True, help_text="Group labels, e.g. degradation, enhancer.")
    reference = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    prompt = models.TextField(blank=True)
    is_quality_item = models.BooleanField(
        default=False, help_text="A training, qualification or gold item: not rated for the study's MOS."
    )

    objects = StimulusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "stimuli"
        ordering = ["study", "name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="stimulus_unique_name"),
            models.UniqueConstraint(
                fields=["study", "sha256"], condition=~Q(sha256=""), name="stimulus_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StudyProtocol(models.Model):
    """One version of a study's rating protocol; a change is a new version, never an edit.

    `config` is validated and interpreted by the annotation app (scale, deduction guideline,
    training, gold, repeats, breaks, consistency rule, relabel rounds).
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="protocols")
    version = models.PositiveIntegerField()
    config = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["study", "version"], name="study_protocol_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.study} protocol v{self.version}"


# The current-vote rule, in one place: of a rater's votes on a stimulus (per dimension), the newest
# study rating counts for MOS, and only once verified. A relabel is a newer vote, so it replaces the vote it
# supersedes once it passes; training, qualification, gold and repeat votes never count. The ORM path
# (`RatingQuerySet.current`) and the one-pass aggregate (`studies.vote_cells`) are both built from these.
VOTE_KEY = ("stimulus", "rater", "dimension")
NEWEST_FIRST = ("-created_at", "-pk")


class RatingQuerySet(models.QuerySet):
    def current(self, *, as_of: dt.datetime | None = None) -> "RatingQuerySet":
        """Each annotator's latest verified study rating per stimulus (and dimension): what MOS is computed from.

        Training, qualification, gold and repeat votes are left out; so are votes never verified
        (awaiting the cross-check, flagged, or superseded by a relabel that has not passed yet).
        Each rating dimension has its own latest vote; filter by `dimension` for one dimension's votes.
        With `as_of`, the votes that were current at that moment: cast and verified by then.
        A study-wide read for MOS uses `studies.vote_cells.current_vote_cells` (one pass, same rule).
        """
        return self.filter(counted_votes(verified_only=True, as_of=as_of),
                           pk=models.Subquery(_newest_of_key(verified_only=True, as_of=as_of)))

    def latest_per_rater(self) -> "RatingQuerySet":
        """Each annotator's latest study rating per stimulus and dimension, verified or not (for the cross-check)."""
        return self.filter(counted_votes(verified_only=False),
                           pk=models.Subquery(_newest_of_key(verified_only=False)))


def counted_votes(*, verified_only: bool, as_of: dt.datetime | None = None) -> Q:
    """The votes the current-vote rule chooses among: study ratings, verified ones only if `verified_only`;
    with `as_of` (verified only), those cast and verified by that moment."""
    counted = Q(purpose=Rating.Purpose.RATING)
    if verified_only:
        counted &= Q(verified=True)
    if as_of is not None:
        counted &= Q(created_at__lte=as_of) & (Q(verified_at__isnull=True) | Q(verified_at__lte=as_of))
    return counted


def _newest_of_key(*, verified_only: bool, as_of: dt.datetime | None = None):
    same_key = {field: models.OuterRef(field) for field in VOTE_KEY}
    return (Rating.objects.filter(counted_votes(verified_only=verified_only, as_of=as_of), **same_key)
            .order_by(*NEWEST_FIRST).values("pk")[:1])


class Rating(models.Model):
    """One vote. Never updated in place nor deleted; a relabel is a new row that `supersedes` the old one.

    `client_id` makes a submission idempotent per rater. Only `verified`/`verified_at` change after
    creation, when the stimulus passes the cross-check or a coordinator accepts it.
    """

    class Purpose(models.TextChoices):
        RATING = "rating", "Study rating"
        TRAINING = "training", "Training"
        QUALIFICATION = "qualification", "Qualification"
        GOLD = "gold", "Gold check"
        REPEAT = "repeat", "Repeated item"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="ratings")
    stimulus = models.ForeignKey(Stimulus, on_delete=models.PROTECT, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings")
    score = models.FloatField()
    dimension = models.CharField(
        max_length=40, blank=True, default="",
        help_text="The rating dimension (e.g. technical, aesthetic, alignment); empty for a single-score study.",
    )
    client_id = models.UUIDField(default=uuid.uuid4)
    response_time_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    purpose = models.CharField(max_length=14, choices=Purpose.choices, default=Purpose.RATING)
    protocol = models.ForeignKey(StudyProtocol, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    deductions = models.JSONField(default=dict, blank=True, help_text="Severity chosen per aspect.")
    suggested_score = models.FloatField(null=True, blank=True, help_text="The guideline's score for the deductions.")
    reason = models.CharField(max_length=300, blank=True, help_text="Why the score differs from the suggestion.")
    display = models.JSONField(default=dict, blank=True, help_text="Viewport, devicePixelRatio, size drawn, zoom...")
    round = models.PositiveSmallIntegerField(default=0, help_text="0 for the first vote, n for the n-th relabel.")
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    change_reason = models.CharField(max_length=300, blank=True, help_text="Why this vote replaces an earlier one.")
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rater", "client_id", "dimension"], name="rating_unique_client_id"),
        ]
        indexes = [
            models.Index(fields=["study", "stimulus"], name="rating_study_stimulus_idx"),
            models.Index(fields=["stimulus", "rater", "purpose"], name="rating_stimulus_rater_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rater} gave {self.score} to {self.stimulus}"


class MosComputation(Job):
    """A request to compute MOS for a study; the row is the status (common.jobs), the results hang off it."""

    class Method(models.TextChoices):
        MEAN = "mean", "Plain mean"
        BT500 = "bt500", "ITU-R BT.500 screening"
        ZSCORE = "zscore", "Per-subject z-scores"
        P913 = "p913", "ITU-T P.913 bias removal"
        CORRELATION = "correlation", "Correlation screening (P.913)"
        MLE = "mle", "MLE subject model"

    class Mode(models.TextChoices):
        DEFAULT = "default", "moslab (sound handling of partial designs and unanimous votes)"
        SUREAL = "sureal", "sureal 0.9.0 compatible"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="mos_computations")
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.MEAN)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DEFAULT)
    dimension = models.CharField(max_length=40, blank=True, default="",
                                 help_text="The rating dimension whose votes this MOS is of; empty: the single score.")
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    warnings = models.JSONField(default=list, blank=True)
    num_ratings = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} for {self.study} ({self.status})"


class StimulusMos(models.Model):
    # No index of its own: the unique (computation, stimulus) and the (computation, position) index lead with it.
    # No foreign-key constraint in the database: the rows are written only in the transaction that holds their
    # computation's row locked (`common.jobs.job_run`), so the database's check could never fail, and at 100,000
    # rows it cost 0.45 s of the commit (one lookup per row). Deleting a computation deletes them (Django's cascade).
    computation = models.ForeignKey(MosComputation, on_delete=models.CASCADE, related_name="results", db_index=False,
                                    db_constraint=False)
    stimulus = models.ForeignKey(Stimulus, on_delete=models.CASCADE, related_name="mos_results")
    mos = models.FloatField(null=True)
    std = models.FloatField(null=True)
    ci95 = models.FloatField(null=True, help_text="Half-width of the 95% confidence interval.")
    count = models.PositiveIntegerField()
    position = models.PositiveIntegerField(
        null=True, help_text="Place of the stimulus by name in this computation (0 first): pages read a range."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["computation", "stimulus"], name="stimulus_mos_unique"),
        ]
        indexes = [models.Index(fields=["computation", "position"], name="stimulus_mos_position_idx")]

    def __str__(self) -> str:
        return f"MOS {self.mos} of {self.stimulus_id} in computation {self.computation_id}"


class SubjectReport(models.Model):
    """What one computation concluded about one rater: kept or rejected, and why."""

    computation = models.ForeignKey(MosComputation, on_delete=models.CASCADE, related_name="subject_reports")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    num_votes = models.PositiveIntegerField()
    rejected = models.BooleanField(default=False, help_text="Final decision, after any coordinator override.")
    automatic_rejected = models.BooleanField(null=True, help_text="The method's own decision, if it screens.")
    reason = models.TextField(blank=True)
    p_count = models.IntegerField(null=True)
    q_count = models.IntegerField(null=True)
    pearson = models.FloatField(null=True, help_text="Pearson correlation with the MOS of the others.")
    spearman = models.FloatField(null=True, help_text="Spearman correlation with the MOS of the others.")
    bias = models.FloatField(null=True)
    inconsistency = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["computation", "rater"], name="subject_report_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rater} in computation {self.computation_id}: {'rejected' if self.rejected else 'kept'}"


class SubjectDecision(models.Model):
    """A coordinator's override of screening for one rater; append-only, the newest one counts."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Always keep"
        REJECT = "reject", "Always reject"
        AUTOMATIC = "automatic", "Back to the method's decision"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="subject_decisions")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.decision} {self.rater} ({self.reason})"


# Dataset versions, splits, exports and imports, invitation links and resumable uploads live in their wings.
from studies.datasets.models import (  # noqa: E402, F401
    DatasetExport,
    DatasetImport,
    DatasetSplit,
    DatasetVersion,
    ImportedMos,
    ImportedSubject,
)
from studies.people.models import Invitation, InvitationUse  # noqa: E402, F401
from studies.uploads.models import StimulusUpload  # noqa: E402, F401
