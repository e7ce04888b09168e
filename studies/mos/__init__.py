"""The MOS engine: plain NumPy/SciPy, no Django.

Readers build a :class:`ScoreMatrix` (stimuli x subjects x repetitions, NaN = missing);
estimators and screenings consume its ``scores`` array; :func:`compute_mos` runs one named
method in one mode and returns a :class:`MosResult`. See docs/mos.md.
"""

from studies.mos.agreement import (
    Icc,
    SplitHalf,
    icc2,
    krippendorff_alpha,
    rater_vs_rest,
    sos_parameter,
    split_half_reliability,
)
from studies.mos.engine import METHODS, Method, compute_mos
from studies.mos.errors import MosInputError, MosWarning
from studies.mos.histograms import HistogramMos, histogram_mos, read_histogram_csv
from studies.mos.matrix import ScoreMatrix
from studies.mos.mle import SubjectModelFit, fit_subject_model
from studies.mos.modes import MODES, Mode
from studies.mos.normalization import BiasRemoval, SubjectZScores, p913_bias_removal, subject_zscores
from studies.mos.planning import (
    Allocation,
    allocate_for_matrix,
    allocate_ratings,
    ci_half_width,
    raters_needed,
)
from studies.mos.readers import matrix_from_long_rows, matrix_from_sureal_raw, read_long_csv
from studies.mos.result import MosResult
from studies.mos.screening_bt500 import Bt500Screening, bt500_screen
from studies.mos.screening_correlation import CorrelationScreening, SubjectCorrelations, correlation_screen
from studies.mos.stats import MosStats, mos_stats

__all__ = [
    "METHODS",
    "MODES",
    "Allocation",
    "BiasRemoval",
    "Bt500Screening",
    "CorrelationScreening",
    "HistogramMos",
    "Icc",
    "Method",
    "Mode",
    "MosInputError",
    "MosResult",
    "MosStats",
    "MosWarning",
    "ScoreMatrix",
    "SplitHalf",
    "SubjectCorrelations",
    "SubjectModelFit",
    "SubjectZScores",
    "allocate_for_matrix",
    "allocate_ratings",
    "bt500_screen",
    "ci_half_width",
    "compute_mos",
    "correlation_screen",
    "fit_subject_model",
    "histogram_mos",
    "icc2",
    "krippendorff_alpha",
    "matrix_from_long_rows",
    "matrix_from_sureal_raw",
    "mos_stats",
    "p913_bias_removal",
    "rater_vs_rest",
    "raters_needed",
    "read_histogram_csv",
    "read_long_csv",
    "sos_parameter",
    "split_half_reliability",
    "subject_zscores",
]
