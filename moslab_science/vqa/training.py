"""The video training loop: stages in order, seeded and resumable to the bit, checkpoint chosen on validation
(the final score against the overall MOS), test part scored once. Reuses moslab_science.iqa's run directory
(config.json, metrics.json, last.pt, best.pt, predictions_*.csv, summary.json) and hooks.

A configuration whose stages have no epochs is a zero-shot run: the initial model (pretrained weights) is
scored on val and test and saved as best.pt.
"""
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from moslab_science.iqa import checkpoints
from moslab_science.iqa.checkpoints import BEST, LAST, write_json
from moslab_science.iqa.errors import TrainingStopped
from moslab_science.iqa.optim import cosine_with_warmup
from moslab_science.iqa.scoring import autocast, validation_figures
from moslab_science.iqa.training import TrainingHooks
from moslab_science.metrics import evaluate_predictions
from moslab_science.vqa.clips import scan_videos
from moslab_science.vqa.data import VideoSamples, collate
from moslab_science.vqa.errors import VqaError
from moslab_science.vqa.losses import branch_loss
from moslab_science.vqa.registry import architecture, build_model
from moslab_science.vqa.scoring import final_score, score_videos, write_predictions
from moslab_science.vqa.stages import Stage, apply_stage, plan, set_modes, stage_at
from moslab_science.vqa.table import VideoItem, read_video_table

NO_HOOKS = TrainingHooks()


@dataclass(frozen=True)
class Parts:
    train: list[VideoItem]
    val: list[VideoItem]
    test: list[VideoItem]

    @classmethod
    def of(cls, items: list[VideoItem]) -> "Parts":
        return cls(*([item for item in items if item.part == part] for part in ("train", "val", "test")))


def fresh_model(config: dict) -> nn.Module:
    """The run's initial model: seeded with train.seed, then built (pretrained weights or random init)."""
    torch.manual_seed(config["train"]["seed"])
    np.random.seed(config["train"]["seed"])
    return build_model(config["arch"], config)


