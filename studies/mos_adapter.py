"""Between the database and the plain-Python MOS engine: votes in, result rows out.

Each computation is of one rating dimension (`MosComputation.dimension`, "" for a single score) and
reads that dimension's votes only. Coordinator decisions are study-wide (a rater rejected is rejected
on every dimension) and are applied here: a rater marked "reject" is left out before the method
runs; a rater marked "keep" whom the method's screening rejected is put back, and the MOS is then
computed again on the final set of raters without screening.
"""
import datetime as dt
from dataclasses import dataclass

import numpy as np

from moslab_science.mos import MosResult, ScoreMatrix, compute_mos
from moslab_science.mos.errors import MosInputError
from moslab_science.mos.screening_correlation import subject_correlations
from studies.models import MosComputation, Rating, Stimulus, StimulusMos, Study, SubjectDecision, SubjectReport

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
    results: list[StimulusMos]
    reports: list[SubjectReport]
    warnings: list[dict]
    num_ratings: int


def study_score_matrix(study: Study, *, verified_only: bool = True, dimension: str = "",
                       as_of: dt.datetime | None = None) -> StudyMatrix:
    """(stimuli, raters, 1) votes of the study on one rating dimension, named by stimulus name and rater username.

    A cell is the rater's latest study vote on the stimulus: `Rating.objects.current()` (verified
    votes, what MOS is computed from) or, with ``verified_only=False``, `latest_per_rater()` (also
    votes still awaiting the cross-check, which planning counts as variance observed so far).
    Only votes of `dimension` count ("": the single score of a one-score protocol); a rater who
    scored other dimensions only is not a column. `as_of` (verified votes only): the votes current then.
    """
    stimuli = dict(Stimulus.objects.filter(study=study).order_by("name").values_list("name", "pk"))
    ratings = Rating.objects.filter(study=study, dimension=dimension)
    ratings = ratings.current(as_of=as_of) if verified_only else ratings.latest_per_rater()
    votes = list(ratings.values_list("stimulus__name", "rater__username", "rater_id", "score"))
    raters = dict(sorted({(username, pk) for _, username, pk, _ in votes}))
    row = {name: index for index, name in enumerate(stimuli)}
    column = {username: index for index, username in enumerate(raters)}
    scores = np.full((len(stimuli), len(raters), 1), np.nan)
    for stimulus, username, _, score in votes:
        scores[row[stimulus], column[username], 0] = score
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


def compute_study_mos(computation: MosComputation) -> MosOutcome:
    """The computation's method on its dimension's votes; screening and subject reports see those votes only."""
    try:
        study_matrix = computation_score_matrix(computation)
    except MosInputError:
        if not computation.dimension:
            raise
        raise MosInputError(f"the study holds no verified vote of the {computation.dimension!r} dimension yet; "
                            "compute its MOS once raters have scored it.") from None
    matrix = study_matrix.matrix
    decisions = current_decisions(computation)
    excluded = np.array([decisions.get(s) is not None and decisions[s].decision == Decision.REJECT
                         for s in matrix.subject_ids], dtype=bool)
    candidates = matrix.keep_subjects(~excluded)
    parameters = dict(computation.parameters)
    screened = compute_mos(candidates, computation.method, computation.mode, **parameters)
    final = screened
    forced = np.array([s in decisions and decisions[s].decision == Decision.KEEP for s in candidates.subject_ids])
    if screened.rejected is not None and np.any(screened.rejected & forced):
        method, extra = WITHOUT_SCREENING[computation.method]
        rest = {k: v for k, v in parameters.items() if k not in SCREENING_PARAMETERS}
        final = compute_mos(candidates.keep_subjects(~screened.rejected | forced), method, computation.mode,
                            **rest, **extra)
    results = [
        StimulusMos(computation=computation, stimulus_id=study_matrix.stimulus_pk[stimulus], mos=_number(final.mos[i]),
                    std=_number(final.std[i]) if final.std is not None else None,
                    ci95=_number(final.ci95[i]), count=int(final.n[i]))
        for i, stimulus in enumerate(final.stimulus_ids)
    ]
    return MosOutcome(
        results=results,
        reports=_subject_reports(computation, study_matrix, screened, decisions),
        warnings=[warning.as_dict() for warning in final.warnings],
        num_ratings=int(np.sum(~np.isnan(matrix.scores))),
    )


def _subject_reports(
    computation: MosComputation, study_matrix: StudyMatrix, screened: MosResult, decisions: dict[str, SubjectDecision]
) -> list[SubjectReport]:
    matrix = study_matrix.matrix
    correlations = subject_correlations(matrix.scores)
    index_in_screened = {subject: i for i, subject in enumerate(screened.subject_ids)}
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
            automatic_rejected=automatic, reason=reason, num_votes=int(matrix.votes_per_subject[column]),
            p_count=_item(screened.p, i, int), q_count=_item(screened.q, i, int),
            pearson=_number(correlations.pearson[column]), spearman=_number(correlations.spearman[column]),
            bias=_item(screened.bias, i, float), inconsistency=_item(screened.inconsistency, i, float),
        ))
    return reports


def _number(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def _item(values: np.ndarray | None, index: int | None, kind: type):
    if values is None or index is None:
        return None
    return _number(values[index]) if kind is float else kind(values[index])
