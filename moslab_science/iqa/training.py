"""The training loop: seeded, resumable to the bit, checkpoint chosen on validation, test part scored once."""
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

from moslab_science.iqa import checkpoints, distributed
from moslab_science.iqa.checkpoints import BEST, FEATURES, LAST, write_json
from moslab_science.iqa.data import TrainingViews, collate
from moslab_science.iqa.errors import IqaError, TrainingStopped
from moslab_science.iqa.images import scan_images
from moslab_science.iqa.losses import fidelity_plcc_l1, level_cross_entropy, level_kl
from moslab_science.iqa.optim import make_optimizer, make_scheduler
from moslab_science.iqa.registry import build_model, restore_model
from moslab_science.iqa.scoring import (
    autocast,
    predict_images,
    prepare_model,
    run_model,
    sample_texts,
    takes_text,
    uses_prompts,
    validation_figures,
    write_predictions,
)
from moslab_science.iqa.soft_labels import DENSITIES, deqa_distribution
from moslab_science.iqa.table import Item, read_training_table
from moslab_science.iqa.transforms import EVAL_SAMPLINGS, NORMALISATION
from moslab_science.metrics import evaluate_groups, evaluate_predictions

LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss, "fidelity_plcc_l1": fidelity_plcc_l1,
          "level_ce": level_cross_entropy, "deqa": level_kl}
LEVEL_LOSSES = ("level_ce", "deqa")  # on the model's five level logits (forward(..., levels=True))
LEVELS = 5  # target_scaling "levels" maps the training part's MOS range onto 1..5


def _never() -> bool:
    return False


def _ignore(*_args) -> None:
    return None


@dataclass(frozen=True)
class TrainingHooks:
    """How a caller watches and steers a single-process run: `on_step(epoch, step, steps_per_epoch)` after each
    optimiser step, `on_epoch(record)` after each validated epoch, and `should_stop()` checked after each step
    (True ends the run with TrainingStopped; last.pt still holds the last finished epoch)."""

    on_step: Callable[[int, int, int], None] = field(default=_ignore)
    on_epoch: Callable[[dict], None] = field(default=_ignore)
    should_stop: Callable[[], bool] = field(default=_never)


@dataclass(frozen=True)
class Parts:
    train: list[Item]
    val: list[Item]
    test: list[Item]

    @classmethod
    def of(cls, items: list[Item]) -> "Parts":
        return cls(*([item for item in items if item.part == part] for part in ("train", "val", "test")))


def train_run(*, config: dict, table: Path, images: Path, out: Path, device: str = "cpu", resume: bool = False,
              stop_after_epoch: int | None = None, log: Callable[[str], None] = print,
              hooks: TrainingHooks = TrainingHooks()) -> dict:
    """Train `config` on the table's train part, select on val, score test once; returns the summary.

    `stop_after_epoch` ends the run early as an interruption would (tests and time-boxed benchmarks); a
    later call with `resume=True` continues from last.pt and ends exactly where an uninterrupted run would.
    `hooks` report progress and can stop the run between steps (single-process runs only).
    """
    _check_config(config)
    processes = distributed.start(device)
    try:
        if processes.world > 1:
            hooks = TrainingHooks()
        return _train(config, Path(table), Path(images), Path(out), processes, resume, stop_after_epoch, log, hooks)
    finally:
        distributed.stop(processes)


