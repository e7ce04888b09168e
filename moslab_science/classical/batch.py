"""A classical baseline run over a MOS table and an image folder: one score per image, higher = better.

BRISQUE trains its SVR on the table's training part and scores every other row (never the rows
it was trained on). NIQE scores every row with a pristine model fitted on the bundled photographs
or on a folder of pristine images; its score is written negated (-NIQE) so that higher is better
for every baseline. PSNR and SSIM score every row that names a reference; rows without one (the
references themselves) are left out and counted.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from moslab_science.classical.brisque import Brisque, brisque_features
from moslab_science.classical.images import BaselineInputError, UndefinedScoreError, load_gray
from moslab_science.classical.niqe import NiqeModel
from moslab_science.classical.reference import psnr, ssim
from moslab_science.metrics.tables import numbers_by_name, row_name

METHODS = ("brisque", "niqe", "psnr", "ssim")
IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class TableSpec:
    """Where things are in the MOS table."""

    name_column: str = "image"
    mos_column: str = "mos"
    split_column: str | None = None
    train_part: str = "train"
    reference_column: str = "reference"
    content_column: str = "source_content"


@dataclass
class BaselineRun:
    method: str
    scores: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    undefined: dict[str, str] = field(default_factory=dict)  # image -> why the method has no score for it


def run_baseline(
    method: str,
    rows: list[dict[str, str]],
    images: Path,
    *,
    spec: TableSpec = TableSpec(),
    pristine: Path | None = None,
    seed: int = 0,
    skip_undefined: bool = False,
) -> BaselineRun:
    """Score the table's images with one method; raises BaselineInputError listing every problem.

    With `skip_undefined`, an image the method has no score for (NIQE on a flat image) is left out and
    listed in the result's `undefined` instead of failing the whole run."""
    if method not in METHODS:
        raise BaselineInputError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if method == "brisque":
        return _brisque(rows, images, spec, seed)
    if method == "niqe":
        return _niqe(rows, images, spec, pristine, skip_undefined)
    return _full_reference(method, rows, images, spec)


def _map_images(names: list[str], images: Path, function: Callable[[str, np.ndarray], object],
                undefined: dict[str, str] | None = None) -> dict[str, object]:
    """``function(name, gray)`` of each image, one image in memory at a time; every unusable image is reported,
    except that an image without a defined score goes to `undefined` when that dict is given."""
    results, problems = {}, []
    folder = images.resolve()
    for name in names:
        if not (folder / name).resolve().is_relative_to(folder):
            problems.append(f"{name}: the name points outside the image folder")
            continue
        try:
            results[name] = function(name, load_gray(folder / name))
        except UndefinedScoreError as error:
            if undefined is None:
                problems.append(f"{name}: {error}")
            else:
                undefined[name] = str(error)
        except BaselineInputError as error:
            problems.append(f"{name}: {error}")
    if problems:
        raise BaselineInputError(f"{len(problems)} image(s) cannot be used", problems=problems)
    return results


def _brisque(rows: list[dict[str, str]], images: Path, spec: TableSpec, seed: int) -> BaselineRun:
    if spec.split_column is None:
        raise BaselineInputError("BRISQUE trains its SVR on the training part: give --split-column")
    for column in (spec.split_column, spec.mos_column):
        if column not in rows[0]:
            raise BaselineInputError(f"the table has no column {column!r}; its columns: {', '.join(rows[0])}")
    training = [row for row in rows if (row.get(spec.split_column) or "").strip() == spec.train_part]
    training_names = {row_name(row, spec.name_column) for row in training}
    scored = [row_name(row, spec.name_column) for row in rows if row_name(row, spec.name_column) not in training_names]
    if not scored:
        raise BaselineInputError(f"every row is in the {spec.train_part!r} part: nothing is left to score")
    mos = numbers_by_name(training, name_column=spec.name_column, value_column=spec.mos_column, file_label="MOS table")
    features = _map_images(list(mos), images, lambda name, gray: brisque_features(gray))
    groups = None
    if spec.content_column in rows[0]:
        groups = [(row.get(spec.content_column) or "").strip() or row_name(row, spec.name_column) for row in training]
    model = Brisque(seed=seed).fit_features(np.array(list(features.values())), list(mos.values()), groups=groups)
    scored_features = _map_images(scored, images, lambda name, gray: brisque_features(gray))
    predictions = model.predict_features(np.array(list(scored_features.values())))
    run = BaselineRun("brisque", dict(zip(scored_features, map(float, predictions), strict=True)))
    run.notes.append(
        f"SVR trained on the {len(mos)} {spec.train_part!r} images (5-fold CV chose {model.search.best_params_}); "
        f"{len(scored)} other images scored"
    )
    return run


def _niqe(rows: list[dict[str, str]], images: Path, spec: TableSpec, pristine: Path | None,
          skip_undefined: bool) -> BaselineRun:
    if pristine is None:
        model = NiqeModel.bundled()
    else:
        files = sorted(path.name for path in pristine.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise BaselineInputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in the pristine folder {pristine}")
        grays = _map_images(files, pristine, lambda name, gray: gray)
        model = NiqeModel.fit(grays.values(), source=f"{len(files)} images of {pristine}")
    names = [row_name(row, spec.name_column) for row in rows]
    undefined: dict[str, str] = {}
    scores = _map_images(names, images, lambda name, gray: -model.score(gray), undefined if skip_undefined else None)
    run = BaselineRun("niqe", scores, undefined=undefined)
    run.notes.append(f"pristine model: {model.source} ({model.patches} sharp patches); score written is -NIQE")
    if undefined:
        run.notes.append(f"{len(undefined)} image(s) left out, NIQE is undefined for them: "
                         + "; ".join(f"{name}: {why}" for name, why in list(undefined.items())[:10]))
    return run


def _full_reference(method: str, rows: list[dict[str, str]], images: Path, spec: TableSpec) -> BaselineRun:
    if spec.reference_column not in rows[0]:
        raise BaselineInputError(
            f"{method} needs a reference per image: the table has no column {spec.reference_column!r}"
        )
    pairs = {
        row_name(row, spec.name_column): (row.get(spec.reference_column) or "").strip()
        for row in rows
        if (row.get(spec.reference_column) or "").strip()
    }
    if not pairs:
        raise BaselineInputError(f"no row names a {spec.reference_column}: nothing to compare")
    references = _map_images(sorted(set(pairs.values())), images, lambda name, gray: gray)
    metric = psnr if method == "psnr" else ssim
    scores = _map_images(list(pairs), images, lambda name, gray: metric(gray, references[pairs[name]]))
    run = BaselineRun(method, scores)
    run.notes.append(f"{len(pairs)} images scored against their reference; {len(rows) - len(pairs)} rows without one")
    return run
