"""Per-annotator quality indicators for coordinators, from plain lists."""
import statistics
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class AnnotatorIndicators:
    votes: int
    median_seconds: float | None
    gold_checked: int
    gold_accuracy: float | None
    repeat_pairs: int
    repeat_mean_abs_diff: float | None
    top_score_share: float | None
    longest_same_run: int

    @property
    def straight_lining(self) -> bool:
        """Nearly always the same score, or long runs of it: likely not looking."""
        return self.votes >= 10 and ((self.top_score_share or 0) >= 0.8 or self.longest_same_run >= 10)


def annotator_indicators(
    *, scores_in_order: list[float], response_ms: list[int], gold: list[tuple[float, float, float]],
    repeats: list[tuple[float, float]],
) -> AnnotatorIndicators:
    """gold: (score, reference, tolerance) per gold vote; repeats: (first, repeated) score pairs."""
    longest = run = 0
    for index, score in enumerate(scores_in_order):
        run = run + 1 if index and score == scores_in_order[index - 1] else 1
        longest = max(longest, run)
    counts = Counter(scores_in_order)
    hits = [abs(score - reference) <= tolerance for score, reference, tolerance in gold]
    return AnnotatorIndicators(
        votes=len(scores_in_order),
        median_seconds=statistics.median(response_ms) / 1000 if response_ms else None,
        gold_checked=len(gold),
        gold_accuracy=sum(hits) / len(hits) if hits else None,
        repeat_pairs=len(repeats),
        repeat_mean_abs_diff=statistics.fmean(abs(a - b) for a, b in repeats) if repeats else None,
        top_score_share=counts.most_common(1)[0][1] / len(scores_in_order) if scores_in_order else None,
        longest_same_run=longest,
    )
