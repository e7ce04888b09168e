"""Leaderboards of a challenge phase, their scatter plots and the final table: scores ranked in the groups a paired
bootstrap cannot tell apart, shown to participants only once the organisers publish them."""
import datetime as dt
import io
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from challenges.data import hidden_mos
from challenges.models import Baseline, FactSheet, Phase, Submission
from challenges.rankings import phase_ranking
from challenges.selectors import NOT_FOUND, fact_sheet_dict, is_organiser, mos_visible, scores_visible
from common.errors import PermissionDeniedError
from moslab_science.challenges.scoring import ScoreSpec
from moslab_science.challenges.tables import FinalRow, write_final_table
from moslab_science.charts.leaderboard import ranking_note
from moslab_science.metrics.ranking import Ranking


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int | None
    team: str  # the label, for a baseline
    submission_id: int | None
    submitted_at: dt.datetime
    score: float | None
    srcc: float | None
    plcc: float | None
    n: int | None
    is_baseline: bool = False
    is_final: bool = False
    fact_sheet: dict | None = None
    ci_low: float | None = None  # the paired bootstrap's 95% CI of the score
    ci_high: float | None = None


@dataclass(frozen=True)
class Leaderboard:
    phase: Phase
    score_text: str
    rows: list[LeaderboardRow]
    baselines: list[LeaderboardRow]
    scores_visible: bool
    ranking_note: str = ""  # how the rank groups were formed, and what to beware of (a small test part)


def _entries(phase: Phase) -> list[Submission]:
    """Per team: the best succeeded entry (development) or the final one (test)."""
    succeeded = Submission.objects.filter(phase=phase, status=Submission.Status.SUCCEEDED).select_related("team")
    if phase.kind == Phase.Kind.TEST:
        return list(succeeded.filter(is_final=True))
    best: dict[int, Submission] = {}
    for row in succeeded.order_by("created_at", "pk"):
        current = best.get(row.team_id)
        if current is None or row.scores["score"] > current.scores["score"]:
            best[row.team_id] = row
    return list(best.values())


def leaderboard(*, phase: Phase, user: AbstractBaseUser) -> Leaderboard:
    """Rows by the challenge score, ranked in groups a paired bootstrap cannot tell apart (teams in one group share
    the rank), each score with its 95% CI; while scores are hidden, teams with an entry, unranked, no figures."""
    challenge = phase.challenge
    if not challenge.is_public and not is_organiser(challenge=challenge, user=user):
        raise PermissionDeniedError(NOT_FOUND)
    visible = scores_visible(phase=phase, user=user)
    entries = _entries(phase)
    sheets = {sheet.submission_id: fact_sheet_dict(sheet) for sheet in FactSheet.objects.filter(submission__in=entries)}
    if visible:
        entries.sort(key=lambda row: (-row.scores["score"], row.created_at, row.pk))
    else:
        entries.sort(key=lambda row: row.team.name.lower())
    baseline_rows = list(Baseline.objects.filter(phase=phase).order_by("label"))
    teams, others = phase_ranking(phase=phase, entries=entries, baselines=baseline_rows) if visible else (None, None)
    rows = [
        LeaderboardRow(
            rank=(teams.group_of(row.team.name) if teams and teams.models else index) if visible else None,
            team=row.team.name, submission_id=row.pk, submitted_at=row.created_at,
            score=row.scores["score"] if visible else None, srcc=row.scores["srcc"] if visible else None,
            plcc=row.scores["plcc"] if visible else None, n=row.scores["n"] if visible else None,
            is_final=row.is_final, fact_sheet=sheets.get(row.pk), **_interval(teams, row.team.name),
        )
        for index, row in enumerate(entries, start=1)
    ]
    baselines = [
        LeaderboardRow(rank=None, team=row.label, submission_id=None, submitted_at=row.created_at,
                       score=row.scores["score"] if visible else None, srcc=row.scores["srcc"] if visible else None,
                       plcc=row.scores["plcc"] if visible else None, n=row.scores["n"] if visible else None,
                       is_baseline=True, **_interval(others, row.label))
        for row in baseline_rows
    ]
    if visible:
        baselines.sort(key=lambda row: -row.score)
    spec = ScoreSpec.from_dict(challenge.score_spec)
    return Leaderboard(phase=phase, score_text=spec.text(), rows=rows, baselines=baselines, scores_visible=visible,
                       ranking_note=ranking_note(teams) if teams else "")


def _interval(ranking: Ranking | None, label: str) -> dict[str, float | None]:
    entry = next((model for model in ranking.models if model.model == label), None) if ranking else None
    return {"ci_low": entry.ci95.low, "ci_high": entry.ci95.high} if entry else {}


@dataclass(frozen=True)
class ScatterSeries:
    """One entry's predictions against MOS, image by image; the page's chart fits and draws the curve."""

    label: str
    is_baseline: bool
    names: list[str]
    predictions: list[float]
    mos: list[float]


def leaderboard_scatter(*, phase: Phase, user: AbstractBaseUser) -> list[ScatterSeries]:
    """Every leaderboard entry (final entries in a test phase) and baseline; it shows MOS, so organisers only
    until the phase's results are published."""
    if not mos_visible(phase=phase, user=user):
        raise PermissionDeniedError("The scatter plots show the MOS of a hidden part; they appear once the "
                                    "organisers publish this phase's results.")
    mos = hidden_mos(phase.challenge, phase.part)
    names = sorted(mos)
    target = [mos[name] for name in names]
    entries = sorted(_entries(phase), key=lambda row: (-row.scores["score"], row.created_at, row.pk))
    series = [(row.team.name, False, row.predictions) for row in entries]
    series += [(row.label, True, row.predictions) for row in Baseline.objects.filter(phase=phase).order_by("label")]
    return [ScatterSeries(label, is_baseline, names, [float(predictions[name]) for name in names], target)
            for label, is_baseline, predictions in series]


def final_table_rows(*, phase: Phase, user: AbstractBaseUser) -> list[FinalRow]:
    """The final table (ranked teams, then baselines); only when the scores are visible to the user."""
    board = leaderboard(phase=phase, user=user)
    if not board.scores_visible:
        raise PermissionDeniedError("The results of this phase are not published yet.")
    rows = [FinalRow(rank=row.rank, team=row.team, score=row.score, srcc=row.srcc, plcc=row.plcc,
                     **_sheet_columns(row.fact_sheet)) for row in board.rows]
    rows += [FinalRow(rank=None, team=row.team, score=row.score, srcc=row.srcc, plcc=row.plcc, is_baseline=True)
             for row in board.baselines]
    return rows


def _sheet_columns(sheet: dict | None) -> dict:
    if sheet is None:
        return {}
    return {key: sheet[key] for key in ("parameters_m", "input_size", "gflops", "ensemble", "extra_data")}


def final_table_csv(*, phase: Phase, user: AbstractBaseUser) -> str:
    stream = io.StringIO()
    write_final_table(final_table_rows(phase=phase, user=user), stream)
    return stream.getvalue()
