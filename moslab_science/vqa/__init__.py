"""Video quality models in plain PyTorch (no Django): AIGC-VQA (technical, aesthetic and alignment branches,
three-stage schedule) and the frame-averaged CLIP baseline.

See docs/models.md ("AIGC-VQA and video models"). Entry points: `resolve_config`, `build_model`,
`train_video_run`, `predict_videos`.
"""
from moslab_science.iqa.config import read_config_file
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.prediction import predict_videos
from moslab_science.vqa.registry import ARCHITECTURES, build_model, resolve_config
from moslab_science.vqa.training import train_video_run

__all__ = ["ARCHITECTURES", "VqaError", "build_model", "predict_videos", "read_config_file", "resolve_config",
           "train_video_run"]
