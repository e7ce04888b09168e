"""DOVER / T2VQA ``labels.txt``: one video per line.

Published shape (VQAssessment/DOVER ``dover/datasets``, FAST-VQA's ``examplar_data_labels``):
``<path>, <duration s>, <fps>, <mos>`` with no header; the reader does
``filename, _, _, label = line.strip().split(",")`` and ``float(label)``, joining ``filename`` to
``data_prefix``. It ignores the two middle fields, so moslab writes ``0, 0`` there.
"""

from collections.abc import Sequence
from typing import IO

from studies.datasets.records import DatasetError, DatasetItem, name_examples
from studies.datasets.text import text_of


def write_dover_labels(items: Sequence[DatasetItem], stream: IO[str]) -> None:
    """One line per item (sorted by name); refuses paths with a comma or a line break."""
    unsafe = [item.file for item in items if any(c in item.file for c in ",\r\n") or item.file != item.file.strip()]
    if unsafe:
        raise DatasetError(
            f"{len(unsafe)} path(s) cannot be written to labels.txt (comma, line break or edge spaces): "
            f"{name_examples(unsafe)}; rename the stimuli."
        )
    for item in sorted(items, key=lambda item: item.name):
        stream.write(f"{item.file}, 0, 0, {item.mos!r}\n")


def read_dover_labels(stream: IO) -> list[tuple[str, float]]:
    """(path, MOS) per line, parsed as DOVER does."""
    labels, bad = [], []
    for number, line in enumerate(text_of(stream).splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        try:
            filename, _, _, label = fields
            labels.append((filename, float(label)))
        except ValueError:
            bad.append(f"line {number}")
    if bad:
        raise DatasetError(f"{len(bad)} line(s) are not '<path>, <duration>, <fps>, <mos>': {name_examples(bad)}.")
    return labels
