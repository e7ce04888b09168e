"""The MOS engine: plain NumPy/SciPy, no Django.

Readers build a :class:`ScoreMatrix` (stimuli x subjects x repetitions, NaN = missing);
estimators and screenings consume its ``scores`` array; :func:`compute_mos` runs one named
method in one mode and returns a :class:`MosResult`. See docs/mos.md.
"""

from moslab_science.mos.agreement import (
    Icc,
    SplitHalf,
    icc2,
    krippendorff_alpha,
    rater_vs_rest,
    sos_parameter,
    split_half_reliability,
)
from moslab_science.mos.engine import METHODS, Method, compute_mos
from moslab_science.mos.errors import MosInputError, MosWarning
from moslab_science.mos.histograms import HistogramMos, histogram_mos, read_histogram_csv
from moslab_science.mos.matrix import ScoreMatrix
from moslab_science.mos.mle import SubjectModelFit, fit_subject_model
from moslab_science.mos.modes import MODES, Mode
from moslab_science.mos.normalization import BiasRemoval, SubjectZScores, p913_bias_removal, subject_zscores
from moslab_science.mos.planning import (
    Allocation,
    allocate_for_matrix,
    allocate_ratings,
    ci_half_width,
    raters_needed,
)
from moslab_science.mos.readers import matrix_from_long_rows, matrix_from_sureal_raw, read_long_csv
from moslab_science.mos.result import MosResult
from moslab_science.mos.screening_bt500 import Bt500Screening, bt500_screen
from moslab_science.mos.screening_correlation import CorrelationScreening, SubjectCorrelations, correlation_screen
from moslab_science.mos.stats import MosStats, mos_stats

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