def _train(config, table, images, out, processes, resume, stop_after_epoch, log, hooks) -> dict:
    parts = Parts.of(read_training_table(table, config["data"]))
    conversions = scan_images(images, [item.name for item in parts.train + parts.val + parts.test],
                              max_pixels=config["data"]["max_pixels"])
    for conversion, count in sorted(conversions.items()):
        log(f"{count} image(s): {conversion}")
    if not resume and (out / "config.json").exists():
        raise IqaError(f"{out} already holds a run: pass --resume to continue it, or choose another --out")
    processes.barrier()  # every rank has checked before rank 0 writes
    out.mkdir(parents=True, exist_ok=True)
    train_cfg = config["train"]
    seed = train_cfg["seed"]
    torch.manual_seed(seed)
    np.random.seed(seed)
    mos = np.array([item.mos for item in parts.train])
    target = {"mean": float(mos.mean()), "std": float(mos.std()) or 1.0}
    if train_cfg["target_scaling"] == "none":
        target = {"mean": 0.0, "std": 1.0}
    elif train_cfg["target_scaling"] == "levels":  # (mos - mean) / std runs from 1 at the lowest MOS to 5
        step = float(mos.max() - mos.min()) / (LEVELS - 1) or 1.0
        target = {"mean": float(mos.min()) - step, "std": step}
    model = build_model(config["arch"], config).to(processes.device)
    if uses_prompts(model) and not config["data"]["prompt_column"]:
        raise IqaError(f"{config['arch']} scores each image against its text prompt: set data.prompt_column")
    if train_cfg["loss"] in LEVEL_LOSSES and not getattr(model, "scores_levels", False):
        raise IqaError(f"train.loss {train_cfg['loss']!r} needs a model that scores five levels (qalign, siglip)")
    _prepare(model, images, [item.name for item in parts.train + parts.val + parts.test], out / FEATURES,
             processes, log)
    optimizer = make_optimizer(model.parameter_groups(), config["optim"])
    targets = (mos - target["mean"]) / target["std"]
    if train_cfg["loss"] == "deqa":
        targets = _soft_levels(parts.train, targets, target, config)
    views = TrainingViews(images, [item.name for item in parts.train], targets, config["input"], seed=seed,
                          prompts=sample_texts(model, [item.name for item in parts.train],
                                               [item.prompt for item in parts.train]))
    micro_batches = len(processes.shard(list(range(len(views))))) // train_cfg["batch_size"]  # last partial dropped
    if not micro_batches:
        raise IqaError(f"{len(views)} training samples per process make no batch of {train_cfg['batch_size']}: "
                       "lower train.batch_size or add training images")
    steps_per_epoch = -(-micro_batches // train_cfg["grad_accum"])
    if train_cfg["max_steps_per_epoch"]:
        steps_per_epoch = min(steps_per_epoch, train_cfg["max_steps_per_epoch"])
    scheduler = make_scheduler(optimizer, config["schedule"], head_lr_ratio=config["optim"]["head_lr_ratio"],
                               steps_per_epoch=steps_per_epoch, epochs=train_cfg["epochs"])
    history, best, start_epoch = [], None, 0
    if resume:
        state = checkpoints.load_resume_state(out, config)
        checkpoints.load_model_state(model, state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        checkpoints.restore_rng(state["rng"])
        history, best, start_epoch, target = state["history"], state["best"], state["epoch"] + 1, state["target"]
        log(f"resuming after epoch {state['epoch'] + 1}")
    elif processes.main:
        write_json(out / "config.json", config)
    trained = processes.wrap(model)
    loss_fn = LOSSES[train_cfg["loss"]]
    last_epoch = train_cfg["epochs"] - 1 if stop_after_epoch is None else min(stop_after_epoch, train_cfg["epochs"]) - 1
    for epoch in range(start_epoch, last_epoch + 1):
        started = time.monotonic()
        views.epoch = epoch
        order = torch.randperm(len(views), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
        loader = DataLoader(views, batch_size=train_cfg["batch_size"], sampler=processes.shard(order),
                            collate_fn=collate, num_workers=train_cfg["num_workers"], drop_last=True)
        loss = _train_epoch(trained, loader, optimizer, scheduler, loss_fn, config, processes, steps_per_epoch,
                            prompted=takes_text(model), epoch=epoch, hooks=hooks)
        if processes.main:
            record = {"epoch": epoch + 1, "train_loss": loss, "seconds": round(time.monotonic() - started, 3),
                      "lr": [group["lr"] for group in optimizer.param_groups]}
            scores, record["val"] = _validate(model, images, parts.val, config, processes, target)
            history.append(record)
            if record["val"]["select"] is not None and (best is None or record["val"]["select"] > best["select"]):
                best = {"epoch": epoch + 1, **record["val"]}
                checkpoints.save(out / BEST, {"config": config, "model": checkpoints.model_state(model),
                                              "target": target, "epoch": epoch + 1, "val": record["val"]})
                write_predictions(out / "predictions_val.csv", [i.name for i in parts.val], scores,
                                  np.array([i.mos for i in parts.val]))
            write_json(out / "metrics.json", history)
            checkpoints.save(out / LAST, {"config": config, "model": checkpoints.model_state(model), "epoch": epoch,
                                          "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                                          "rng": checkpoints.rng_state(), "history": history, "best": best,
                                          "target": target})
            log(f"epoch {epoch + 1}: loss {loss:.4f}, val SRCC {_figure(record['val']['srcc'])}, "
                f"PLCC {_figure(record['val']['plcc'])}")
            hooks.on_epoch(record)
        processes.barrier()
    if last_epoch < train_cfg["epochs"] - 1 or not processes.main:
        return {"interrupted_after_epoch": last_epoch + 1, "best": best}
    return _finish(out, images, parts, config, processes, history, best, conversions)


def _figure(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def _train_epoch(model, loader, optimizer, scheduler, loss_fn, config, processes, steps_per_epoch, *,
                 prompted: bool, epoch: int, hooks: TrainingHooks) -> float:
    model.train()
    accum = config["train"]["grad_accum"]
    losses, steps, pending = [], 0, 0
    optimizer.zero_grad(set_to_none=True)
    for views, targets, prompts in loader:
        with autocast(processes.device, config["train"]["amp"]):
            predictions = run_model(model, views.to(processes.device), prompts, prompted=prompted,
                                    levels=config["train"]["loss"] in LEVEL_LOSSES)
        loss = loss_fn(predictions.float(), targets.to(processes.device))
        (loss / accum).backward()
        losses.append(float(loss.detach()))
        pending += 1
        if pending == accum:
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            steps, pending = steps + 1, 0
            hooks.on_step(epoch, steps, steps_per_epoch)
            if hooks.should_stop():
                kept = f"the checkpoint of epoch {epoch} is kept" if epoch else "no epoch had finished"
                raise TrainingStopped(f"stopped during epoch {epoch + 1} after step {steps} of {steps_per_epoch}; "
                                      f"{kept}")
            if steps == steps_per_epoch:
                break
    if pending and steps < steps_per_epoch:  # the epoch's last, partial accumulation
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    return float(np.mean(losses))


def _validate(model, images, items, config, processes, target) -> tuple[np.ndarray, dict]:
    scores = predict_images(model, images, [item.name for item in items], config, device=processes.device,
                            target=target, prompts=[item.prompt for item in items])
    return scores, validation_figures(scores, np.array([i.mos for i in items]), config["train"]["select_metric"])


def _finish(out, images, parts, config, processes, history, best, conversions) -> dict:
    summary = {"arch": config["arch"], "epochs": len(history), "best": best, "conversions": dict(conversions),
               "train_seconds": round(sum(record["seconds"] for record in history), 3),
               "counts": {"train": len(parts.train), "val": len(parts.val), "test": len(parts.test)}}
    if best is None:
        summary["test"] = "not scored: no epoch had a defined validation score"
    elif parts.test:
        state = checkpoints.load_best(out)
        model = restore_model(config, state["model"]).to(processes.device)
        names, mos = [item.name for item in parts.test], np.array([item.mos for item in parts.test])
        prepare_model(model, images=images, names=names, cache=out / FEATURES, device=processes.device)  # rank 0
        scores = predict_images(model, images, names, config, device=processes.device, target=state["target"],
                                prompts=[item.prompt for item in parts.test])
        write_predictions(out / "predictions_test.csv", names, scores, mos)
        summary["test"] = evaluate_predictions(scores, mos, seed=config["train"]["seed"]).as_dict()
        if config["data"]["group_column"]:
            groups = [item.group or "(empty)" for item in parts.test]
            breakdown = evaluate_groups(scores, mos, groups, column=config["data"]["group_column"], resamples=0)
            summary["test_by_group"] = breakdown.as_dict()
    else:
        summary["test"] = "not scored: the table has no test part"
    write_json(out / "summary.json", summary)
    return summary


def _prepare(model, images, names, cache, processes, log) -> None:
    """Per-image model inputs (MA-AGIQA's LMM features): rank 0 computes what the cache lacks, the others read."""
    if processes.main:
        prepare_model(model, images=images, names=names, cache=cache, device=processes.device, log=log)
    processes.barrier()
    if not processes.main:
        prepare_model(model, images=images, names=names, cache=cache, device=processes.device)


def _soft_levels(items: list[Item], levels: np.ndarray, target: dict, config: dict) -> np.ndarray:
    """DeQA-Score's (n, 5) level distributions of the training items: the table's level probabilities, else a
    discretised Gaussian of each item's level (`levels`) and its ratings' standard deviation on the level scale."""
    if config["data"]["level_columns"]:
        return np.array([item.levels for item in items], dtype=np.float32)
    if not config["data"]["std_column"]:
        raise IqaError('train.loss "deqa" needs soft labels: set data.std_column (the ratings\' standard deviation) '
                       "or data.level_columns (five level probabilities, bad first)")
    density = config["train"]["deqa_density"]
    return np.array([deqa_distribution(float(level), item.std / target["std"], density=density)
                     for item, level in zip(items, levels, strict=True)], dtype=np.float32)


def _check_config(config: dict) -> None:
    problems = []
    if config["train"]["loss"] not in LOSSES:
        problems.append(f"train.loss {config['train']['loss']!r}: use one of {', '.join(LOSSES)}")
    if config["train"]["loss"] in LEVEL_LOSSES and config["train"]["target_scaling"] != "levels":
        problems.append(f"train.loss {config['train']['loss']!r} learns levels: set train.target_scaling \"levels\"")
    if config["train"]["deqa_density"] not in DENSITIES:
        problems.append(f"train.deqa_density {config['train']['deqa_density']!r}: use {' or '.join(DENSITIES)}")
    if config["train"]["select_metric"] not in ("srcc_plcc", "srcc"):
        problems.append(f"train.select_metric {config['train']['select_metric']!r}: use srcc_plcc or srcc")
    if config["train"]["target_scaling"] not in ("zscore", "none", "levels"):
        problems.append(f"train.target_scaling {config['train']['target_scaling']!r}: use zscore, none or levels")
    if config["input"]["normalise"] not in NORMALISATION:
        problems.append(f"input.normalise {config['input']['normalise']!r}: use one of {', '.join(NORMALISATION)}")
    if config["input"]["eval_sampling"] not in EVAL_SAMPLINGS:
        problems.append(f"input.eval_sampling {config['input']['eval_sampling']!r}: use {', '.join(EVAL_SAMPLINGS)}")
    for key in ("epochs", "batch_size", "grad_accum"):
        if not isinstance(config["train"][key], int) or config["train"][key] < 1:
            problems.append(f"train.{key} must be a positive integer, not {config['train'][key]!r}")
    if problems:
        raise IqaError("the configuration cannot be used", problems=problems)
