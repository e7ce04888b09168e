"""IQA models in plain PyTorch (no Django): architectures by name, data, training, prediction.

See docs/models.md. Entry points: `resolve_config`, `build_model`, `train_run`, `predict_folder`.
"""
from modeling.iqa.config import read_config_file
from modeling.iqa.errors import IqaError, TrainingStopped, WeightError
from modeling.iqa.prediction import predict_folder, predict_names
from modeling.iqa.registry import ARCHITECTURES, build_model, resolve_config
from modeling.iqa.training import TrainingHooks, train_run

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
