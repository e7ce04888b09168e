"""Between the database and the plain-Python MOS engine: votes in, result rows out.

Each computation is of one rating dimension (`MosComputation.dimension`, "" for a single score) and
reads that dimension's votes only. Coordinator decisions are study-wide (a rater rejected is rejected
on every dimension) and are applied here: a rater marked "reject" is left out before the method
runs; a rater marked "keep" whom the method's screening rejected is put back, and the MOS is then
computed again on the final set of raters without screening.
"""
import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model

from moslab_science.mos import MosResult, ScoreMatrix, compute_mos
from moslab_science.mos.diagnostics import unrated_warning
from moslab_science.mos.errors import MosInputError, MosWarning, name_ids
from moslab_science.mos.rater_flags import disagreeing_raters_warning
from moslab_science.mos.screening_correlation import SubjectCorrelations, subject_correlations
from studies.models import MosComputation, Rating, Stimulus, Study, SubjectDecision, SubjectReport, counted_votes
from studies.vote_cells import current_vote_cells

Decision = SubjectDecision.Decision
# After a forced keep: the same estimate without its screening.
WITHOUT_SCREENING = {"bt500": ("mean", {}), "correlation": ("mean", {}), "p913": ("p913", {"reject": False})}
SCREENING_PARAMETERS = {"statistic", "reference", "threshold", "reject"}


@dataclass(frozen=True)
class StudyMatrix:
    """The engine's score matrix plus the primary keys behind its names."""

    matrix: ScoreMatrix
    stimulus_pk: dict[str, int]
    rater_pk: dict[str, int]


@dataclass(frozen=True)
class MosOutcome:
    results: dict[str, np.ndarray]  # StimulusMos columns, one row per stimulus, for `columns_insert`
    reports: list[SubjectReport]
    warnings: list[dict]
    num_ratings: int


def study_score_matrix(study: Study, *, verified_only: bool = True, dimension: str = "",
                       as_of: dt.datetime | None = None) -> StudyMatrix:
    """(stimuli, raters, 1) votes of the study on one rating dimension, named by stimulus name and rater username.

    A cell is the rater's current vote on the stimulus (`studies.vote_cells`, the rule of
    `Rating.objects.current()` read in one pass): verified votes, what MOS is computed from, or, with
    ``verified_only=False``, the latest vote verified or not (also votes still awaiting the cross-check, which
    planning counts as variance observed so far). Only votes of `dimension` count ("": the single score of
    a one-score protocol); a rater who scored other dimensions only is not a column. `as_of` (verified votes
    only): the votes current then. Training, qualification and gold items are not rows.
    """
    stimuli = dict(Stimulus.objects.filter(study=study).studied().order_by("name").values_list("name", "pk"))
    cells = current_vote_cells(study, dimension=dimension, verified_only=verified_only, as_of=as_of)
    voters = np.unique(cells.rater_pk)
    usernames = dict(get_user_model().objects.filter(pk__in=voters.tolist()).values_list("pk", "username"))
    raters = dict(sorted((usernames[pk], pk) for pk in voters.tolist()))
    stimulus_pks = np.fromiter(stimuli.values(), dtype=np.int64, count=len(stimuli))
    row_order = np.argsort(stimulus_pks)
    rows = row_order[np.searchsorted(stimulus_pks, cells.stimulus_pk, sorter=row_order)]
    rater_pks = np.fromiter(raters.values(), dtype=np.int64, count=len(raters))
    column_order = np.argsort(rater_pks)
    columns = column_order[np.searchsorted(rater_pks, cells.rater_pk, sorter=column_order)]
    scores = np.full((len(stimuli), len(raters), 1), np.nan)
    scores[rows, columns, 0] = cells.score
    matrix = ScoreMatrix(
        scores=scores, stimulus_ids=list(stimuli), subject_ids=list(raters), scale=(study.scale_min, study.scale_max)
    )
    return StudyMatrix(matrix=matrix, stimulus_pk=stimuli, rater_pk=raters)


def computation_score_matrix(computation: MosComputation) -> StudyMatrix:
    """The votes a computation is of: its dimension's votes current when it started. The computation reads
    them, and pages that show it beside its results (the rater dashboard's agreement) read the same."""
    return study_score_matrix(computation.study, dimension=computation.dimension, as_of=computation.started_at)


def current_decisions(computation: MosComputation) -> dict[str, SubjectDecision]:
    """The newest coordinator decision per rater (by username), ignoring those set back to automatic."""
    newest: dict[str, SubjectDecision] = {}
    decisions = SubjectDecision.objects.filter(study=computation.study).select_related("rater", "decided_by")
    for decision in decisions.order_by("created_at", "pk"):
        newest[decision.rater.username] = decision
    return {rater: d for rater, d in newest.items() if d.decision != Decision.AUTOMATIC}


