"""``compute_mos``: one entry point running a named method in a named mode on a score matrix."""

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np

from moslab_science.mos import warnings_for as notes
from moslab_science.mos.arrays import nan_mean, votes_by_stimulus
from moslab_science.mos.diagnostics import data_warnings
from moslab_science.mos.errors import MosInputError, MosWarning
from moslab_science.mos.matrix import ScoreMatrix
from moslab_science.mos.mle import fit_subject_model
from moslab_science.mos.modes import Mode, check_mode
from moslab_science.mos.normalization import RESCALES, p913_bias_removal, rescale_zscores, subject_zscores
from moslab_science.mos.result import MosResult
from moslab_science.mos.screening_bt500 import (
    ASYMMETRY_LIMIT,
    KURTOSIS_RANGE,
    OUTLIER_FRACTION_LIMIT,
    bt500_screen,
)
from moslab_science.mos.screening_correlation import correlation_screen
from moslab_science.mos.stats import NORMAL_Z95, SUREAL_Z95, MosStats, mos_stats

Method = Literal["mean", "bt500", "correlation", "zscore", "p913", "mle"]
METHODS: tuple[str, ...] = get_args(Method)

_PARAMETERS: dict[str, tuple[str, ...]] = {
    "mean": ("ci",),
    "bt500": ("ci",),
    "correlation": ("ci", "statistic", "reference", "threshold"),
    "zscore": ("ci", "rescale"),
    "p913": ("ci", "reject"),
    "mle": ("tolerance", "max_iterations"),
}


def compute_mos(matrix: ScoreMatrix, method: Method = "mean", mode: Mode = "default", **params: object) -> MosResult:
    """Run ``method`` on ``matrix``.

    Methods: ``mean`` (no screening), ``bt500`` (ITU-R BT.500 screening, then MOS),
    ``correlation`` (correlation screening, then MOS), ``zscore`` (per-subject z-scores),
    ``p913`` (ITU-T P.913 bias removal with BT.500 rejection), ``mle`` (subject model).
    ``mode="sureal"`` reproduces sureal 0.9.0; ``"default"`` is documented in docs/mos.md.
    Parameters: ``ci`` ("t" or "normal"; default "t", sureal mode "normal"), correlation's
    ``statistic``, ``reference`` and ``threshold``, zscore's ``rescale``
    ("none", "three_sigma", "minmax"), p913's ``reject`` (bool), mle's ``tolerance`` and
    ``max_iterations``.
    """
    mode = check_mode(mode)
    if method not in METHODS:
        raise MosInputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}.")
    unknown = sorted(set(params) - set(_PARAMETERS[method]))
    if unknown:
        raise MosInputError(
            f"method {method!r} takes no parameter {', '.join(unknown)}; it takes {', '.join(_PARAMETERS[method])}."
        )
    if "ci" in _PARAMETERS[method]:
        params.setdefault("ci", "normal" if mode == "sureal" else "t")
        if params["ci"] not in ("t", "normal"):
            raise MosInputError(f"ci must be 't' or 'normal'; got {params['ci']!r}.")
        if params["ci"] == "normal":
            params["z"] = _z(mode)
    runner: Callable[[ScoreMatrix, Mode, dict[str, object]], dict[str, object]] = _RUNNERS[method]
    fields = runner(matrix, mode, params)
    method_warnings: list[MosWarning] = fields.pop("warnings")  # type: ignore[assignment]
    return MosResult(
        method=method,
        mode=mode,
        parameters=params,
        scale=matrix.scale,
        stimulus_ids=matrix.stimulus_ids,
        subject_ids=matrix.subject_ids,
        warnings=data_warnings(matrix) + tuple(method_warnings),
        **fields,  # type: ignore[arg-type]
    )


def _z(mode: Mode) -> float:
    return SUREAL_Z95 if mode == "sureal" else NORMAL_Z95


def _bt500_rule(mode: Mode) -> dict[str, object]:
    """How the BT.500 screening ran, for the result's parameters."""
    sureal = mode == "sureal"
    return {
        "kurtosis_range": list(KURTOSIS_RANGE),
        "outlier_fraction_limit": OUTLIER_FRACTION_LIMIT,
        "asymmetry_limit": ASYMMETRY_LIMIT,
        "sigma_ddof": 0 if sureal else 1,
        "denominator": "stimuli x repetitions" if sureal else "votes cast on screened stimuli",
        "flat_stimuli": "every voter counted as P and Q" if sureal else "not screened",
    }


def _stimulus_fields(summary: MosStats, ci: object) -> dict[str, object]:
    interval = summary.ci95_t if ci == "t" else summary.ci95_normal
    return {"mos": summary.mos, "std": summary.std, "ci95": interval, "n": summary.n}


def _run_mean(matrix: ScoreMatrix, mode: Mode, params: dict[str, object]) -> dict[str, object]:
    return {**_stimulus_fields(mos_stats(matrix.scores, z=_z(mode)), params["ci"]), "warnings": []}


