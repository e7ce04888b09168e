"""Rank groups of a phase's leaderboard: the teams' entries (and, apart, the baselines) compared by a paired
bootstrap over the phase's images on the challenge score, the same grouping the benchmark leaderboards use."""
from collections.abc import Sequence

from challenges.data import hidden_mos
from challenges.models import Baseline, Phase, Submission
from modeling.dashboards.selectors import evaluation_cached
from moslab_science.challenges.scoring import ScoreSpec, ranking_metric
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.ranking import Ranking, ScoredPart, rank_models, small_test_warning


def phase_ranking(*, phase: Phase, entries: Sequence[Submission], baselines: Sequence[Baseline]
                  ) -> tuple[Ranking | None, Ranking | None]:
    """The rank groups of the teams (keyed by team name) and, ranked apart, the baselines' (keyed by label), each
    with every entry's 95% CI of the score; None for a side with nothing to rank. Cached per set of entries."""
    stamp = ",".join(f"{row.pk}@{row.created_at.timestamp()}" for row in (*entries, *baselines))
    key = f"challenges:ranking:{phase.pk}:{phase.challenge.version_id}:{phase.challenge.split_id}:{stamp}"
    return evaluation_cached(key, lambda: _rankings(phase, entries, baselines))


def _rankings(phase: Phase, entries: Sequence[Submission], baselines: Sequence[Baseline]):
    mos = hidden_mos(phase.challenge, phase.part)
    names = sorted(mos)
    metric, resamples = ranking_metric(ScoreSpec.from_dict(phase.challenge.score_spec))
    found = []
    for side in ({row.team.name: row.predictions for row in entries},
                 {row.label: row.predictions for row in baselines}):
        if not side:
            found.append(None)
            continue
        part = ScoredPart({label: [float(scores[name]) for name in names] for label, scores in side.items()},
                          [mos[name] for name in names])
        try:
            found.append(rank_models([part], metric=metric, resamples=resamples, seed=phase.pk))
        except MetricsInputError as error:
            warnings = tuple(text for text in (f"Not ranked in groups: {error}.", small_test_warning(len(names)))
                             if text)
            found.append(Ranking("score", len(names), (), 0, phase.pk, warnings))
    return found[0], found[1]
