"""Importing a public dataset as a new study in imported mode: all or nothing, every problem listed at once.

A dataset may come without images (raw ratings only, e.g. ISRGen-QA): its stimuli then have no media
(empty file and sha256) and the study can still compute MOS, take versions and export tables and ratings.
Raw votes become Rating rows (study ratings, verified) by one inactive user per subject, who cannot log in;
`ImportedSubject` keeps the dataset's own subject id, which exports use.
"""
import contextlib
import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone

from common.errors import DomainError
from common.new_files import NewFiles
from moslab_science import ingest
from moslab_science.datasets import (
    ColumnMapping,
    DatasetError,
    DatasetItem,
    ImportedDataset,
    content_hash,
    read_histograms,
    read_long_ratings,
    read_mos_table,
    read_table,
)
from moslab_science.datasets.formats import read_sujson
from moslab_science.datasets.json_imports import read_deqa_dataset, read_qalign_dataset
from moslab_science.datasets.part_names import parse_part_map, part_warnings, rename_parts
from moslab_science.errors import excerpt
from moslab_science.ingest import MediaInfo, SourceFile, parallel
from studies.bulk_rows import rows_insert, with_defaults
from studies.datasets.exports import BUNDLE_META, BUNDLE_RATINGS, BUNDLE_TABLE
from studies.models import (
    DatasetImport,
    ImportedMos,
    ImportedSubject,
    Membership,
    Rating,
    Study,
    stimulus_file_name,
    stimulus_folder,
)
from studies.stimulus_rows import references_link, stimuli_insert, stimulus_row

FORMATS = ("mos_table", "histograms", "long_ratings", "sujson", "qalign", "deqa", "bundle")
#: Formats whose file does not declare its scale: the importer must.
SCALE_NEEDED = ("mos_table", "long_ratings", "qalign", "deqa")
#: An import error lists problems up to about this many characters in all, then says how many more there are.
MESSAGE_BUDGET = 1500
VOTE_FIELDS = ("study_id", "stimulus_id", "rater_id", "score", "purpose", "round", "verified", "verified_at")


@dataclass(frozen=True)
class DatasetImportReport:
    study: Study
    created: bool
    stimuli: int
    with_media: int
    votes: int
    warnings: tuple[str, ...] = ()


def dataset_import(
    *, name: str, slug: str, by: AbstractBaseUser, source_format: str, source: Path,
    images: Path | None = None, scale: tuple[float, float] | None = None, options: dict | None = None,
    progress: Callable[[str], Callable[[int, int], None]] | None = None,
) -> DatasetImportReport:
    """Read `source` (a table, or the zip bundle of an export) and its images into a new imported study.

    Importing the same data under the same slug again is a no-op; anything wrong refuses it all.
    `progress(step)` gives the `(done, total)` callback of each long step ("checking and storing images", or
    "checking images" when the import is refused or a no-op), e.g. `moslab_science.progress.eta_reporter`.
    """
    progress = progress or (lambda step: None)
    options = options or {}
    if source_format == "bundle":
        images = Path(source)
    listed, problems = _listed(images)
    parallel.warm_up(len(listed))  # the image checks' worker processes get ready while the table is read
    dataset = _read(source_format, Path(source), scale=scale, options=options)
    files, missing = _image_files(dataset, listed, images) if images and not problems else ({}, [])
    problems += missing + _scale_problems(dataset)
    warnings = tuple(part_warnings(dataset.splits))
    existing = Study.objects.filter(slug=slug).first()
    if problems or existing is not None:  # check only: list every problem, or learn whether it is the same data
        checks = ImageChecks(files, dataset, progress=progress("checking images")).run()
        if problems + checks.problems:
            raise _refused(f"import refused, nothing was written ({len(problems + checks.problems)} problem(s))",
                           problems + checks.problems)
        previous = DatasetImport.objects.filter(study=existing).first()
        if previous is None or previous.content_hash != _digest(source_format, dataset, checks.media):
            raise DomainError(f"A study with the slug {slug!r} exists already and holds other data; choose another.")
        return DatasetImportReport(existing, False, len(dataset.items), len(checks.media), previous.num_votes,
                                   warnings)
    study = _write(name=name, slug=slug, by=by, dataset=dataset, files=files,
                   progress=progress("checking and storing images"),
                   record={"source_format": source_format, "options": options, "source_name": Path(source).name})
    return DatasetImportReport(study, True, len(dataset.items), len(files), len(dataset.votes), warnings)


