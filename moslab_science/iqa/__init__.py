"""IQA models in plain PyTorch (no Django): architectures by name, data, training, prediction.

See docs/models.md. Entry points: `resolve_config`, `build_model`, `train_run`, `predict_folder`,
`predict_table_part`.
"""
from moslab_science.iqa.config import read_config_file
from moslab_science.iqa.cpu import apply_cpu_defaults
from moslab_science.iqa.errors import IqaError, TrainingStopped, WeightError
from moslab_science.iqa.prediction import predict_folder, predict_names, predict_pretrained, predict_table_part
from moslab_science.iqa.progress import Progress, Terminal
from moslab_science.iqa.registry import (
    ARCHITECTURES,
    build_model,
    paper_weight_missing,
    resolve_config,
    zero_shot_problem,
)
from moslab_science.iqa.stopping import parse_duration
from moslab_science.iqa.training import TrainingHooks, train_run

__all__ = [
    "ARCHITECTURES",
    "IqaError",
    "Progress",
    "Terminal",
    "TrainingHooks",
    "TrainingStopped",
    "WeightError",
    "apply_cpu_defaults",
    "build_model",
    "predict_folder",
    "predict_names",
    "predict_pretrained",
    "predict_table_part",
    "paper_weight_missing",
    "parse_duration",
    "read_config_file",
    "resolve_config",
    "train_run",
    "zero_shot_problem",
]