def compute_study_mos(computation: MosComputation, *, progress=lambda fraction: None) -> MosOutcome:
    """The computation's method on its dimension's votes; screening and subject reports see those votes only.
    `progress(fraction)` is called between the steps (a cancel stops the computation there)."""
    try:
        study_matrix = computation_score_matrix(computation)
    except MosInputError:
        if not computation.dimension:
            raise
        raise MosInputError(f"the study holds no verified vote of the {computation.dimension!r} dimension yet; "
                            "compute its MOS once raters have scored it.") from None
    progress(0.3)
    matrix = study_matrix.matrix
    decisions = current_decisions(computation)
    excluded = np.array([decisions.get(s) is not None and decisions[s].decision == Decision.REJECT
                         for s in matrix.subject_ids], dtype=bool)
    candidates = matrix.keep_subjects(~excluded)
    parameters = dict(computation.parameters)
    screened = compute_mos(candidates, computation.method, computation.mode, **parameters)
    progress(0.7)
    final = screened
    forced = np.array([s in decisions and decisions[s].decision == Decision.KEEP for s in candidates.subject_ids])
    if screened.rejected is not None and np.any(screened.rejected & forced):
        method, extra = WITHOUT_SCREENING[computation.method]
        rest = {k: v for k, v in parameters.items() if k not in SCREENING_PARAMETERS}
        final = compute_mos(candidates.keep_subjects(~screened.rejected | forced), method, computation.mode,
                            **rest, **extra)
    stimulus_pks = np.fromiter((study_matrix.stimulus_pk[stimulus] for stimulus in final.stimulus_ids), dtype=np.int64,
                               count=len(final.stimulus_ids))
    std = final.std if final.std is not None else np.full(len(stimulus_pks), np.nan)
    results = {"computation_id": np.full(len(stimulus_pks), computation.pk), "stimulus_id": stimulus_pks,
               "position": np.arange(len(stimulus_pks)),  # by name
               "mos": _finite(final.mos), "std": _finite(std), "ci95": _finite(final.ci95),
               "count": np.asarray(final.n, dtype=np.int64)}
    correlations = subject_correlations(matrix.scores)
    reports = _subject_reports(computation, study_matrix, screened, decisions, correlations)
    disagreeing = disagreeing_raters_warning(matrix.subject_ids, correlations.pearson,
                                             np.array([report.rejected for report in reports], dtype=bool))
    warnings = [*final.warnings, *([disagreeing] if disagreeing else [])]
    return MosOutcome(
        results=results,
        reports=reports,
        warnings=_with_review_state(computation, [warning.as_dict() for warning in warnings]),
        num_ratings=int(np.sum(~np.isnan(matrix.scores))),
    )


def _with_review_state(computation: MosComputation, warnings: list[dict]) -> list[dict]:
    """Tell stimuli without verified votes that wait for the cross-check review from those nobody rated."""
    unrated = next((warning for warning in warnings if warning["code"] == "unrated_stimulus"), None)
    if unrated is None:
        return warnings
    waiting_votes = Counter(Rating.objects.filter(
        counted_votes(verified_only=False), study=computation.study, dimension=computation.dimension,
        verified=False, created_at__lte=computation.started_at).values_list("stimulus__name", flat=True))
    waiting = tuple(name for name in unrated["stimuli"] if name in waiting_votes)
    if not waiting:
        return warnings
    nobody = tuple(name for name in unrated["stimuli"] if name not in waiting_votes)
    votes = sum(waiting_votes[name] for name in waiting)
    found = [MosWarning(
        "stimuli_awaiting_review",
        f"{len(waiting)} stimuli have no verified vote yet but {votes} votes waiting for the cross-check review "
        f"({name_ids(waiting)}): decide them in the review queue, then compute again; until then their MOS is null.",
        stimuli=waiting).as_dict()]
    if nobody:
        found.append(unrated_warning(nobody).as_dict())
    return [warning for warning in warnings if warning is not unrated] + found


def _subject_reports(
    computation: MosComputation, study_matrix: StudyMatrix, screened: MosResult, decisions: dict[str, SubjectDecision],
    correlations: SubjectCorrelations,
) -> list[SubjectReport]:
    matrix = study_matrix.matrix
    index_in_screened = {subject: i for i, subject in enumerate(screened.subject_ids)}
    votes_per_subject = matrix.votes_per_subject
    reports = []
    for column, subject in enumerate(matrix.subject_ids):
        decision = decisions.get(subject)
        i = index_in_screened.get(subject)
        automatic = bool(screened.rejected[i]) if (i is not None and screened.rejected is not None) else None
        reason = screened.reasons[i] if (i is not None and screened.reasons is not None) else ""
        rejected = bool(automatic)
        if decision is not None:
            rejected = decision.decision == Decision.REJECT
            reason = f"{reason} Coordinator {decision.decided_by}: {decision.get_decision_display().lower()} " \
                     f"({decision.reason}).".strip()
        reports.append(SubjectReport(
            computation=computation, rater_id=study_matrix.rater_pk[subject], rejected=rejected,
            automatic_rejected=automatic, reason=reason, num_votes=int(votes_per_subject[column]),
            p_count=_item(screened.p, i, int), q_count=_item(screened.q, i, int),
            pearson=_number(correlations.pearson[column]), spearman=_number(correlations.spearman[column]),
            bias=_item(screened.bias, i, float), inconsistency=_item(screened.inconsistency, i, float),
        ))
    return reports


def _finite(values: np.ndarray) -> np.ndarray:
    """Floats, NaN (stored as NULL) where not finite: a stimulus without a MOS."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), values, np.nan)


def _number(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def _item(values: np.ndarray | None, index: int | None, kind: type):
    if values is None or index is None:
        return None
    return _number(values[index]) if kind is float else kind(values[index])
