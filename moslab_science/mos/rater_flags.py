"""Readable screening, whatever the MOS method: raters who disagree with the others, and BT.500's power.

Every method's subject reports carry each rater's correlation with the mean of the others
(`screening_correlation.subject_correlations`). A negative correlation means the rater reversed the
scale or rated something else; a very low one (below `LOW_CORRELATION`) that their votes carry little of
the quality the others see. BT.500 screening counts outlier votes per rater, so it misses such raters
when each stimulus has few votes or each rater cast few (see `bt500_power_warnings`).
"""

import numpy as np

from moslab_science.mos.errors import MosWarning

LOW_CORRELATION = 0.3
#: With n votes, one vote lies at most (n - 1) / sqrt(n) sample standard deviations from their mean; that
#: reaches BT.500's 2 s only from 6 votes on a stimulus.
BT500_MIN_VOTES_PER_STIMULUS = 6
#: Below this many screened votes a rater's P and Q counts rest on one or two outliers.
BT500_MIN_VOTES_PER_RATER = 20


def correlation_concern(r: float | None) -> str:
    """'negative', 'very low' or '' for a rater's correlation with the others (undefined: '')."""
    if r is None or not np.isfinite(r):
        return ""
    if r < 0:
        return "negative"
    return "very low" if r < LOW_CORRELATION else ""


def disagreeing_raters_warning(
    subject_ids: list[str], pearson: np.ndarray, rejected: np.ndarray | None
) -> MosWarning | None:
    """One warning naming every rater whose Pearson correlation with the others is negative or very low,
    saying which the method kept (their votes count in the MOS)."""
    flagged = [(subject, float(r), bool(rejected[i]) if rejected is not None else False)
               for i, (subject, r) in enumerate(zip(subject_ids, pearson, strict=True)) if correlation_concern(r)]
    if not flagged:
        return None
    described = ", ".join(f"{subject!r} r = {r:.2f} ({correlation_concern(r)}, {'rejected' if out else 'kept'})"
                          for subject, r, out in flagged)
    kept = sum(1 for _, _, out in flagged if not out)
    advice = (f"; {kept} of them kept by the method: their votes count in the MOS. Look at their votes and reject "
              "them with an override if they misread the scale" if kept else "")
    return MosWarning(
        "raters_disagree",
        f"{len(flagged)} raters correlate negatively or below {LOW_CORRELATION} with the others: {described}{advice}.",
        subjects=tuple(subject for subject, _, _ in flagged),
    )


def bt500_power_warnings(votes_per_stimulus: np.ndarray, votes_per_rater: np.ndarray) -> list[MosWarning]:
    """When BT.500 screening can hardly reject anyone: few votes on each stimulus or from each rater."""
    found = []
    rated = votes_per_stimulus[votes_per_stimulus > 0]
    few = int(np.sum(rated < BT500_MIN_VOTES_PER_STIMULUS))
    if few:
        found.append(MosWarning(
            "bt500_low_power_stimuli",
            f"BT.500 has little power here: {few} of {rated.size} stimuli have fewer than "
            f"{BT500_MIN_VOTES_PER_STIMULUS} votes, where no single vote can lie 2 standard deviations from the "
            "stimulus mean, so none of their votes can count as an outlier. Read the correlation column: a rater "
            "with a negative or very low correlation is flagged whatever the method."))
    voted = votes_per_rater[votes_per_rater > 0]
    if voted.size and float(np.median(voted)) < BT500_MIN_VOTES_PER_RATER:
        found.append(MosWarning(
            "bt500_low_power_raters",
            f"BT.500 has little power here: raters cast a median of {float(np.median(voted)):g} votes (fewer than "
            f"{BT500_MIN_VOTES_PER_RATER}), so one or two outlier votes decide whether a rater is rejected."))
    return found
