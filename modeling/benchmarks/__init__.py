"""Benchmark protocols as plain Python (no Django): presets, split plans and each model's run configuration."""
from modeling.benchmarks.configs import CLASSICAL_MODELS, RUN_PREFIX, ModelPlan, plan_model
from modeling.benchmarks.presets import PRESETS, Preset
from modeling.benchmarks.protocol import RANK_METRICS, SCHEMES, PlannedSplit, Protocol, plan_splits

__all__ = [
    "CLASSICAL_MODELS",
    "PRESETS",
    "RANK_METRICS",
    "RUN_PREFIX",
    "SCHEMES",
    "ModelPlan",
    "PlannedSplit",
    "Preset",
    "Protocol",
    "plan_model",
    "plan_splits",
]
