"""Reads for the dashboards, always scoped to the study and the user asking (coordinators and researchers)."""
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.storage import default_storage

from common.errors import PermissionDeniedError
from moslab_science.charts.pages import MosItem
from moslab_science.charts.raters import RaterRow
from moslab_science.csv_table import read_csv
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.tables import numbers_by_name
from studies import selectors as study_selectors
from studies.models import Membership, MosComputation, Study
from studies.mos_adapter import computation_score_matrix, current_decisions

T = TypeVar("T")
DASHBOARD_ROLES = (Membership.Role.COORDINATOR, Membership.Role.RESEARCHER)
PREDICTION_KEY = re.compile(r"^[a-z0-9-]{1,80}-[0-9a-f]{12}$")
# Evaluations with 1,000 bootstrap resamples take seconds on thousands of images; a page, its CSV downloads and
# the API reuse them. Keys name what was evaluated and when it changed last (a computation or run finishing, a
# file's hash), so new results are evaluated again.
EVALUATION_CACHE_SECONDS = 600


def evaluation_cached(key: str, build: Callable[[], T]) -> T:
    """``build()``, or its value kept under ``key`` for EVALUATION_CACHE_SECONDS."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, EVALUATION_CACHE_SECONDS)
    return value


def dashboard_study_get(*, study_id: int, user: AbstractBaseUser) -> Study:
    """The study, for its coordinators and researchers; anyone else (annotators too) gets PermissionDeniedError."""
    return study_selectors.study_get_for_user(study_id=study_id, user=user, roles=DASHBOARD_ROLES)


def dashboard_dimension(*, study: Study, dimension: str | None) -> str:
    """The rating dimension a dashboard shows: the one asked for (?dimension=, one of the study's), else the
    study's first, else "" (a single-score study)."""
    return study_selectors.dimension_chosen(study=study, dimension=dimension)


def dashboard_dimensions(*, study: Study) -> list[tuple[str, str]]:
    """The choices of a dashboard's dimension picker; [] when the study rates one score only."""
    dimensions = study_selectors.study_dimensions(study=study)
    if dimensions and MosComputation.objects.filter(study=study, dimension="").exists():
        dimensions = [*dimensions, ("", "Single score")]
    return dimensions


def mos_computation_latest(*, study: Study, dimension: str = "") -> MosComputation | None:
    """The study's newest succeeded MOS computation of `dimension`, or None."""
    return (MosComputation.objects.filter(study=study, status=MosComputation.Status.SUCCEEDED, dimension=dimension)
            .order_by("-created_at", "-pk").first())


def mos_computation_chosen(*, study: Study, computation_id: str | None, dimension: str = "") -> MosComputation | None:
    """The computation named in the request (it must be this study's), else the latest succeeded one of
    `dimension`."""
    if computation_id:
        if not computation_id.isdigit():
            raise PermissionDeniedError("No such MOS computation in this study.")
        return study_selectors.mos_computation_get(study=study, computation_id=int(computation_id))
    return mos_computation_latest(study=study, dimension=dimension)


def mos_items(*, computation: MosComputation) -> list[MosItem]:
    """Each stimulus with a MOS in the computation, with its group labels, by name."""
    results = (computation.results.filter(mos__isnull=False).select_related("stimulus")
               .order_by("stimulus__name").only("mos", "stimulus__name", "stimulus__groups"))
    return [MosItem(result.stimulus.name, result.mos, result.stimulus.groups or {}) for result in results]


def rater_rows(*, computation: MosComputation) -> list[RaterRow]:
    """The computation's subject reports as rater rows; ``overridden`` when a coordinator decided on the rater."""
    overridden = set(current_decisions(computation))
    reports = computation.subject_reports.select_related("rater").order_by("rater__username")
    return [
        RaterRow(
            rater=report.rater.username, votes=report.num_votes, rejected=report.rejected,
            automatic_rejected=report.automatic_rejected, overridden=report.rater.username in overridden,
            p_count=report.p_count, q_count=report.q_count, pearson=report.pearson, spearman=report.spearman,
            bias=report.bias, inconsistency=report.inconsistency,
        )
        for report in reports
    ]


def computation_scores(*, computation: MosComputation) -> np.ndarray:
    """The votes the computation is of, as the MOS engine's (stimuli, raters, 1) array, NaN where a rater did not
    vote: a page showing the computation's subject reports computes agreement from these, not today's votes."""
    return computation_score_matrix(computation).matrix.scores


@dataclass(frozen=True)
class PredictionSet:
    """An uploaded predictions CSV (``image,score``) of one model, kept in the media storage under
    ``predictions/<study id>/<key>.csv``."""

    key: str
    model: str
    name: str  # the storage name

    def scores(self) -> dict[str, float]:
        with default_storage.open(self.name, "rb") as handle:
            return prediction_scores(handle.read(), model=self.model)


def prediction_scores(content: bytes, *, model: str) -> dict[str, float]:
    """The scores by image name of a predictions CSV's bytes; MetricsInputError names every problem."""
    rows = read_csv(io.BytesIO(content), required=("image", "score"), label=model, error=MetricsInputError).rows
    return numbers_by_name(rows, name_column="image", value_column="score", file_label=model)


def predictions_folder(study: Study) -> str:
    return f"predictions/{study.pk}"


def prediction_sets_for_study(*, study: Study) -> list[PredictionSet]:
    folder = predictions_folder(study)
    try:
        names = sorted(default_storage.listdir(folder)[1])
    except FileNotFoundError:  # nothing uploaded yet (object stores list an empty prefix instead)
        names = []
    keys = [name[:-4] for name in names if name.endswith(".csv") and PREDICTION_KEY.match(name[:-4])]
    return [PredictionSet(key, key[:-13], f"{folder}/{key}.csv") for key in keys]


def prediction_set_get(*, study: Study, key: str) -> PredictionSet:
    name = f"{predictions_folder(study)}/{key}.csv"
    if not PREDICTION_KEY.match(key) or not default_storage.exists(name):
        raise PermissionDeniedError("No such prediction set in this study.")
    return PredictionSet(key, key[:-13], name)
