"""Benchmark protocols as plain Python (no Django): presets, split plans and each model's run configuration."""
from moslab_science.benchmarks.configs import CLASSICAL_MODELS, RUN_PREFIX, ModelPlan, plan_model
from moslab_science.benchmarks.presets import PRESETS, Preset
from moslab_science.benchmarks.protocol import RANK_METRICS, SCHEMES, PlannedSplit, Protocol, plan_splits

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
