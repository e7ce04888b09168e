"""Runs of IQA models: a benchmark (models x repeated splits over one dataset version) and its training runs.

A row is the status: services create them, a Celery task on the ``gpu`` queue fills them in, and the
dashboards read what they stored. Models hold data and named constraints only.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import JobStatus, TimeStampedModel

RunStatus = JobStatus  # runs and benchmarks live as every job does (their own runtime, the same statuses)


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class Device(models.TextChoices):
    CUDA = "cuda", "CUDA GPU"
    CPU = "cpu", "CPU"


class BenchmarkRun(TimeStampedModel):
    """Models trained (or scored zero-shot) under one protocol on one dataset version."""

    Status = RunStatus

    version = models.ForeignKey("studies.DatasetVersion", on_delete=models.PROTECT, related_name="benchmark_runs")
    name = models.CharField(max_length=200)
    preset = models.CharField(max_length=20, help_text="The protocol preset it started from (or custom).")
    protocol = models.JSONField(help_text="Scheme, split spec or stored split, seeds, repeats, score, group column.")
    model_names = models.JSONField(help_text="The model names, in launch order.")
    hyperparameters = models.JSONField(default=dict, blank=True, help_text="Overrides laid over every model's config.")
    device = models.CharField(max_length=8, choices=Device.choices, default=Device.CUDA)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    launch_key = models.CharField(max_length=64, help_text="Hash of what was launched: one active copy at a time.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["launch_key"], condition=Q(status__in=["queued", "running"]),
                                    name="benchmark_run_one_active_launch"),
        ]

    def __str__(self) -> str:
        return f"benchmark #{self.pk} {self.name} ({self.status})"


class TrainingRun(TimeStampedModel):
    """One model on one split of a benchmark: trained and tested, or scored zero-shot."""

    Status = RunStatus

    class Kind(models.TextChoices):
        TRAIN = "train", "Trained on the split"
        CLASSICAL = "classical", "Classical baseline"
        ZERO_SHOT = "zero_shot", "Scored zero-shot"

    benchmark = models.ForeignKey(BenchmarkRun, on_delete=models.CASCADE, related_name="training_runs")
    model = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    repeat = models.PositiveIntegerField(default=0)
    seed = models.IntegerField(help_text="Training, SVR and bootstrap seed: the protocol's seed + the repeat, "
                                         "fixed when the benchmark is planned.")
    split_name = models.CharField(max_length=200, blank=True)
    assignment = models.JSONField(default=dict, blank=True, help_text="Item name -> part; empty = every item.")
    config = models.JSONField(default=dict, blank=True, help_text="The full resolved configuration.")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0, help_text="0 to 1.")
    epoch = models.PositiveIntegerField(default=0, help_text="Epochs finished.")
    epochs = models.PositiveIntegerField(default=0)
    stages = models.JSONField(default=list, blank=True, help_text="A video run's stage schedule in order: "
                              '[{"name", "epochs"}] (a JSON object would not keep the order on PostgreSQL).')
    phase = models.CharField(max_length=10, blank=True, help_text="What it is doing: scan, train, validate, test.")
    step = models.PositiveIntegerField(default=0, help_text="Optimiser steps taken in the epoch in progress.")
    steps_per_epoch = models.PositiveIntegerField(default=0)
    images_per_second = models.FloatField(null=True, blank=True, help_text="Of the phase in progress.")
    eta_seconds = models.FloatField(null=True, blank=True, help_text="Until the training (else the phase) ends.")
    loss = models.FloatField(null=True, blank=True, help_text="The epoch's mean training loss so far.")
    time_limit_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per attempt: the run stops cleanly in time, keeping its step to resume.")
    metrics = models.JSONField(default=list, blank=True, help_text="One record per finished epoch.")
    result = models.JSONField(default=dict, blank=True, help_text="The evaluation of the scored part.")
    predictions = models.JSONField(default=dict, blank=True, help_text="Image -> predicted score, scored part.")
    log = models.TextField(blank=True)
    worker = models.CharField(max_length=255, blank=True)
    attempt = models.PositiveIntegerField(default=1, help_text="Raised by each retry or resumption.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    run_dir = models.CharField(max_length=500, blank=True)
    checkpoint = models.CharField(max_length=500, blank=True, help_text="The best checkpoint, once written.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["benchmark", "repeat", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "model", "repeat"], name="training_run_unique_model_repeat"),
        ]

    def __str__(self) -> str:
        return f"run #{self.pk} {self.model} r{self.repeat} ({self.status})"


class WorkerDevice(models.Model):
    """One Celery worker's devices as it last reported them (modeling.devices): written when the worker is ready
    and on each heartbeat, deleted when it stops; a row not seen for a while is a lost worker."""

    worker = models.CharField(max_length=255, unique=True, help_text="The Celery worker's name (node@host).")
    queues = models.JSONField(default=list, help_text="The queues it consumes, e.g. [\"gpu\"].")
    cuda_devices = models.JSONField(default=list, blank=True,
                                    help_text="Its CUDA devices: [{\"name\": ..., \"memory_bytes\": ...}]; [] = none.")
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["worker"]

    def __str__(self) -> str:
        return f"{self.worker} ({', '.join(self.queues)})"
