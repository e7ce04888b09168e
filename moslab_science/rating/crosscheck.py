"""The AU-IQA cross-check: is a stimulus's set of votes consistent, and who deviates?"""
import statistics
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

from moslab_science.rating.protocol import ConsistencyRule


@dataclass(frozen=True)
class CheckResult:
    flagged: bool
    reasons: list[str] = field(default_factory=list)
    deviating: list[Hashable] = field(default_factory=list)


def consistency_check(scores: Mapping[Hashable, float], rule: ConsistencyRule) -> CheckResult:
    """Apply every configured part of `rule` to one stimulus's votes (rater -> score)."""
    values = list(scores.values())
    if len(values) < 2:
        return CheckResult(flagged=False)
    reasons: list[str] = []
    deviating: set[Hashable] = set()
    spread = max(values) - min(values)
    if rule.min_range is not None and spread >= rule.min_range:
        reasons.append(f"scores range over {spread:g} points (rule: at least {rule.min_range:g})")
    if rule.max_std is not None and statistics.stdev(values) > rule.max_std:
        reasons.append(f"standard deviation {statistics.stdev(values):.2f} above {rule.max_std:g}")
    if rule.max_deviation is not None:
        for rater, score in scores.items():
            others = [value for other, value in scores.items() if other != rater]
            gap = abs(score - statistics.fmean(others))
            if gap > rule.max_deviation:
                deviating.add(rater)
                reasons.append(f"one vote is {gap:.2f} from the mean of the others (rule: {rule.max_deviation:g})")
    if reasons and not deviating:
        median = statistics.median(values)
        far = max(abs(value - median) for value in values)
        deviating = {rater for rater, value in scores.items() if abs(value - median) == far}
    return CheckResult(flagged=bool(reasons), reasons=sorted(set(reasons)), deviating=sorted(deviating, key=str))
