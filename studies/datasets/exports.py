"""Writing one export of a dataset version to a file: the database side of the plain-Python writers."""
import csv
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from django.utils.text import slugify

from common.stored_reads import StoredFiles
from moslab_science.csv_safe import safe_cell
from moslab_science.datasets import RawVote, table_rows, write_csv, write_json, write_parquet
from moslab_science.datasets.formats import (
    write_deqa_json,
    write_dover_labels,
    write_pyiqa_meta,
    write_qalign_json,
    write_sujson,
    write_t2vqa_labels,
)
from studies.datasets.datasheet import datasheet_markdown, mos_histogram_png
from studies.datasets.snapshot import items_of, subject_labels
from studies.models import DatasetExport, DatasetVersion, Rating, Stimulus, SubjectReport, counted_votes
from studies.vote_cells import current_vote_cells

Format = DatasetExport.Format
EXTENSIONS = {
    Format.TABLE_CSV: "csv", Format.TABLE_JSON: "json", Format.TABLE_PARQUET: "parquet",
    Format.RATINGS_CSV: "csv", Format.BUNDLE: "zip", Format.PYIQA: "csv", Format.QALIGN: "json",
    Format.DEQA: "json", Format.DOVER: "txt", Format.T2VQA: "txt", Format.SUJSON: "json",
}
DOVER_DIMENSIONS = ("aesthetic", "technical")  # DOVER's middle fields, in its order
#: Formats whose tools train on the whole file they are given: with a split, one file per part in a zip.
PER_PART = (Format.QALIGN, Format.DEQA, Format.DOVER, Format.T2VQA)
#: Formats that list each stimulus's image or video path, so a version without media cannot be written in them.
VIDEO_ONLY = (Format.DOVER, Format.T2VQA)  # labels of video quality models
NEED_MEDIA = (Format.PYIQA, Format.QALIGN, Format.DEQA, Format.DOVER, Format.T2VQA)
#: What the ratings file reads of each vote, in the order of its columns.
RATING_FIELDS = ("pk", "stimulus_id", "rater_id", "score", "purpose", "round", "verified", "supersedes_id",
                 "change_reason", "created_at")
READ_CHUNK = 20_000
RATING_COLUMNS = (
    "rating_id", "stimulus", "subject", "score", "purpose", "round", "verified", "current", "supersedes",
    "change_reason", "created_at", "subject_rejected", "screening_reason",
)
BUNDLE_TABLE, BUNDLE_RATINGS, BUNDLE_META = "dataset.csv", "ratings.csv", "dataset.json"
BUNDLE_CHECKSUMS, BUNDLE_README, BUNDLE_PLOT = "checksums.sha256", "README.md", "plots/mos_histogram.png"
Progress = Callable[[float], None]
COPY_CHUNK = 1 << 20
MEDIA_STORAGE = Stimulus._meta.get_field("file").storage


def export_filename(export: DatasetExport) -> str:
    """``<study>-v<n>[-<dimension>]-<format>.<ext>``: a version of one rating dimension names it."""
    version = export.version
    dimension = f"-{slugify(version.dimension)}" if version.dimension else ""
    extension = "zip" if export.format in PER_PART and export.split_id else EXTENSIONS[export.format]
    return f"{version.study.slug}-v{version.number}{dimension}-{export.format}.{extension}"


def export_write(export: DatasetExport, destination: Path, *, progress: Progress) -> None:
    """Write `export`'s file at `destination`, calling `progress(fraction)` as it goes."""
    version = export.version
    items, splits = items_of(version.items), {split.name: split.assignment for split in version.splits.all()}
    scale = (version.scale_min, version.scale_max)
    if export.format == Format.BUNDLE:
        _write_bundle(version, items, splits, destination, progress=progress)
        return
    if export.format in PER_PART and export.split_id:
        _write_per_part(export, items, destination)
        return
    with destination.open("w", encoding="utf-8", newline="") as stream:
        match export.format:
            case Format.TABLE_CSV:
                write_csv(table_rows(items, splits), stream)
            case Format.TABLE_JSON:
                write_json(table_rows(items, splits), stream)
            case Format.RATINGS_CSV:
                write_rating_rows(version, stream)
            case Format.PYIQA:
                write_pyiqa_meta(items, splits, stream)
            case Format.DEQA | Format.DOVER | Format.T2VQA:
                _write_labels(export, items, stream)
            case Format.SUJSON:
                write_sujson(items, current_votes(version), stream, dataset_name=version.study.name, scale=scale,
                             question=version.dimension or "Overall quality",
                             extra={"dimension": version.dimension} if version.dimension else None)
    if export.format == Format.TABLE_PARQUET:
        write_parquet(table_rows(items, splits), destination)


