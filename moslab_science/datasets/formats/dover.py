"""DOVER labels.txt (and FAST-VQA's): one video per line, ``<path>, <a>, <t>, <mos>``.

Published shape (VQAssessment/DOVER ``dover/datasets``, FAST-VQA's ``examplar_data_labels``), no
header. DOVER's ``ViewDecompositionDataset`` does ``filename, a, t, label = line.strip().split(",")``,
joins ``filename`` to ``data_prefix`` and trains on ``float(label)``; with ``fully_supervised`` it
reads ``(float(a), float(t), float(label))``: the aesthetic and technical MOS of DIVIDE-3k
(``examplar_data_labels/DIVIDE_MaxWell``), then the overall one. FAST-VQA's files hold duration and
fps there instead, which its readers ignore.

moslab writes the version's MOS last and, when it is given the aesthetic and technical MOS of the
same items (versions of those two rating dimensions), those in the middle fields, as DIVIDE-3k does;
otherwise ``0, 0``, which the plain (not fully supervised) readers ignore.
"""

from collections.abc import Mapping, Sequence
from typing import IO

from moslab_science.datasets.records import DatasetError, DatasetItem, name_examples
from moslab_science.datasets.text import text_of


def write_dover_labels(
    items: Sequence[DatasetItem], stream: IO[str], *, aesthetic: Mapping[str, float] | None = None,
    technical: Mapping[str, float] | None = None,
) -> None:
    """One line per item (sorted by name); refuses paths with a comma or a line break.

    `aesthetic` and `technical` map item names to those dimensions' MOS; give both or neither, covering
    every item.
    """
    unsafe = [item.file for item in items if any(c in item.file for c in ",\r\n") or item.file != item.file.strip()]
    if unsafe:
        raise DatasetError(
            f"{len(unsafe)} path(s) cannot be written to labels.txt (comma, line break or edge spaces): "
            f"{name_examples(unsafe)}; rename the stimuli."
        )
    if (aesthetic is None) != (technical is None):
        raise DatasetError("DOVER's middle fields are the aesthetic then the technical MOS: give both or neither.")
    if aesthetic is not None and technical is not None:
        missing = sorted(item.name for item in items if item.name not in aesthetic or item.name not in technical)
        if missing:
            raise DatasetError(f"{len(missing)} item(s) lack an aesthetic or technical MOS: {name_examples(missing)}; "
                               "take those dimensions' versions over the same items.")
    for item in sorted(items, key=lambda item: item.name):
        middle = "0, 0" if aesthetic is None else f"{aesthetic[item.name]!r}, {technical[item.name]!r}"
        stream.write(f"{item.file}, {middle}, {item.mos!r}\n")


def read_dover_labels(stream: IO, *, dimensions: bool = False) -> list[tuple]:
    """(path, MOS) per line, parsed as DOVER does; with `dimensions`, (path, aesthetic, technical, MOS) as its
    fully supervised reader does."""
    labels, bad = [], []
    for number, line in enumerate(text_of(stream).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        try:
            filename, a, t, label = fields
            labels.append((filename, float(a), float(t), float(label)) if dimensions else (filename, float(label)))
        except ValueError:
            bad.append(f"line {number}")
    if bad:
        raise DatasetError(f"{len(bad)} line(s) are not '<path>, <a>, <t>, <mos>': {name_examples(bad)}.")
    return labels