def train_video_run(*, config: dict, table: Path, videos: Path, out: Path, device: str = "cpu",
                    resume: bool = False, stop_after_epoch: int | None = None, log: Callable[[str], None] = print,
                    hooks: TrainingHooks = NO_HOOKS) -> dict:
    """Train `config` stage by stage on the table's train part, select on val, score test once; returns the
    summary. `stop_after_epoch` (counted over all stages) ends early as an interruption would; `resume=True`
    then continues from last.pt to exactly where an uninterrupted run ends."""
    table, videos, out = Path(table), Path(videos), Path(out)
    where = torch.device(device)
    arch = architecture(config["arch"])
    parts = Parts.of(read_video_table(table, config["data"]))
    if not resume and (out / "config.json").exists():
        raise VqaError(f"{out} already holds a run: pass --resume to continue it, or choose another --out")
    started = time.monotonic()
    counts = scan_videos(videos, [item.name for item in parts.train + parts.val + parts.test],
                         max_seconds=config["data"]["max_seconds"], max_pixels=config["data"]["max_pixels"])
    log(f"{len(counts)} clip(s) decoded and checked in {time.monotonic() - started:.1f} s")
    out.mkdir(parents=True, exist_ok=True)
    model = fresh_model(config).to(where)
    unprompted = [item.name for item in parts.train + parts.val + parts.test if not item.prompt]
    if getattr(model, "uses_prompts", False) and unprompted:
        raise VqaError(f"{config['arch']} scores each clip against its text prompt, but {len(unprompted)} clip(s) "
                       f"have none (e.g. {unprompted[:3]}): fill the table's {config['data']['prompt_column']!r} "
                       "column (data.prompt_column)")
    by_design = {id(parameter) for parameter in model.parameters() if parameter.requires_grad}
    stages = plan(config, arch.stage_branches)
    train_cfg, seed = config["train"], config["train"]["seed"]
    samples = VideoSamples(videos, parts.train, counts, arch.inputs, config["input"], seed=seed)
    steps_per_epoch = len(samples) // train_cfg["batch_size"]
    if not steps_per_epoch:
        raise VqaError(f"{len(samples)} training clips make no batch of {train_cfg['batch_size']}: lower "
                       "train.batch_size or add training clips")
    if train_cfg["max_steps_per_epoch"]:
        steps_per_epoch = min(steps_per_epoch, train_cfg["max_steps_per_epoch"])
    total = sum(stage.epochs for stage in stages)
    history, best, start_epoch, state = [], None, 0, None
    if resume:
        state = checkpoints.load_resume_state(out, config)
        model.load_state_dict(state["model"])
        checkpoints.restore_rng(state["rng"])
        history, best, start_epoch = state["history"], state["best"], state["epoch"] + 1
        log(f"resuming after epoch {start_epoch}")
        hooks.on_resume(list(history))
    else:
        write_json(out / "config.json", config)
    context = _Context(model, videos, counts, arch, config, where, out, parts)
    if total == 0 and not resume:
        best = context.zero_shot(log)
    last_epoch = total - 1 if stop_after_epoch is None else min(stop_after_epoch, total) - 1
    current, optimizer, scheduler = None, None, None
    for epoch in range(start_epoch, last_epoch + 1):
        stage = stage_at(stages, epoch)
        if stage is not current:
            current = stage
            optimizer, scheduler = _optimiser(model, stage, by_design, train_cfg, steps_per_epoch)
            if state is not None and state["stage"] == stage.name and epoch == start_epoch:
                optimizer.load_state_dict(state["optimizer"])
                scheduler.load_state_dict(state["scheduler"])
            log(f"stage {stage.name}: {sum(p.numel() for p in optimizer.param_groups[0]['params']):,} parameters "
                f"trained, lr {stage.lr:g}, {stage.epochs} epoch(s)")
        tick = time.monotonic()
        samples.epoch = epoch
        order = torch.randperm(len(samples), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
        loader = DataLoader(samples, batch_size=train_cfg["batch_size"], sampler=order, collate_fn=collate,
                            num_workers=train_cfg["num_workers"], drop_last=True)
        loss = _train_epoch(model, loader, optimizer, scheduler, stage, context, epoch, steps_per_epoch, hooks)
        record = {"epoch": epoch + 1, "stage": stage.name, "train_loss": loss,
                  "seconds": round(time.monotonic() - tick, 3), "lr": optimizer.param_groups[0]["lr"]}
        scores, record["val"] = context.validate()
        history.append(record)
        if record["val"]["select"] is not None and (best is None or record["val"]["select"] > best["select"]):
            best = {"epoch": epoch + 1, "stage": stage.name, **record["val"]}
            context.save_best(epoch + 1, record["val"], scores)
        write_json(out / "metrics.json", history)
        checkpoints.save(out / LAST, {"config": config, "model": model.state_dict(), "epoch": epoch,
                                      "stage": stage.name, "optimizer": optimizer.state_dict(),
                                      "scheduler": scheduler.state_dict(), "rng": checkpoints.rng_state(),
                                      "history": history, "best": best})
        log(f"epoch {epoch + 1} ({stage.name}): loss {loss:.4f}, val SRCC {record['val']['srcc']}, "
            f"PLCC {record['val']['plcc']}")
        hooks.on_epoch(record)
    if last_epoch < total - 1:
        return {"interrupted_after_epoch": last_epoch + 1, "best": best}
    return context.finish(history, best)


def _optimiser(model, stage: Stage, by_design: set[int], train_cfg: dict, steps_per_epoch: int):
    parameters = apply_stage(model, stage, by_design)
    optimizer = torch.optim.AdamW([{"params": parameters, "lr": stage.lr, "name": stage.name}],
                                  weight_decay=train_cfg["weight_decay"])
    steps = steps_per_epoch * stage.epochs
    warmup = round(train_cfg["warmup_fraction"] * steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: cosine_with_warmup(step, warmup=warmup, total=steps))
    return optimizer, scheduler


def _train_epoch(model, loader, optimizer, scheduler, stage: Stage, context: "_Context", epoch: int,
                 steps_per_epoch: int, hooks: TrainingHooks) -> float:
    set_modes(model, stage, training=True)
    train_cfg = context.config["train"]
    losses = []
    for step, (inputs, targets, prompts) in enumerate(loader, start=1):
        inputs = {key: value.to(context.device) for key, value in inputs.items()}
        targets = {key: value.to(context.device) for key, value in targets.items()}
        with autocast(context.device, train_cfg["amp"]):
            outputs = model(inputs, prompts, branches=stage.trained_branches)
        outputs = {key: value.float() for key, value in outputs.items()}
        terms = [(outputs[name], targets[name if name in targets else "overall"]) for name in outputs]
        if "score" in stage.branches:
            terms.append((final_score(outputs), targets["overall"]))
        loss = sum(branch_loss(p, t, rank_weight=train_cfg["rank_weight"], margin=train_cfg["rank_margin"])
                   for p, t in terms)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
        if not math.isfinite(losses[-1]):
            raise VqaError(f"the training loss became {losses[-1]} in epoch {epoch + 1} ({stage.name}): lower "
                           f"stages.{stage.name}.lr")
        hooks.on_step(epoch, step, steps_per_epoch)
        if hooks.should_stop():
            raise TrainingStopped(f"stopped during epoch {epoch + 1} after step {step} of {steps_per_epoch}")
        if step == steps_per_epoch:
            break
    model.eval()
    return float(np.mean(losses))


@dataclass
class _Context:
    model: nn.Module
    videos: Path
    counts: dict[str, int]
    arch: object
    config: dict
    device: torch.device
    out: Path
    parts: Parts

    def scores(self, items: list[VideoItem]) -> dict[str, np.ndarray]:
        return score_videos(self.model, self.videos, items, self.counts, self.arch.inputs, self.config,
                            device=self.device)

    def validate(self) -> tuple[dict[str, np.ndarray], dict]:
        scores = self.scores(self.parts.val)
        mos = np.array([item.mos for item in self.parts.val])
        return scores, validation_figures(scores["score"], mos, self.config["train"]["select_metric"])

    def save_best(self, epoch: int, val: dict, scores: dict[str, np.ndarray]) -> None:
        checkpoints.save(self.out / BEST, {"config": self.config, "model": self.model.state_dict(), "epoch": epoch,
                                           "val": val, "target": {"mean": 0.0, "std": 1.0}})
        write_predictions(self.out / "predictions_val.csv", [item.name for item in self.parts.val], scores,
                          np.array([item.mos for item in self.parts.val]))

    def zero_shot(self, log) -> dict:
        scores, val = self.validate()
        self.save_best(0, val, scores)
        log(f"zero-shot (no training epochs): val SRCC {val['srcc']}, PLCC {val['plcc']}")
        return {"epoch": 0, "stage": None, **val}

    def finish(self, history: list[dict], best: dict | None) -> dict:
        parts = self.parts
        summary = {"arch": self.config["arch"], "epochs": len(history), "best": best,
                   "train_seconds": round(sum(record["seconds"] for record in history), 3),
                   "counts": {"train": len(parts.train), "val": len(parts.val), "test": len(parts.test)}}
        if best is None or not (self.out / BEST).exists():
            summary["test"] = "not scored: no epoch had a defined validation score"
        elif parts.test:
            self.model.load_state_dict(checkpoints.load_best(self.out)["model"])
            scores = self.scores(parts.test)
            mos = np.array([item.mos for item in parts.test])
            write_predictions(self.out / "predictions_test.csv", [item.name for item in parts.test], scores, mos)
            summary["test"] = evaluate_predictions(scores["score"], mos, seed=self.config["train"]["seed"]).as_dict()
        else:
            summary["test"] = "not scored: the table has no test part"
        write_json(self.out / "summary.json", summary)
        return summary
