"""Nonlinear mappings from predictions to the MOS scale, fitted before PLCC and RMSE.

Every mapping is fitted on z-scored predictions (mean 0, population std 1), so starting values
do not depend on the predictions' units. ``logistic4`` is the VQEG 4-parameter logistic,
``logistic5`` the 5-parameter one (logistic plus a linear term, Sheikh et al. 2006), ``poly3``
the 3rd-order polynomial of NTIRE 2024; ``poly4``, the 4th-order one that the NTIRE 2024 and
VQualA 2025 reports draw on their scatter plots, is accepted but not computed by default.
Logistics are fitted by least squares (scipy's Levenberg-Marquardt) from two starts, the usual
one and a near-linear one; the start with the smaller squared error wins. When no start
converges, or there are too few items or distinct values, the mapping falls back to a straight
line and the result says so.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.special import expit

from moslab_science.metrics.correlations import pearson

FITS = ("logistic4", "logistic5", "poly3")
MAPPINGS = (*FITS, "poly4")
_DEGREES = {"poly3": 3, "poly4": 4}
LINEAR = "linear"
_MAX_EVALUATIONS = 20_000
# The near-linear start of logistic4: a scale this wide (in z units) makes the curve almost straight.
_NEAR_LINEAR_SCALE = 1_000.0
# A logistic is a step when at most one item lies on its slope (between these shares of its rise) while the
# rise spans at least STEP_MIN_RISE of the MOS range.
STEP_SLOPE = (0.05, 0.95)
STEP_MIN_RISE = 0.1


def logistic4(z: np.ndarray, b1: float, b2: float, b3: float, b4: float) -> np.ndarray:
    """VQEG: ``b2 + (b1 - b2) / (1 + exp(-(z - b3) / |b4|))``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return b2 + (b1 - b2) * expit((z - b3) / abs(b4))


