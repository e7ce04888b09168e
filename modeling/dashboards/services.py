"""Writes of the modeling app: storing a predictions CSV for the prediction dashboards."""
import hashlib
import os
import tempfile
from pathlib import Path

from common.errors import DomainError
from modeling.dashboards.selectors import PredictionSet, predictions_folder
from moslab_science.charts.chart import slug_part
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.mos.errors import name_ids
from studies.models import Stimulus, Study

MAX_PREDICTION_BYTES = 20 * 1024 * 1024


def prediction_set_store(*, study: Study, model: str, content: bytes) -> PredictionSet:
    """Check and store one model's predictions (CSV ``image,score``) for the study; the same upload again is a no-op.

    Every image must be a stimulus of the study. The file is named by the model and a hash of its
    bytes, written to a temporary file first and moved into place only once it reads cleanly.
    """
    label = slug_part(model.strip())[:80] if model.strip() else ""
    if not label:
        raise DomainError("Give the model a name (letters, digits and dashes), e.g. efficientnet-lite0.")
    if len(content) > MAX_PREDICTION_BYTES:
        raise DomainError(f"The file is {len(content):,} bytes; predictions files are limited to "
                          f"{MAX_PREDICTION_BYTES:,} bytes.")
    key = f"{label}-{hashlib.sha256(content).hexdigest()[:12]}"
    folder = predictions_folder(study)
    folder.mkdir(parents=True, exist_ok=True)
    target = PredictionSet(key, label, folder / f"{key}.csv")
    if target.path.is_file():
        return target
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        temporary = Path(scratch) / "predictions.csv"  # the name messages show, not a temporary file's
        temporary.write_bytes(content)
        try:
            scores = PredictionSet(key, label, temporary).scores()
        except MetricsInputError as error:
            raise DomainError(f"The predictions file was not stored: {error.args[0]}",
                              problems=error.problems) from None
        _require_known_images(study, scores)
        os.replace(temporary, target.path)
    return target


def _require_known_images(study: Study, scores: dict[str, float]) -> None:
    known = set(Stimulus.objects.filter(study=study, name__in=list(scores)).values_list("name", flat=True))
    unknown = tuple(name for name in scores if name not in known)
    if unknown:
        raise DomainError(
            f"{len(unknown)} image(s) of the file are not stimuli of this study (names must match the "
            f"stimulus names exactly): {name_ids(unknown)}"
        )
