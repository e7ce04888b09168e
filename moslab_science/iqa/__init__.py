"""IQA models in plain PyTorch (no Django): architectures by name, data, training, prediction.

See docs/models.md. Entry points: `resolve_config`, `build_model`, `train_run`, `predict_folder`.
"""
from moslab_science.iqa.config import read_config_file
from moslab_science.iqa.errors import IqaError, TrainingStopped, WeightError
from moslab_science.iqa.prediction import predict_folder, predict_names
from moslab_science.iqa.registry import ARCHITECTURES, build_model, resolve_config
from moslab_science.iqa.training import TrainingHooks, train_run

__all__ = [
    "ARCHITECTURES",
    "IqaError",
    "TrainingHooks",
    "TrainingStopped",
    "WeightError",
    "build_model",
    "predict_folder",
    "predict_names",
    "read_config_file",
    "resolve_config",
    "train_run",
]