def _write_labels(export: DatasetExport, items: list, stream, *, part: str | None = None) -> None:
    """One file of a per-part format: every item, or (``part``) the items of one part of the export's split."""
    version, scale = export.version, (export.version.scale_min, export.version.scale_max)
    match export.format:
        case Format.QALIGN:
            parts = None if part is None else {part}
            write_qalign_json(items, export.split.assignment, stream, scale=scale, parts=parts)
        case Format.DEQA:
            write_deqa_json(items, current_votes(version), stream, scale=scale)
        case Format.DOVER:
            write_dover_labels(items, stream, **dover_dimension_columns(version))
        case Format.T2VQA:
            write_t2vqa_labels(items, stream)


def _write_per_part(export: DatasetExport, items: list, destination: Path) -> None:
    """A zip of ``<part>.<ext>`` files (train, val, test...), so a tool given one file never sees the others."""
    assignment = export.split.assignment
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(set(assignment.values())):
            chosen = items if export.format == Format.QALIGN else [i for i in items if assignment.get(i.name) == part]
            stream = io.StringIO()
            _write_labels(export, chosen, stream, part=part)
            archive.writestr(f"{part}.{EXTENSIONS[export.format]}", stream.getvalue())


def dover_dimension_columns(version: DatasetVersion) -> dict[str, dict[str, float]]:
    """{"aesthetic": {name: MOS}, "technical": {name: MOS}} for DOVER's middle fields, or {} (``0, 0``).

    Each comes from the newest version of the same study of that rating dimension (the version itself
    if it is one) whose items are exactly this version's; both must exist, else the fields stay 0.
    """
    names = {item["name"] for item in version.items}
    columns = {}
    for dimension in DOVER_DIMENSIONS:
        candidates = [version] if version.dimension == dimension else []
        candidates += DatasetVersion.objects.filter(study=version.study_id, dimension=dimension).order_by("-number")
        source = next((other for other in candidates if {item["name"] for item in other.items} == names), None)
        if source is None:
            return {}
        columns[dimension] = {item["name"]: item["mos"] for item in source.items}
    return columns


def _screening(version: DatasetVersion) -> dict[int, SubjectReport]:
    if version.computation_id is None:
        return {}
    return {report.rater_id: report for report in SubjectReport.objects.filter(computation=version.computation_id)}


def current_votes(version: DatasetVersion) -> list[RawVote]:
    """The votes the MOS counts (each rater's latest verified study rating of the version's dimension), with
    screening decisions."""
    names = {item["stimulus_id"]: item["name"] for item in version.items}
    labels, screening = subject_labels(version.study), _screening(version)
    current = _current_vote_pks(version)
    rows = (
        Rating.objects.filter(counted_votes(verified_only=True), study=version.study_id, dimension=version.dimension)
        .order_by().values_list("pk", "stimulus_id", "rater_id", "score", "round", "created_at")
    )
    chosen = sorted((names[stimulus], rater, score, round_, created) for pk, stimulus, rater, score, round_, created
                    in rows.iterator(chunk_size=READ_CHUNK) if pk in current and stimulus in names)
    return [
        RawVote(stimulus=name, subject=labels.get(rater, str(rater)), score=score, round=round_,
                verified=True, subject_rejected=bool(screening.get(rater) and screening[rater].rejected),
                created_at=created.isoformat())
        for name, rater, score, round_, created in chosen
    ]


def _current_vote_pks(version: DatasetVersion) -> set[int]:
    """The primary keys of the votes the MOS counts, by the one current-vote rule read in one pass."""
    return set(current_vote_cells(version.study, dimension=version.dimension).vote_pk.tolist())


def write_rating_rows(version: DatasetVersion, stream) -> tuple[int, int]:
    """Every vote of the version's dimension on its stimuli, history included, with screening decisions;
    (votes, raters) written."""
    names = {item["stimulus_id"]: item["name"] for item in version.items}
    labels, screening = subject_labels(version.study), _screening(version)
    current = _current_vote_pks(version)
    votes = (Rating.objects.filter(study=version.study_id, dimension=version.dimension).order_by("created_at", "pk")
             .values_list(*RATING_FIELDS))
    writer = csv.writer(stream)
    writer.writerow(RATING_COLUMNS)
    count, raters = 0, set()
    for pk, stimulus, rater, score, purpose, round_, verified, supersedes, change_reason, created in votes.iterator(
            chunk_size=READ_CHUNK):
        if stimulus not in names:
            continue
        report = screening.get(rater)
        writer.writerow([safe_cell(cell) for cell in (
            pk, names[stimulus], labels.get(rater, str(rater)), repr(score), purpose, round_, verified,
            pk in current, supersedes or "", change_reason, created.isoformat(),
            bool(report and report.rejected), report.reason if report else "",
        )])
        count += 1
        raters.add(rater)
    return count, len(raters)


