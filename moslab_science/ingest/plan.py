"""Checking a whole import before anything is written."""
from collections.abc import Callable
from dataclasses import dataclass, field

from moslab_science.ingest.manifest import ManifestProblem, StimulusMeta, read_manifest
from moslab_science.ingest.media import MediaInfo, is_video_name
from moslab_science.ingest.parallel import inspect_all
from moslab_science.ingest.sources import SourceFile

MANIFEST_NAME = "manifest.csv"


class ImportRejected(ValueError):
    """Nothing was imported; `problems` lists everything to fix, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__(f"import refused, nothing was written ({len(problems)} problem(s))")
        self.problems = problems

    def __str__(self) -> str:
        return super().__str__() + "\n" + "\n".join(f"- {problem}" for problem in self.problems)


@dataclass(frozen=True)
class PlannedStimulus:
    name: str
    info: MediaInfo
    meta: StimulusMeta
    read_bytes: object = field(repr=False)


@dataclass(frozen=True)
class ImportPlan:
    new: list[PlannedStimulus]
    unchanged: list[str]  # already in the study with identical bytes: importing again is a no-op


def plan_import(
    files: list[SourceFile],
    *,
    manifest_text: str | None,
    existing: dict[str, str],
    max_pixels: int,
    max_seconds: float = float("inf"),
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Validate every file and the manifest against what the study already holds ({name: sha256}).

    Images and videos (.mp4, .webm) may be mixed; a video longer than `max_seconds` is refused. Files are
    decoded in parallel worker processes where the machine has cores (`ingest.parallel`); `progress(done,
    total)` is called as files are checked.
    """
    problems: list[str] = []
    manifest_file = next((file for file in files if file.name == MANIFEST_NAME), None)
    if manifest_text is None and manifest_file is not None:
        manifest_text = manifest_file.read_bytes().decode("utf-8-sig")
    media = [file for file in files if file is not manifest_file]
    metadata = _read_metadata(manifest_text, problems)

    inspected: list[tuple[SourceFile, MediaInfo]] = []
    for file, found, _ in inspect_all(media, max_pixels=max_pixels, max_seconds=max_seconds, progress=progress):
        if isinstance(found, str):
            problems.append(f"{file.name}: {found}")
        else:
            inspected.append((file, found))
    if not media:
        problems.append("the source holds no image or video files")

    names = {file.name for file in media}
    if metadata is not None:
        problems += [f"{name}: no manifest row for this {_kind(name)}" for name in sorted(names - metadata.keys())]
        problems += [f"manifest lists {name}, which is not in the source" for name in sorted(metadata.keys() - names)]
        known = names | existing.keys()
        problems += [
            f"{name}: reference {meta.reference} is neither in this import nor in the study"
            for name, meta in metadata.items()
            if meta.reference and meta.reference not in known
        ]

    new, unchanged, by_hash = [], [], {sha: name for name, sha in existing.items()}
    for file, info in inspected:
        if file.name in existing:
            if existing[file.name] == info.sha256:
                unchanged.append(file.name)
            else:
                problems.append(f"{file.name}: the study already has a different {_kind(file.name)} under this name")
            continue
        if info.sha256 in by_hash:
            problems.append(
                f"{file.name}: identical bytes to {by_hash[info.sha256]}; each {_kind(file.name)} once per study"
            )
            continue
        by_hash[info.sha256] = file.name
        meta = (metadata or {}).get(file.name, StimulusMeta())
        new.append(PlannedStimulus(file.name, info, meta, file.read_bytes))
    if problems:
        raise ImportRejected(problems)
    return ImportPlan(new=new, unchanged=unchanged)


def _read_metadata(manifest_text: str | None, problems: list[str]) -> dict[str, StimulusMeta] | None:
    if manifest_text is None:
        return None
    try:
        return read_manifest(manifest_text)
    except ManifestProblem as problem:
        problems.extend(problem.problems)
        return None


def _kind(name: str) -> str:
    return "video" if is_video_name(name) else "image"
