"""Writes of the modeling app: storing a predictions CSV for the prediction dashboards."""
import hashlib
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from common.errors import DomainError
from modeling.dashboards.selectors import PredictionSet, prediction_scores, predictions_folder
from moslab_science.charts.chart import slug_part
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.mos.errors import name_ids
from studies.models import Stimulus, Study

MAX_PREDICTION_BYTES = 20 * 1024 * 1024
MODEL_NAME_CHARS = 80


def prediction_set_store(*, study: Study, model: str, content: bytes, filename: str = "") -> PredictionSet:
    """Check and store one model's predictions (CSV ``image,score``) for the study; the same upload again is a no-op.

    Problems name the file by `filename` (the name it was uploaded under), or by the model when none is given.

    Every image must be a stimulus of the study. The file is named by the model and a hash of its
    bytes and stored through the media storage only once it reads cleanly.
    """
    label = slug_part(model.strip()) if model.strip() else ""
    if len(label) > MODEL_NAME_CHARS:
        raise DomainError(f"The model name is {len(label)} characters long; shorten it to {MODEL_NAME_CHARS} at most.")
    if not label:
        raise DomainError("Give the model a name (letters, digits and dashes), e.g. efficientnet-lite0.")
    if len(content) > MAX_PREDICTION_BYTES:
        raise DomainError(f"The file is {len(content):,} bytes; predictions files are limited to "
                          f"{MAX_PREDICTION_BYTES:,} bytes.")
    key = f"{label}-{hashlib.sha256(content).hexdigest()[:12]}"
    target = PredictionSet(key, label, f"{predictions_folder(study)}/{key}.csv")
    if default_storage.exists(target.name):
        return target
    try:
        scores = prediction_scores(content, model=Path(filename).name or label)
    except MetricsInputError as error:
        raise DomainError(f"The predictions file was not stored: {error.args[0]}", problems=error.problems) from None
    _require_known_images(study, scores)
    stored = default_storage.save(target.name, ContentFile(content))
    if stored != target.name:  # the same file stored meanwhile by a concurrent upload: keep that one
        default_storage.delete(stored)
    return target


def _require_known_images(study: Study, scores: dict[str, float]) -> None:
    known = set(Stimulus.objects.filter(study=study, name__in=list(scores)).values_list("name", flat=True))
    unknown = tuple(name for name in scores if name not in known)
    if unknown:
        raise DomainError(
            f"{len(unknown)} image(s) of the file are not stimuli of this study (names must match the "
            f"stimulus names exactly): {name_ids(unknown)}"
        )