def bundle_metadata(version: DatasetVersion) -> dict:
    return {
        "study": version.study.name, "version": version.number, "label": version.label,
        "content_hash": version.content_hash, "scale": [version.scale_min, version.scale_max],
        "method": version.method, "mode": version.mode, "parameters": version.parameters,
        "dimension": version.dimension, "protocol_version": version.protocol_version,
        "protocol": version.protocol_config,
        "exclusions": version.exclusions, "created_at": version.created_at.isoformat(),
        "splits": [{"name": split.name, "spec": split.spec, "seed": split.seed, "summary": split.summary}
                   for split in version.splits.all()],
    }


class _AppendOnly:
    """The zip's file as zipfile sees it: written in order, never sought. zipfile then writes each entry's checksum
    after its data (a data descriptor, read by every unzip tool) instead of seeking back to rewrite the entry's
    header: for 20,000 small images, about a third of zipfile's own CPU."""

    def __init__(self, stream: BinaryIO):
        self.write, self.flush = stream.write, stream.flush


def _copy_hashed(stored: StoredFiles, stored_name: str, size: int, archive: zipfile.ZipFile,
                 entry: zipfile.ZipInfo) -> str:
    """Copy the stored file into the zip as `entry` (stored, never re-encoded), hashing as it goes: one read per
    file. A file of up to COPY_CHUNK bytes is written in one piece; a larger one is streamed in chunks, memory
    bounded. The SHA-256 of what was written."""
    entry.compress_type, entry.file_size = zipfile.ZIP_STORED, size
    with stored.open(stored_name) as source:
        if size <= COPY_CHUNK:
            data = source.read()
            archive.writestr(entry, data)
            return hashlib.sha256(data).hexdigest()
        digest = hashlib.sha256()
        with archive.open(entry, "w") as out:  # file_size given: zipfile picks ZIP64 where needed
            while chunk := source.read(COPY_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def _write_bundle(version: DatasetVersion, items: list, splits: dict, destination: Path, *,
                  progress: Progress) -> None:
    """Images stored byte for byte (never re-encoded), the table, the ratings, a datasheet and checksums."""
    checksums: list[str] = []

    def add(archive: zipfile.ZipFile, name: str, data: bytes, compress: bool = True) -> None:
        archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        checksums.append(f"{hashlib.sha256(data).hexdigest()}  {name}")

    metadata = bundle_metadata(version)
    stimuli = {item["stimulus_id"]: item for item in version.items if item["sha256"]}
    files = StoredFiles(MEDIA_STORAGE)
    stored = [row for row in Stimulus.objects.filter(study=version.study_id).order_by("name")
              .values_list("pk", "name", "file", "size_bytes", "sha256") if row[0] in stimuli]
    now = time.localtime()[:6]
    with destination.open("wb") as stream, zipfile.ZipFile(_AppendOnly(stream), "w", allowZip64=True) as archive:
        for done, (pk, stimulus, stored_name, size, sha256) in enumerate(stored, start=1):
            name = stimuli[pk]["file"]
            if _copy_hashed(files, stored_name, size, archive, zipfile.ZipInfo(name, date_time=now)) != sha256:
                raise ValueError(f"the stored file of {stimulus} no longer matches its SHA-256; not exporting")
            checksums.append(f"{sha256}  {name}")
            progress(0.9 * done / len(stimuli))
        table, ratings = io.StringIO(), io.StringIO()
        write_csv(table_rows(items, splits), table)
        num_ratings, num_raters = write_rating_rows(version, ratings)
        add(archive, BUNDLE_TABLE, table.getvalue().encode())
        add(archive, BUNDLE_RATINGS, ratings.getvalue().encode())
        add(archive, BUNDLE_META, json.dumps(metadata, indent=2, sort_keys=True).encode())
        add(archive, BUNDLE_PLOT, mos_histogram_png([item.mos for item in items], scale=tuple(metadata["scale"])))
        readme = datasheet_markdown(metadata, items, num_ratings=num_ratings, num_raters=num_raters)
        add(archive, BUNDLE_README, readme.encode())
        archive.writestr(BUNDLE_CHECKSUMS, "\n".join(checksums) + "\n")
