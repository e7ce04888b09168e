"""Datasets made from a study: immutable versions, their splits, exports, and what an import brought in.

Imported here by `studies.models`; foreign keys name other models as strings so this module imports no model.
"""
from django.conf import settings
from django.db import models

from common.models import Job
from moslab_science.datasets import SplitSpec, split_parts


class DatasetImport(models.Model):
    """How an imported study came in: the format, its options, the scale and the official splits it carried."""

    study = models.OneToOneField("studies.Study", on_delete=models.CASCADE, related_name="dataset_import")
    source_format = models.CharField(max_length=20)
    options = models.JSONField(default=dict, blank=True, help_text="Column mapping and other reader options.")
    source_name = models.CharField(max_length=255, help_text="The table or archive imported.")
    splits = models.JSONField(default=dict, blank=True, help_text="Splits that came with the data.")
    num_votes = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=64, help_text="Of the data read: importing it again is a no-op.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.source_format} import into {self.study}"


class ImportedMos(models.Model):
    """The MOS an imported dataset published for one stimulus (votes, if any, are Rating rows)."""

    stimulus = models.OneToOneField("studies.Stimulus", on_delete=models.CASCADE, related_name="imported_mos")
    mos = models.FloatField()
    std = models.FloatField(null=True)
    ci95 = models.FloatField(null=True)
    count = models.PositiveIntegerField(null=True)

    def __str__(self) -> str:
        return f"imported MOS {self.mos} of {self.stimulus_id}"


class ImportedSubject(models.Model):
    """A rater of an imported dataset: an inactive user that cannot log in, holding the dataset's subject id.

    Imported votes are Rating rows like any other, so MOS computations and exports treat them alike.
    """

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="imported_subjects")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="imported_subject")
    label = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "label"], name="imported_subject_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.label} of {self.study}"


class DatasetVersion(models.Model):
    """An immutable snapshot of a study's MOS; `content_hash` covers the data, never who made it or when."""

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="dataset_versions")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=200, blank=True)
    computation = models.ForeignKey(
        "studies.MosComputation", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The MOS computation snapshotted; empty when the MOS is the imported one.",
    )
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived",
        help_text="The version whose items this one copies (a version with a split added).",
    )
    method = models.CharField(max_length=20)
    mode = models.CharField(max_length=10, blank=True)
    dimension = models.CharField(max_length=40, blank=True, default="",
                                 help_text="The rating dimension snapshotted; empty: the single score.")
    parameters = models.JSONField(default=dict, blank=True)
    scale_min = models.FloatField()
    scale_max = models.FloatField()
    items = models.JSONField(help_text="One record per stimulus: name, file, sha256, mos, std, ci95, count, groups...")
    exclusions = models.JSONField(default=list, blank=True, help_text="Raters left out, why, and any override.")
    protocol_version = models.PositiveIntegerField(null=True, blank=True)
    protocol_config = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="dataset_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.study} dataset v{self.number}"


class DatasetSplit(models.Model):
    """One named split of a version: item name -> part; `spec` and `seed` reproduce it (empty if imported)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="splits")
    name = models.CharField(max_length=120)
    spec = models.JSONField(null=True, blank=True, help_text="The SplitSpec; null for a split that came with data.")
    seed = models.IntegerField(null=True, blank=True)
    assignment = models.JSONField()
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version", "name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="dataset_split_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.version}"

    def part_summaries(self) -> list[tuple[str, dict]]:
        """(part, summary) in the spec's order (train, val, test...); JSON columns may not keep key order."""
        parts = self.summary.get("parts", {})
        order = split_parts(SplitSpec.from_dict(self.spec)) if self.spec else ("train", "val", "test")
        return sorted(parts.items(), key=lambda entry: (order.index(entry[0]) if entry[0] in order else len(order),
                                                        entry[0]))


def export_upload_path(instance: "DatasetExport", filename: str) -> str:
    return f"exports/{instance.version.study_id}/{filename}"


class DatasetExport(Job):
    """One export of a version in one format; the row is the status, a Celery task fills it in (common.jobs)."""

    class Format(models.TextChoices):
        TABLE_CSV = "table_csv", "Table (CSV)"
        TABLE_JSON = "table_json", "Table (JSON)"
        TABLE_PARQUET = "table_parquet", "Table (Parquet)"
        RATINGS_CSV = "ratings_csv", "Raw ratings, long form (CSV)"
        BUNDLE = "bundle", "Zip bundle: images, checksums, table, ratings, datasheet"
        PYIQA = "pyiqa", "IQA-PyTorch (pyiqa) meta CSV"
        QALIGN = "qalign", "Q-Align JSON"
        DEQA = "deqa", "DeQA-Score soft labels JSON"
        DOVER = "dover", "DOVER labels.txt (aesthetic, technical, MOS)"
        T2VQA = "t2vqa", "T2VQA labels (path|prompt|MOS)"
        SUJSON = "sujson", "suJSON (VQEG)"

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=16, choices=Format.choices)
    split = models.ForeignKey(
        DatasetSplit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The split Q-Align takes its training range from.",
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=export_upload_path, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} of {self.version} ({self.status})"
