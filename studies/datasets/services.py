"""Dataset versions, splits and exports: immutable snapshots of a study's MOS, written all or nothing."""
import tempfile
from dataclasses import asdict
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import Max

from common import jobs
from common.errors import DomainError
from moslab_science.datasets import DatasetError, SplitSpec, make_splits, split_names, split_parts, split_summary
from moslab_science.files import file_sha256
from studies import tasks
from studies.datasets.exports import NEED_MEDIA, PER_PART, VIDEO_ONLY, export_filename, export_write
from studies.datasets.snapshot import VersionData, hash_version, items_of, snapshot_study
from studies.models import DatasetExport, DatasetSplit, DatasetVersion, Study
from studies.selectors import study_has_video

MOS_TOLERANCE = 1e-12
LABEL_CHARS = DatasetVersion._meta.get_field("label").max_length


@transaction.atomic
def dataset_version_create(
    *, study: Study, by: AbstractBaseUser, label: str = "", split_specs: tuple[SplitSpec, ...] = (),
    dimension: str = "",
) -> DatasetVersion:
    """Snapshot the latest succeeded MOS computation (or the imported MOS), with any splits asked for.

    A version holds one rating dimension's MOS (`dimension`, "" for a single-score study): a study rated
    on several dimensions has a version per dimension. The splits that came with an imported dataset
    (e.g. "official") are part of every version of it.
    """
    if len(label.strip()) > LABEL_CHARS:
        raise DomainError(f"The label is {len(label.strip())} characters long; shorten it to {LABEL_CHARS} at most "
                          "(nothing was taken).")
    Study.objects.select_for_update().get(pk=study.pk)  # numbers are given one at a time
    data = snapshot_study(study, dimension=dimension)
    splits = {name: (None, assignment) for name, assignment in data.imported_splits.items()}
    for spec in split_specs:
        splits.update(_made_splits(data, spec, taken=splits.keys()))
    return _version_write(study=study, by=by, label=label, data=data, splits=splits)


@transaction.atomic
def dataset_split_create(*, version: DatasetVersion, spec: SplitSpec, by: AbstractBaseUser) -> DatasetVersion:
    """A version never changes, so a new split makes a new version: the same items, its splits plus this one."""
    Study.objects.select_for_update().get(pk=version.study_id)
    data = VersionData.of_version(version)
    splits = {split.name: (split.spec, split.assignment) for split in version.splits.all()}
    splits.update(_made_splits(data, spec, taken=splits.keys()))
    label = f"v{version.number} + {', '.join(split_names(spec))}"
    return _version_write(study=version.study, by=by, label=label, data=data, splits=splits, derived_from=version)


def _made_splits(data: VersionData, spec: SplitSpec, *, taken) -> dict[str, tuple[dict, dict[str, str]]]:
    try:
        made = make_splits(items_of(data.items), spec)
    except (DatasetError, ValueError) as error:
        problems = getattr(error, "problems", [])
        raise DomainError(f"The split cannot be made: {error}", problems=problems) from None
    clashes = sorted(set(made) & set(taken))
    if clashes:
        raise DomainError(f"The version already has split(s) named {', '.join(clashes)}; change the seed.")
    spec_dict = asdict(spec)
    return {name: (spec_dict, assignment) for name, assignment in made.items()}


def _version_write(
    *, study: Study, by: AbstractBaseUser, label: str, data: VersionData,
    splits: dict[str, tuple[dict | None, dict[str, str]]], derived_from: DatasetVersion | None = None,
) -> DatasetVersion:
    number = (DatasetVersion.objects.filter(study=study).aggregate(top=Max("number"))["top"] or 0) + 1
    assignments = {name: assignment for name, (_, assignment) in splits.items()}
    version = DatasetVersion.objects.create(
        study=study, number=number, label=label, computation=data.computation, derived_from=derived_from,
        method=data.method, mode=data.mode, parameters=data.parameters, dimension=data.dimension,
        scale_min=data.scale[0], scale_max=data.scale[1], items=data.items, exclusions=data.exclusions,
        protocol_version=data.protocol_version, protocol_config=data.protocol_config,
        content_hash=hash_version(items=data.items, scale=data.scale, splits=assignments, dimension=data.dimension),
        created_by=by,
    )
    items = items_of(data.items)
    DatasetSplit.objects.bulk_create([
        DatasetSplit(
            version=version, name=name, spec=spec, seed=spec["seed"] if spec else None, assignment=assignment,
            summary=split_summary(items, assignment, parts=split_parts(SplitSpec.from_dict(spec)) if spec else ()),
        )
        for name, (spec, assignment) in sorted(splits.items())
    ])
    return version