def _run_bt500(matrix: ScoreMatrix, mode: Mode, params: dict[str, object]) -> dict[str, object]:
    screening = bt500_screen(matrix.scores, mode=mode)
    params["screening"] = _bt500_rule(mode)
    kept = matrix.scores[:, ~screening.rejected, :]
    summary = mos_stats(kept, z=_z(mode))
    return {
        **_stimulus_fields(summary, params["ci"]),
        "rejected": screening.rejected,
        "p": screening.p,
        "q": screening.q,
        "reasons": screening.reasons,
        "warnings": notes.bt500(matrix, screening) + notes.after_selection(matrix, kept),
    }


def _run_correlation(matrix: ScoreMatrix, mode: Mode, params: dict[str, object]) -> dict[str, object]:
    statistic = params.setdefault("statistic", "pearson")
    reference = params.setdefault("reference", "all" if mode == "sureal" else "others")
    threshold = params.setdefault("threshold", "adaptive")
    screening = correlation_screen(matrix.scores, statistic=statistic, reference=reference, threshold=threshold)  # type: ignore[arg-type]
    params["threshold_used"] = None if np.isnan(screening.threshold) else screening.threshold
    kept = matrix.scores[:, ~screening.rejected, :]
    return {
        **_stimulus_fields(mos_stats(kept, z=_z(mode)), params["ci"]),
        "rejected": screening.rejected,
        "reasons": screening.reasons,
        "warnings": notes.correlation(matrix, screening) + notes.after_selection(matrix, kept),
    }


def _run_zscore(matrix: ScoreMatrix, mode: Mode, params: dict[str, object]) -> dict[str, object]:
    method = params.setdefault("rescale", "none")
    if method not in RESCALES:
        raise MosInputError(f"unknown rescale {method!r}; choose one of {', '.join(RESCALES)}.")
    zscores = subject_zscores(matrix.scores)
    z_mos = nan_mean(votes_by_stimulus(zscores.scores), axis=1)
    votes = rescale_zscores(zscores.scores, z_mos, scale=matrix.scale, method=method)  # type: ignore[arg-type]
    summary = mos_stats(votes, z=_z(mode))
    return {
        **_stimulus_fields(summary, params["ci"]),
        "warnings": notes.zscore(matrix, zscores.excluded, summary.mos, method) + notes.after_selection(matrix, votes),
    }


def _run_p913(matrix: ScoreMatrix, mode: Mode, params: dict[str, object]) -> dict[str, object]:
    reject = params.setdefault("reject", True)
    removal = p913_bias_removal(matrix.scores)
    if not reject:
        return {
            **_stimulus_fields(mos_stats(removal.scores, z=_z(mode)), params["ci"]),
            "bias": removal.bias,
            "warnings": [],
        }
    screening = bt500_screen(removal.scores, mode=mode)
    params["screening"] = _bt500_rule(mode)
    kept = removal.scores[:, ~screening.rejected, :]
    return {
        **_stimulus_fields(mos_stats(kept, z=_z(mode)), params["ci"]),
        "bias": removal.bias,
        "rejected": screening.rejected,
        "p": screening.p,
        "q": screening.q,
        "reasons": screening.reasons,
        "warnings": notes.bt500(matrix, screening) + notes.after_selection(matrix, kept),
    }


def _run_mle(matrix: ScoreMatrix, mode: Mode, params: dict[str, object]) -> dict[str, object]:
    usable_subjects = matrix.votes_per_subject >= 2
    subset = matrix.scores[:, usable_subjects, :]
    usable_stimuli = np.sum(~np.isnan(subset), axis=(1, 2)) > 0
    if not usable_stimuli.any() or not usable_subjects.any():
        raise MosInputError("the MLE subject model needs subjects with at least two votes; this study has none.")
    params["moderated_inconsistency"] = mode != "sureal"
    fit = fit_subject_model(
        subset[usable_stimuli],
        z=_z(mode),
        moderated=mode != "sureal",
        tolerance=float(params.setdefault("tolerance", 1e-12)),  # type: ignore[arg-type]
        max_iterations=int(params.setdefault("max_iterations", 10_000)),  # type: ignore[call-overload]
    )
    params.update(z=_z(mode), iterations=fit.iterations, converged=fit.converged)
    n_stimuli, n_subjects = matrix.n_stimuli, matrix.n_subjects
    quality = _scatter(fit.quality, usable_stimuli, n_stimuli)
    return {
        "mos": quality,
        "std": None,
        "ci95": _scatter(fit.quality_ci95, usable_stimuli, n_stimuli),
        "n": np.sum(~np.isnan(subset), axis=(1, 2)),
        "bias": _scatter(fit.bias, usable_subjects, n_subjects),
        "bias_ci95": _scatter(fit.bias_ci95, usable_subjects, n_subjects),
        "inconsistency": _scatter(fit.inconsistency, usable_subjects, n_subjects),
        "inconsistency_ci95": _scatter(fit.inconsistency_ci95, usable_subjects, n_subjects),
        "warnings": notes.mle(matrix, fit, usable_subjects, usable_stimuli),
    }


def _scatter(values: np.ndarray, where: np.ndarray, size: int) -> np.ndarray:
    full = np.full((size, *values.shape[1:]), np.nan)
    full[where] = values
    return full


_RUNNERS: dict[str, Callable[[ScoreMatrix, Mode, dict[str, object]], dict[str, object]]] = {
    "mean": _run_mean,
    "bt500": _run_bt500,
    "correlation": _run_correlation,
    "zscore": _run_zscore,
    "p913": _run_p913,
    "mle": _run_mle,
}