def _digest(source_format: str, dataset: ImportedDataset, media: dict[str, MediaInfo]) -> str:
    """What makes two imports the same data: importing it again under the same slug is a no-op."""
    return content_hash({
        "format": source_format, "scale": list(dataset.scale), "splits": dataset.splits,
        "items": [[item.name, item.mos, item.std, item.ci95, item.count, item.source_content, item.groups,
                   media[item.name].sha256 if item.name in media else ""] for item in dataset.items],
        "votes": [[vote.stimulus, vote.subject, vote.score, vote.repetition, vote.round] for vote in dataset.votes],
    })


def _read(source_format: str, source: Path, *, scale, options: dict) -> ImportedDataset:
    if source_format not in FORMATS:
        raise DomainError(f"Unknown import format {excerpt(source_format)!r}; choose one of {', '.join(FORMATS)}.")
    if source_format in SCALE_NEEDED and scale is None and "scale" not in options:
        raise DomainError("Declare the rating scale (e.g. 1 5, or 0 1 for MOS published on 0..1).")
    if not source.is_file():
        raise DomainError(f"{source.name} is not a file; give the table (or the bundle zip) to import.")
    reader_options = {key: value for key, value in options.items() if key not in ("split_map", "question_id")}
    try:
        if source_format == "bundle":
            dataset = _read_bundle(source)
        else:
            with source.open(encoding="utf-8-sig", newline="") as stream:
                dataset = _read_stream(source_format, stream, scale=scale, options=reader_options,
                                       question_id=options.get("question_id"))
        dataset.splits = rename_parts(dataset.splits, parse_part_map(options.get("split_map", "")))
        return dataset
    except DatasetError as error:
        raise _refused(f"import refused, nothing was written: {excerpt(source.name)} cannot be read",
                       error.problems) from None
    except (TypeError, ValueError, UnicodeDecodeError, zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise DomainError(f"import refused, nothing was written: {excerpt(source.name)} does not have the shape of "
                          f"the {source_format} format ({excerpt(error, 200)}).") from None


def _read_stream(source_format: str, stream, *, scale, options: dict, question_id) -> ImportedDataset:
    match source_format:
        case "mos_table":
            return read_mos_table(stream, ColumnMapping(**_tuples(options)), scale=tuple(scale))
        case "histograms":
            return _histograms(read_histograms(stream, **options), scale)
        case "long_ratings":
            return read_long_ratings(stream, **_tuples(options), scale=tuple(scale))
        case "qalign":
            return read_qalign_dataset(stream, scale=tuple(scale))
        case "deqa":
            return read_deqa_dataset(stream, scale=tuple(scale))
        case _:
            return _sujson(*read_sujson(stream, question_id=question_id), scale=scale)


def _refused(message: str, problems: list[str]) -> DomainError:
    """The error of a refused import: every problem while they fit a short message, then how many more."""
    shown, used = [], 0
    for problem in problems:
        line = excerpt(problem, 300)
        if used + len(line) > MESSAGE_BUDGET:
            shown.append(f"... and {len(problems) - len(shown)} more problem(s) of the same kinds")
            break
        shown.append(line)
        used += len(line)
    return DomainError(message, problems=shown)


def _histograms(dataset: ImportedDataset, scale) -> ImportedDataset:
    """The scale of a histogram is its levels' (1..5 for KonIQ); a declared scale must agree with it."""
    if scale is not None and tuple(map(float, scale)) != dataset.scale:
        lo, hi = dataset.scale
        raise DomainError(f"Histogram levels span {lo:g}..{hi:g}, not the declared {scale[0]:g}..{scale[1]:g}; "
                          "leave the scale out (a published MOS on another scale, e.g. KonIQ's 1..100, is not read).")
    return dataset


def _sujson(items, votes, meta: dict, *, scale) -> ImportedDataset:
    """A stimulus scored only by unverified votes or rejected subjects has no MOS: refused. One never scored is
    left out."""
    if not (scale or meta["scale"]):
        raise DomainError("The suJSON file declares no scale; give it (e.g. 1 5).")
    voted = {vote.stimulus for vote in votes}
    uncounted = [name for name in meta["unrated"] if name in voted]
    if uncounted:
        raise _refused(
            "import refused, nothing was written: stimuli without a counted vote (every vote unverified or by a "
            "rejected subject) have no MOS; remove them and their scores from the file",
            [f"{name}: no counted vote" for name in uncounted],
        )
    return ImportedDataset(items=items, votes=votes, splits={}, source_format="sujson",
                           scale=tuple(scale or meta["scale"]))


def _tuples(options: dict) -> dict:
    """JSON gives lists; the readers take tuples of column names."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in options.items()}


def _read_bundle(source: Path) -> ImportedDataset:
    """An export bundle: dataset.csv (items and splits), dataset.json (scale), ratings.csv (the current votes)."""
    with zipfile.ZipFile(source) as archive:
        metadata = json.loads(archive.read(BUNDLE_META))
        table = archive.read(BUNDLE_TABLE)
        ratings = archive.read(BUNDLE_RATINGS).decode("utf-8") if BUNDLE_RATINGS in archive.namelist() else ""
    items, splits = read_table(io.StringIO(table.decode("utf-8")))
    votes = []
    if ratings:
        current = [row for row in csv.DictReader(io.StringIO(ratings)) if row["current"] == "True"]
        if current:
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=["stimulus", "subject", "score"], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(current)
            text.seek(0)
            votes = read_long_ratings(text, stimulus="stimulus", subject="subject", score="score").votes
    return ImportedDataset(items=items, votes=votes, splits=splits, scale=tuple(metadata["scale"]),
                           source_format="bundle")


def _listed(images: Path | None) -> tuple[list[SourceFile], list[str]]:
    """The files of the image folder or zip, and the problem of a source that cannot be read."""
    if images is None:
        return [], []
    try:
        return ingest.read_source(images, max_total_bytes=settings.MOSLAB_MAX_UPLOAD_BYTES), []
    except ingest.sources.SourceProblem as problem:
        return [], [f"{images.name}: {problem}"]


def _image_files(dataset: ImportedDataset, listed: list[SourceFile],
                 images: Path) -> tuple[dict[str, SourceFile], list[str]]:
    """{item name: its image file}, and a problem for each item whose file is not in the source."""
    by_name = {file.name: file for file in listed}
    wanted = {item.name: _image_name(item, by_name.keys()) for item in dataset.items}
    missing = sorted((item, file) for item, file in wanted.items() if file not in by_name)
    by_file = {file: item for item, file in wanted.items() if file in by_name}  # a file given twice: its last item
    return ({item: by_name[file] for file, item in by_file.items()},
            [f"{item}: no image {file!r} in {images.name}" for item, file in missing])


class ImageChecks:
    """The checks of an import's images (each file read once, checked in worker processes where the machine has
    cores, kept by `store` if it passes: `moslab_science.ingest.parallel.inspect_all`), in the order of the
    dataset's items. Iterating gives each item as its check comes in, (item, its MediaInfo or None, the name its
    file is stored under or ""), so its row can be written while the workers check the next files; `media`
    ({item name: MediaInfo}) and `problems` are complete once it is exhausted."""

    def __init__(self, files: dict[str, SourceFile], dataset: ImportedDataset, *, progress,
                 store: parallel.Store | None = None):
        self.files, self.dataset, self.progress, self.store = files, dataset, progress, store
        self.media: dict[str, MediaInfo] = {}
        self.problems: list[str] = []

    def run(self) -> "ImageChecks":
        for _ in self:
            pass
        return self

    def __iter__(self) -> Iterator[tuple[DatasetItem, MediaInfo | None, str]]:
        ordered = [self.files[item.name] for item in self.dataset.items if item.name in self.files]
        results = parallel.inspect_all(ordered, max_pixels=settings.MOSLAB_MAX_IMAGE_PIXELS,
                                       max_seconds=settings.MOSLAB_MAX_VIDEO_SECONDS, progress=self.progress,
                                       store=self.store)
        by_hash: dict[str, str] = {}
        with contextlib.closing(results):  # stopped early: no worker is left checking
            for item in self.dataset.items:
                if item.name not in self.files:
                    yield item, None, ""
                    continue
                file, found, stored = next(results)
                if isinstance(found, str):
                    self.problems.append(f"{file.name}: {found}")
                elif found.sha256 in by_hash:
                    self.problems.append(f"{file.name}: identical bytes to {by_hash[found.sha256]}; each image once "
                                         "per study")
                elif item.sha256 and found.sha256 != item.sha256:
                    self.problems.append(f"{item.name}: the image's SHA-256 is {found.sha256}, not {item.sha256} as "
                                         "the table says")
                else:
                    by_hash[found.sha256] = file.name
                    self.media[item.name] = found
                yield item, self.media.get(item.name), stored


def _image_name(item, names: set[str]) -> str:
    """The item's file path as the table gives it (e.g. images/a.png), else its bare name in a flat folder."""
    wanted = item.file or item.name
    return item.name if wanted not in names and item.name in names else wanted


