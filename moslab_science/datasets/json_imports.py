"""Q-Align and DeQA-Score training files read back as datasets: one item per entry, its MOS the entry's
``gt_score`` on the declared scale (DeQA-Score's ``std`` kept when given). The files carry no raw votes."""

import posixpath
from collections import Counter
from collections.abc import Sequence
from typing import IO

from moslab_science.datasets.csv_input import check_scale
from moslab_science.datasets.formats import read_deqa_json, read_qalign_json
from moslab_science.datasets.readers import ImportedDataset
from moslab_science.datasets.records import DatasetError, DatasetItem, name_examples


def read_qalign_dataset(stream: IO, *, scale: tuple[float, float]) -> ImportedDataset:
    entries = read_qalign_json(stream)
    return _dataset([(e.image, e.score, None) for e in entries], scale=scale, source_format="qalign")


def read_deqa_dataset(stream: IO, *, scale: tuple[float, float]) -> ImportedDataset:
    entries = read_deqa_json(stream)
    return _dataset([(e.image, e.score, e.std) for e in entries], scale=scale, source_format="deqa")


def _dataset(rows: Sequence[tuple[str, float, float | None]], *, scale, source_format: str) -> ImportedDataset:
    lo, hi = check_scale(scale)
    if not rows:
        raise DatasetError("the file holds no entries.")
    names = [posixpath.basename(image) or image for image, _, _ in rows]
    repeated = sorted(name for name, n in Counter(names).items() if n > 1)
    outside = [f"{image} ({score:g})" for image, score, _ in rows if not lo <= score <= hi]
    problems = []
    if repeated:
        problems.append(f"{len(repeated)} image name(s) appear more than once: {name_examples(repeated)}.")
    if outside:
        problems.append(f"{len(outside)} gt_score(s) lie outside the declared scale {lo:g}..{hi:g}: "
                        f"{name_examples(outside)}. Declare the scale the scores are on.")
    if problems:
        raise DatasetError(problems)
    items = [
        DatasetItem(name=name, file=image, sha256="", mos=score, std=std, ci95=None, count=None, source_content="")
        for name, (image, score, std) in zip(names, rows, strict=True)
    ]
    return ImportedDataset(items, [], {}, (lo, hi), source_format)
