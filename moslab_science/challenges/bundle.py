"""The participants' download: every stimulus of the split, MOS of the training part only (no Django here).

Layout: ``images/<name>`` byte for byte, ``train.csv`` (image,mos), one ``<part>.csv`` (image) per other
part, ``README.md`` and ``checksums.sha256``. Nothing else of the dataset goes in: no std, CI, counts,
ratings or summaries, so no hidden MOS can leave through it.
"""
import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from moslab_science.datasets.csv_cells import escape

TRAIN_PART = "train"
README, CHECKSUMS = "README.md", "checksums.sha256"
Progress = Callable[[float], None]


@dataclass(frozen=True)
class BundleImage:
    path: str
    sha256: str
    read: Callable[[], bytes]


def write_participant_bundle(
    destination: Path, *, images: Sequence[BundleImage], train: Sequence[tuple[str, float]],
    unlabelled: Mapping[str, Sequence[str]], readme: str, progress: Progress = lambda fraction: None,
) -> None:
    """Write the zip; raises ValueError when a stored image no longer matches its SHA-256."""
    checksums: list[str] = []

    def add(archive: zipfile.ZipFile, name: str, data: bytes, compress: bool = True) -> None:
        archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        checksums.append(f"{hashlib.sha256(data).hexdigest()}  {name}")

    with zipfile.ZipFile(destination, "w", allowZip64=True) as archive:
        for done, image in enumerate(sorted(images, key=lambda image: image.path), start=1):
            data = image.read()
            if hashlib.sha256(data).hexdigest() != image.sha256:
                raise ValueError(f"the stored file {image.path} no longer matches its SHA-256; not building")
            add(archive, image.path, data, compress=False)
            if done % 200 == 0:
                progress(0.95 * done / len(images))
        add(archive, f"{TRAIN_PART}.csv", _csv(("image", "mos"), [(name, repr(float(mos))) for name, mos in train]))
        for part, names in sorted(unlabelled.items()):
            add(archive, f"{part}.csv", _csv(("image",), [(name,) for name in names]))
        add(archive, README, readme.encode())
        archive.writestr(CHECKSUMS, "\n".join(checksums) + "\n")


def _csv(header: tuple[str, ...], rows: list[tuple]) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows([escape(cell) for cell in row] for row in sorted(rows))
    return stream.getvalue().encode()


def participant_readme(
    *, title: str, rules: str, score_text: str, part_counts: Mapping[str, int], scored: Mapping[str, str],
    missing_media: int,
) -> str:
    """The README of the download: what is in it, how entries are scored, and the rules."""
    parts = "\n".join(f"- `{part}.csv`: {count} images" + (" with their MOS" if part == TRAIN_PART else
                                                              " (MOS withheld)")
                      for part, count in part_counts.items())
    phases = "\n".join(f"- {phase}: predictions for every image of `{part}.csv`" for phase, part in scored.items())
    media = (f"\n{missing_media} image(s) of the dataset have no stored media and are listed without a file.\n"
             if missing_media else "")
    return (
        f"# {title}\n\n## Contents\n\n- `images/`: every image of the challenge, as stored (never re-encoded)\n"
        f"{parts}\n- `{CHECKSUMS}`: SHA-256 of every file\n{media}\n"
        f"## Submissions\n\n{phases}\n\nSubmit a CSV with the header `image,score` and one row per image (or a "
        "zip holding exactly that CSV). Every image exactly once, finite numbers only, no other images.\n\n"
        f"## Score\n\n{score_text}\n\n## Rules\n\n{rules.strip() or '(none given)'}\n"
    )
