"""What a dataset version records, read from the database, and the hash of its data.

The hash covers the data only (items, scale, splits, and the rating dimension when there is one), never
who made it, when, or from which computation, so the same data imported into another study hashes the same.
"""
from dataclasses import dataclass, field, replace

from common.errors import DomainError
from moslab_science.datasets import DatasetItem, content_hash
from studies.models import (
    DatasetImport,
    DatasetVersion,
    ImportedMos,
    ImportedSubject,
    MosComputation,
    Rating,
    Study,
    StudyProtocol,
    SubjectDecision,
)

HASHED_FIELDS = ("name", "sha256", "mos", "std", "ci95", "count", "source_content", "groups")
IMPORTED_METHOD = "imported"


@dataclass(frozen=True)
class VersionData:
    items: list[dict]
    scale: tuple[float, float]
    computation: MosComputation | None = None
    method: str = IMPORTED_METHOD
    mode: str = ""
    parameters: dict = field(default_factory=dict)
    exclusions: list[dict] = field(default_factory=list)
    protocol_version: int | None = None
    protocol_config: dict = field(default_factory=dict)
    imported_splits: dict[str, dict[str, str]] = field(default_factory=dict)
    dimension: str = ""

    @classmethod
    def of_version(cls, version: DatasetVersion) -> "VersionData":
        return cls(
            items=version.items, scale=(version.scale_min, version.scale_max), computation=version.computation,
            method=version.method, mode=version.mode, parameters=version.parameters,
            exclusions=version.exclusions, protocol_version=version.protocol_version,
            protocol_config=version.protocol_config, dimension=version.dimension,
        )


def hash_version(
    *, items: list[dict], scale: tuple[float, float], splits: dict[str, dict[str, str]], dimension: str = ""
) -> str:
    """The single-score hash is unchanged by dimensions: the key is added only for a named dimension."""
    data = sorted((_hashed(item) for item in items), key=lambda item: item["name"])
    hashed = {"scale": [float(scale[0]), float(scale[1])], "items": data, "splits": splits}
    return content_hash({**hashed, "dimension": dimension} if dimension else hashed)


def _hashed(item: dict) -> dict:
    """The hashed fields, numbers normalised (4 and 4.0 are the same MOS; canonical JSON writes them apart)."""
    numbers = {key: None if item[key] is None else float(item[key]) for key in ("mos", "std", "ci95")}
    count = None if item["count"] is None else int(item["count"])
    return {**{key: item[key] for key in HASHED_FIELDS}, **numbers, "count": count}


def items_of(records: list[dict]) -> list[DatasetItem]:
    return [DatasetItem(**_without_stimulus_id(record)) for record in records]


def _without_stimulus_id(record: dict) -> dict:
    fields = record.copy()  # a copy and a delete cost a fifth of a dict comprehension per record
    fields.pop("stimulus_id", None)
    return fields


def subject_labels(study: Study) -> dict[int, str]:
    """What exports call each rater: the dataset's own id if imported, else S001, S002... (no user names)."""
    imported = dict(ImportedSubject.objects.filter(study=study).values_list("user_id", "label"))
    if imported:
        return imported
    raters = sorted(set(Rating.objects.filter(study=study).values_list("rater_id", flat=True)))
    return {rater: f"S{index:03d}" for index, rater in enumerate(raters, start=1)}


def snapshot_study(study: Study, *, dimension: str = "") -> VersionData:
    """The latest succeeded MOS computation of the study on `dimension` ("" the single score); for an imported
    study without one, the imported MOS (a single score)."""
    computation = (
        MosComputation.objects.filter(study=study, status=MosComputation.Status.SUCCEEDED, dimension=dimension)
        .order_by("-finished_at", "-pk").first()
    )
    imported = DatasetImport.objects.filter(study=study).first() if not dimension else None
    protocol = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    common = {
        "scale": (study.scale_min, study.scale_max),
        "protocol_version": protocol.version if protocol else None,
        "protocol_config": protocol.config if protocol else {},
    }
    if computation is not None:
        rows = computation.results.select_related("stimulus", "stimulus__reference").exclude(mos=None)
        items = [_item(row.stimulus, mos=row.mos, std=row.std, ci95=row.ci95, count=row.count) for row in rows]
        data = VersionData(
            items=items, computation=computation, method=computation.method, mode=computation.mode,
            parameters=computation.parameters, exclusions=_exclusions(computation), dimension=dimension, **common,
        )
    elif imported is not None:
        rows = ImportedMos.objects.filter(stimulus__study=study).select_related("stimulus", "stimulus__reference")
        items = [_item(row.stimulus, mos=row.mos, std=row.std, ci95=row.ci95, count=row.count) for row in rows]
        data = VersionData(items=items, **common)
    elif dimension:
        raise DomainError(f"The study has no succeeded MOS computation of dimension {dimension!r} yet; compute "
                          "that dimension's MOS first, then take a version.")
    else:
        raise DomainError("The study has no succeeded MOS computation yet; compute MOS first, then take a version.")
    if not data.items:
        raise DomainError("The MOS holds no stimulus with a score; there is nothing to put in a version.")
    if imported is not None:
        names = {item["name"] for item in data.items}
        splits = {name: {item: part for item, part in assignment.items() if item in names}
                  for name, assignment in imported.splits.items()}
        data = replace(data, imported_splits=splits)
    return data


def _item(stimulus, *, mos, std, ci95, count) -> dict:
    return {
        "name": stimulus.name, "file": f"images/{stimulus.name}" if stimulus.sha256 else "",
        "sha256": stimulus.sha256, "mos": mos, "std": std, "ci95": ci95, "count": count,
        "source_content": stimulus.source_content, "groups": dict(stimulus.groups),
        "reference": stimulus.reference.name if stimulus.reference else "", "prompt": stimulus.prompt,
        "stimulus_id": stimulus.pk,
    }


def _exclusions(computation: MosComputation) -> list[dict]:
    labels = subject_labels(computation.study)
    decisions = {
        decision.rater_id: decision
        for decision in SubjectDecision.objects.filter(study=computation.study, created_at__lte=computation.created_at)
        .order_by("created_at", "pk")
    }
    log = []
    for report in computation.subject_reports.order_by("rater_id"):
        decision = decisions.get(report.rater_id)
        if not report.rejected and not report.automatic_rejected and decision is None:
            continue
        log.append({
            "subject": labels.get(report.rater_id, str(report.rater_id)), "rejected": report.rejected,
            "automatic_rejected": report.automatic_rejected, "reason": report.reason,
            "override": decision.decision if decision else "", "override_reason": decision.reason if decision else "",
        })
    return log