def logistic5(z: np.ndarray, b1: float, b2: float, b3: float, b4: float, b5: float) -> np.ndarray:
    """``b1 * (1/2 - 1 / (1 + exp(b2 * (z - b3)))) + b4 * z + b5``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return b1 * (0.5 - expit(-b2 * (z - b3))) + b4 * z + b5


@dataclass(frozen=True)
class FitResult:
    """One mapping: what was asked, what produced ``mapped``, and whether its fit converged; ``message`` says why
    it fell back, or that a converged logistic collapsed into a step (``step``)."""

    kind: str
    used: str
    converged: bool
    params: tuple[float, ...]
    message: str
    mapped: np.ndarray = field(repr=False, compare=False)

    @property
    def step(self) -> bool:
        return self.converged and bool(self.message)

    def as_dict(self) -> dict[str, object]:
        return {
            "fit": self.kind,
            "used": self.used,
            "converged": self.converged,
            "step": self.step,
            "params": list(self.params),
            "message": self.message,
        }


def mapped_plcc(fit: FitResult, mos: np.ndarray) -> float:
    """PLCC of the mapped predictions with MOS; 0 when the mapping is flat (it explains nothing)."""
    if np.ptp(fit.mapped) == 0:
        return 0.0
    return pearson(fit.mapped, mos)


def zscore(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def fit_mapping(predictions: np.ndarray, mos: np.ndarray, kind: str) -> FitResult:
    """Fit one mapping (a name in ``MAPPINGS``) of non-constant ``predictions`` onto ``mos``."""
    if kind not in MAPPINGS:
        raise ValueError(f"unknown fit {kind!r}; choose from {', '.join(MAPPINGS)}")
    z = zscore(predictions)
    if kind in _DEGREES:
        return _fit_polynomial(z, mos, kind)
    function, starts = _LOGISTICS[kind]
    n_params = len(starts(z, mos)[0])
    if z.size <= n_params:
        return _linear_fallback(kind, z, mos, f"{z.size} items are too few for {kind} ({n_params + 1} needed)")
    best, failures = None, []
    for start in starts(z, mos):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                params, _ = curve_fit(function, z, mos, p0=start, maxfev=_MAX_EVALUATIONS)
        except (RuntimeError, ValueError) as error:
            failures.append(str(error))
            continue
        mapped = function(z, *params)
        if not np.all(np.isfinite(mapped)):
            failures.append("the fitted curve is not finite on these predictions")
            continue
        error_sum = float(np.sum((mapped - mos) ** 2))
        if best is None or error_sum < best[0]:
            best = (error_sum, params, mapped)
    if best is None:
        return _linear_fallback(kind, z, mos, f"{kind} did not converge from any start ({'; '.join(failures)})")
    _, params, mapped = best
    return FitResult(kind, kind, True, tuple(float(p) for p in params), _step_message(kind, z, mos, params), mapped)


def _step_message(kind: str, z: np.ndarray, mos: np.ndarray, params: np.ndarray) -> str:
    """Why a converged logistic is a step (its rise spans a sizeable part of the MOS range with at most one item
    on its slope, so it sorts the items into two levels instead of mapping them), or "" when it is a curve."""
    if kind == "logistic4":
        b1, b2, b3, b4 = params
        rise, share = abs(b1 - b2), expit((z - b3) / max(abs(b4), np.finfo(float).tiny))
    else:
        b1, b2, b3 = params[:3]
        rise, share = abs(b1), expit(b2 * (z - b3))
    on_slope = int(np.sum((share > STEP_SLOPE[0]) & (share < STEP_SLOPE[1])))
    if rise < STEP_MIN_RISE * np.ptp(mos) or on_slope > 1:
        return ""
    return (f"{kind} collapsed into a step: it rises by {rise:.3g} with {on_slope} item(s) on its slope, so it splits "
            "the items into two levels; PLCC and RMSE after it flatter the fit")


def _linear(z: np.ndarray, mos: np.ndarray) -> tuple[float, float]:
    """Least-squares intercept and slope of ``mos`` on z-scored predictions."""
    slope = float(np.mean(z * (mos - mos.mean())))
    return float(mos.mean()), slope


def _linear_fallback(kind: str, z: np.ndarray, mos: np.ndarray, reason: str) -> FitResult:
    intercept, slope = _linear(z, mos)
    message = f"{reason}; fell back to a straight line (PLCC after it equals |raw PLCC|)"
    return FitResult(kind, LINEAR, False, (intercept, slope), message, intercept + slope * z)


def _fit_polynomial(z: np.ndarray, mos: np.ndarray, kind: str) -> FitResult:
    """Least squares, closed form; params are the coefficients from the constant term up."""
    degree = _DEGREES[kind]
    if np.unique(z).size <= degree:
        return _linear_fallback(kind, z, mos, f"fewer than {degree + 1} distinct prediction values for {kind}")
    coefficients = np.polynomial.polynomial.polyfit(z, mos, degree)
    mapped = np.polynomial.polynomial.polyval(z, coefficients)
    return FitResult(kind, kind, True, tuple(float(c) for c in coefficients), "", mapped)


def mapping_curve(fit: FitResult, predictions: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The fitted mapping evaluated at ``at`` (prediction units), z-scored like the ``predictions`` it was fit on."""
    predictions = np.asarray(predictions, dtype=float)
    z = (np.asarray(at, dtype=float) - predictions.mean()) / predictions.std()
    if fit.used == LINEAR:
        intercept, slope = fit.params
        return intercept + slope * z
    if fit.used in _DEGREES:
        return np.polynomial.polynomial.polyval(z, fit.params)
    return _LOGISTICS[fit.used][0](z, *fit.params)


def _logistic4_starts(z: np.ndarray, mos: np.ndarray) -> list[list[float]]:
    intercept, slope = _linear(z, mos)
    high, low = (mos.max(), mos.min()) if slope >= 0 else (mos.min(), mos.max())
    half_rise = 2 * slope * _NEAR_LINEAR_SCALE
    return [
        [high, low, 0.0, 0.25],
        [intercept + half_rise, intercept - half_rise, 0.0, _NEAR_LINEAR_SCALE],
    ]


def _logistic5_starts(z: np.ndarray, mos: np.ndarray) -> list[list[float]]:
    intercept, slope = _linear(z, mos)
    spread = float(np.ptp(mos)) * (1 if slope >= 0 else -1)
    return [
        [spread, 1.0, 0.0, 0.0, intercept],
        [0.0, 1.0, 0.0, slope, intercept],
    ]


_LOGISTICS: dict[str, tuple[Callable[..., np.ndarray], Callable[[np.ndarray, np.ndarray], list[list[float]]]]] = {
    "logistic4": (logistic4, _logistic4_starts),
    "logistic5": (logistic5, _logistic5_starts),
}
