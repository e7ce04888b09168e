"""The one metrics module of moslab: every figure on a dashboard or in a report comes from here.

Plain NumPy/SciPy, no Django, no torch. See docs/metrics.md for every formula and the fitting procedure.
"""

from moslab_science.metrics.correlations import krcc, plcc, rmse, srcc
from moslab_science.metrics.errors import MetricsInputError, MetricWarning, UndefinedMetricError
from moslab_science.metrics.evaluation import Evaluation, composite_scores, evaluate_predictions, selection_score
from moslab_science.metrics.fits import FITS, MAPPINGS, FitResult, fit_mapping, mapping_curve
from moslab_science.metrics.groups import GroupBreakdown, evaluate_groups
from moslab_science.metrics.paired import PairedComparison, compare_models, williams_test
from moslab_science.metrics.reports import ZERO_SHOT, TableReport, evaluate_table, format_rows, pair_rows

__all__ = [
    "FITS",
    "MAPPINGS",
    "ZERO_SHOT",
    "Evaluation",
    "FitResult",
    "GroupBreakdown",
    "MetricWarning",
    "MetricsInputError",
    "PairedComparison",
    "TableReport",
    "UndefinedMetricError",
    "compare_models",
    "composite_scores",
    "evaluate_groups",
    "evaluate_predictions",
    "evaluate_table",
    "fit_mapping",
    "format_rows",
    "mapping_curve",
    "krcc",
    "pair_rows",
    "plcc",
    "rmse",
    "selection_score",
    "srcc",
    "williams_test",
]
