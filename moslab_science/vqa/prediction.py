"""Scoring a folder of clips with a trained (or zero-shot) video run's best checkpoint."""
from pathlib import Path

import torch

from moslab_science.iqa.checkpoints import load_best
from moslab_science.vqa.clips import list_videos, scan_videos
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.registry import architecture, build_model
from moslab_science.vqa.scoring import score_videos, write_predictions
from moslab_science.vqa.table import VideoItem, read_video_table


def predict_videos(*, run_dir: Path, videos: Path, out: Path, device: str = "cpu", table: Path | None = None) -> int:
    """Write ``video,score,<branch scores>`` for every clip in `videos`; returns the count. A model that reads
    prompts (aigc-vqa, clip-video with alignment prompts) takes each clip's prompt from `table`."""
    state = load_best(Path(run_dir))
    config = state["config"]
    arch = architecture(config["arch"])
    model = build_model(config["arch"], {**config, "pretrained": False})  # the checkpoint holds every weight
    model.load_state_dict(state["model"])
    names = list_videos(Path(videos))
    prompts = {}
    if table is not None:
        prompts = {item.name: item.prompt for item in read_video_table(Path(table), config["data"], training=False)}
    if getattr(model, "uses_prompts", False):
        if table is None:
            raise VqaError(f"{config['arch']} scores each clip against its text prompt: give --table with a "
                           f"{config['data']['prompt_column']!r} column")
        missing = [name for name in names if not prompts.get(name)]
        if missing:
            raise VqaError(f"{Path(table).name} has no prompt for {len(missing)} clip(s), e.g. {missing[:3]}")
    counts = scan_videos(Path(videos), names, max_seconds=config["data"]["max_seconds"],
                         max_pixels=config["data"]["max_pixels"])
    items = [VideoItem(name=name, mos=float("nan"), prompt=prompts.get(name, "")) for name in names]
    where = torch.device(device)
    scores = score_videos(model.to(where), Path(videos), items, counts, arch.inputs, config, device=where)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    write_predictions(Path(out), names, scores)
    return len(names)