def _scale_problems(dataset: ImportedDataset) -> list[str]:
    lo, hi = dataset.scale
    if not lo < hi:
        return [f"the scale {lo:g}..{hi:g} is empty; give the lowest score first"]
    problems = [f"{item.name}: MOS {item.mos!r} is outside the declared scale {lo:g}..{hi:g}"
                for item in dataset.items if not lo <= item.mos <= hi]
    problems += [f"{vote.stimulus}, subject {vote.subject}: score {vote.score!r} is outside the scale {lo:g}..{hi:g}"
                 for vote in dataset.votes if not lo <= vote.score <= hi]
    return problems[:200]


@transaction.atomic
def _write(*, name: str, slug: str, by: AbstractBaseUser, dataset: ImportedDataset, files: dict[str, SourceFile],
           record: dict, progress) -> Study:
    """The study, its stimuli, the published MOS and the votes. The images are stored in the new study's folder as
    they pass their checks; if anything fails (a check, a row, the process being stopped), every file of that
    folder is deleted before the transaction rolls back."""
    lo, hi = dataset.scale
    study = Study.objects.create(
        name=name, slug=slug, created_by=by, origin=Study.Origin.IMPORTED, status=Study.Status.CLOSED,
        scale_min=lo, scale_max=hi, description=f"Imported from {record['source_name']} ({record['source_format']}).",
    )
    Membership.objects.create(study=study, user=by, role=Membership.Role.COORDINATOR)
    storage = storages["default"]  # the storage itself: default_storage is a proxy, slow per access
    folder = stimulus_folder(study.pk)
    _delete_files(storage, folder)  # an import killed before it could delete them left them (SQLite reuses the id)
    try:
        _fill(study, dataset=dataset, files=files, record=record, by=by, progress=progress,
              new_files=NewFiles(storage))
    except BaseException:
        _delete_files(storage, folder)
        raise
    return study