def dataset_version_compare(*, old: DatasetVersion, new: DatasetVersion) -> dict:
    """What changed from `old` to `new`: items, MOS beyond 1e-12, splits, method (and dimension) and scale."""
    if old.study_id != new.study_id:
        raise DomainError("Compare versions of the same study.")
    before = {item["name"]: item for item in old.items}
    after = {item["name"]: item for item in new.items}
    common = sorted(before.keys() & after.keys())
    mos_changed = [
        {"name": name, "old": before[name]["mos"], "new": after[name]["mos"]}
        for name in common if abs(before[name]["mos"] - after[name]["mos"]) > MOS_TOLERANCE
    ]
    old_splits = {split.name: split.assignment for split in old.splits.all()}
    new_splits = {split.name: split.assignment for split in new.splits.all()}
    method = {key: [getattr(old, key), getattr(new, key)] for key in ("method", "mode", "parameters", "dimension")
              if getattr(old, key) != getattr(new, key)}
    return {
        "old": old.number, "new": new.number, "same_content": old.content_hash == new.content_hash,
        "items_added": sorted(after.keys() - before.keys()),
        "items_removed": sorted(before.keys() - after.keys()),
        "mos_changed": mos_changed,
        "splits_added": sorted(new_splits.keys() - old_splits.keys()),
        "splits_removed": sorted(old_splits.keys() - new_splits.keys()),
        "splits_changed": sorted(name for name in old_splits.keys() & new_splits.keys()
                                 if old_splits[name] != new_splits[name]),
        "method_changed": method,
        "scale_changed": [old.scale_min, old.scale_max] != [new.scale_min, new.scale_max],
    }


@transaction.atomic
def dataset_export_start(
    *, version: DatasetVersion, export_format: str, by: AbstractBaseUser, split: DatasetSplit | None = None,
    enqueue: bool = True,
) -> DatasetExport:
    """Create the export row and, after commit, hand it to a worker (`enqueue=False`: the caller runs it)."""
    if export_format not in DatasetExport.Format.values:
        raise DomainError(f"Unknown export format {export_format!r}; choose one of "
                          f"{', '.join(DatasetExport.Format.values)}.")
    if split is not None and split.version_id != version.pk:
        raise DomainError(f"The split {split.name} belongs to another version.")
    split = _split_for_per_part(version, export_format, split)
    if export_format == DatasetExport.Format.QALIGN and split is None:
        raise DomainError("A Q-Align export needs a split: its training part sets the range of the five levels.")
    if export_format in NEED_MEDIA and any(not item["file"] for item in version.items):
        label = DatasetExport.Format(export_format).label
        raise DomainError(f"{label} lists each stimulus's image or video, but this version's stimuli have no media "
                          "(a ratings-only import): export the table, the raw ratings or suJSON instead.")
    if export_format in VIDEO_ONLY and not study_has_video(study=version.study):
        label = DatasetExport.Format(export_format).label
        raise DomainError(f"{label} is a format of video quality models, and this study's stimuli are images: export "
                          "the table, pyiqa, Q-Align or DeQA-Score instead.")
    export = DatasetExport.objects.create(version=version, format=export_format, split=split, requested_by=by)
    if enqueue:
        transaction.on_commit(lambda: tasks.dataset_export_run_task.delay(export_id=export.pk, attempt=1))
    return export


def _split_for_per_part(version: DatasetVersion, export_format: str, split: DatasetSplit | None):
    """A per-part format of a version with splits is written one file per part: its only split, or the one given."""
    if export_format not in PER_PART or split is not None:
        return split
    splits = list(version.splits.all())
    if len(splits) > 1:
        raise DomainError(f"This version has {len(splits)} splits; choose the one whose parts the "
                          f"{DatasetExport.Format(export_format).label} files follow.")
    return splits[0] if splits else None


def dataset_export_run(*, export_id: int, attempt: int = 1, worker: str = "") -> DatasetExport:
    """Write the export's file; progress and any failure are recorded on the row (common.jobs). A cancel
    stops it at its next progress report."""
    return jobs.job_run(DatasetExport, job_id=export_id, attempt=attempt, worker=worker, work=_export_file)


def dataset_export_cancel(*, export: DatasetExport, by: AbstractBaseUser) -> DatasetExport:
    """A queued export fails at once as cancelled; a running one stops at its next progress report."""
    return jobs.job_cancel(export, by=by)


def _export_file(export: DatasetExport) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / export_filename(export)
        export_write(export, path, progress=jobs.job_progress_every(export))
        digest, size = file_sha256(path), path.stat().st_size
        with path.open("rb") as handle:
            export.file.save(path.name, FinishedFile(handle), save=False)
    return {"file": export.file, "sha256": digest, "size_bytes": size}


class FinishedFile(File):
    """A file written in full on this machine: a local storage moves it into place (a rename on the same disk, as
    Django does for large uploads) instead of copying it; any other storage reads it as usual."""

    def temporary_file_path(self) -> str:
        return self.name