def _delete_files(storage: Storage, folder: str) -> None:
    """Delete the files of a new study's folder: they are the import's own (no other study stores there)."""
    try:
        _, names = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        storage.delete(f"{folder}/{name}")


def _fill(study: Study, *, dataset: ImportedDataset, files: dict[str, SourceFile], record: dict,
          by: AbstractBaseUser, progress, new_files: NewFiles) -> None:
    """Everything of a new study but itself. Each image is stored as it passes its checks, and its stimulus row is
    written as its check comes in, while the worker processes check the next images."""
    def store(name: str, info: MediaInfo, data: bytes) -> str:
        return new_files.save(stimulus_file_name(study_id=study.pk, sha256=info.sha256, filename=name), data)

    checks = ImageChecks(files, dataset, progress=progress, store=store)
    with contextlib.closing(iter(checks)) as checked:  # a failed insert stops the checks (the pool shut down)
        stimuli_insert(stimulus_row(study_id=study.pk, name=item.name, source_content=item.source_content,
                                    groups=item.groups, prompt=item.prompt, info=info, stored=stored)
                       for item, info, stored in checked)  # each row as its image's check comes in
    if checks.problems:
        raise _refused(f"import refused, nothing was written ({len(checks.problems)} problem(s))", checks.problems)
    names = {item.name for item in dataset.items}
    pks = references_link(study_id=study.pk, references={item.name: item.reference for item in dataset.items
                                                         if item.reference in names})
    rows_insert(model=ImportedMos, fields=("stimulus_id", "mos", "std", "ci95", "count"),
                rows=((pks[item.name], item.mos, item.std, item.ci95, item.count) for item in dataset.items))
    _write_votes(study=study, dataset=dataset, pks=pks)
    DatasetImport.objects.create(study=study, splits=dataset.splits, num_votes=len(dataset.votes), created_by=by,
                                 content_hash=_digest(record["source_format"], dataset, checks.media), **record)


def _write_votes(*, study: Study, dataset: ImportedDataset, pks: dict[str, int]) -> None:
    labels = sorted({vote.subject for vote in dataset.votes})
    if not labels:
        return
    users = get_user_model().objects.bulk_create([
        get_user_model()(username=f"imported-{study.pk}-{index}", is_active=False, password="!")
        for index in range(1, len(labels) + 1)
    ])
    raters = dict(zip(labels, users, strict=True))
    ImportedSubject.objects.bulk_create([ImportedSubject(study=study, user=user, label=label)
                                         for label, user in raters.items()])
    now = timezone.now()
    ordered = sorted(dataset.votes, key=lambda vote: (vote.repetition, vote.round))
    fields, rows = with_defaults(model=Rating, fields=VOTE_FIELDS, rows=(
        (study.pk, pks[vote.stimulus], raters[vote.subject].pk, vote.score, Rating.Purpose.RATING, vote.round,
         vote.verified, now) for vote in ordered))
    rows_insert(model=Rating, fields=fields, rows=rows)
