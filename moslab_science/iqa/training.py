"""A training run: read and check the data, build the model, run the epochs (epochs.py), score the test part once.

Seeded and resumable to the bit; the checkpoint is chosen on validation only.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from moslab_science.iqa import checkpoints, distributed
from moslab_science.iqa.checkpoints import CONFIG, FEATURES, LAST, write_json
from moslab_science.iqa.data import TrainingViews
from moslab_science.iqa.epochs import Epochs, Halt, Parts, Position
from moslab_science.iqa.errors import IqaError, TrainingStopped
from moslab_science.iqa.images import scan_images
from moslab_science.iqa.losses import fidelity_plcc_l1, level_cross_entropy, level_kl
from moslab_science.iqa.optim import make_optimizer, make_scheduler
from moslab_science.iqa.progress import Meter, Progress, clock
from moslab_science.iqa.registry import build_model, restore_model
from moslab_science.iqa.scoring import (
    predict_images,
    prepare_model,
    sample_texts,
    takes_text,
    uses_prompts,
    write_predictions,
)
from moslab_science.iqa.soft_labels import DENSITIES, deqa_distribution
from moslab_science.iqa.stopping import Stops
from moslab_science.iqa.table import Item, read_training_table
from moslab_science.iqa.transforms import EVAL_SAMPLINGS, NORMALISATION
from moslab_science.metrics import evaluate_groups, evaluate_predictions

LOSSES = {"l1": F.l1_loss, "mse": F.mse_loss, "fidelity_plcc_l1": fidelity_plcc_l1,
          "level_ce": level_cross_entropy, "deqa": level_kl}
LEVEL_LOSSES = ("level_ce", "deqa")  # on the model's five level logits (forward(..., levels=True))
LEVELS = 5  # target_scaling "levels" maps the training part's MOS range onto 1..5
ADJUSTABLE_ON_RESUME = ("epochs", "num_workers", "checkpoint_every_steps")  # train keys --resume accepts changed


def _never() -> bool:
    return False


def _ignore(*_args) -> None:
    return None


@dataclass(frozen=True)
class TrainingHooks:
    """How a caller watches and steers a run: `on_step(epoch, step, steps_per_epoch)` after each optimiser step,
    `on_progress(Progress)` as each phase advances (scan, train, validate, test), `on_epoch(record)` after each
    validated epoch, `on_resume(history)` with the epoch records last.pt restored (a caller that died after
    last.pt was written but before it saw that epoch learns it here), and `should_stop()` checked after each step
    (True: the run saves its position in last.pt and ends with TrainingStopped). In a multi-process run only rank
    0's hooks are called."""

    on_step: Callable[[int, int, int], None] = field(default=_ignore)
    on_progress: Callable[[Progress], None] = field(default=_ignore)
    on_epoch: Callable[[dict], None] = field(default=_ignore)
    on_resume: Callable[[list[dict]], None] = field(default=_ignore)
    should_stop: Callable[[], bool] = field(default=_never)


@dataclass(frozen=True)
class Split:
    train: list[Item]
    val: list[Item]
    test: list[Item]

    @classmethod
    def of(cls, items: list[Item]) -> "Split":
        return cls(*([item for item in items if item.part == part] for part in ("train", "val", "test")))


def train_run(*, config: dict, table: Path, images: Path, out: Path, device: str = "cpu", resume: bool = False,
              restart: bool = False, time_limit: float | None = None, stop_after_epoch: int | None = None,
              log: Callable[[str], None] = print, hooks: TrainingHooks = TrainingHooks()) -> dict:
    """Train `config` on the table's train part, select on val, score test once; returns the summary.

    `resume` continues from last.pt (a finished epoch or a step) and ends exactly where an uninterrupted run
    would; it accepts a larger train.epochs. `restart` starts a run directory over. `time_limit` (seconds, from
    this call) stops the run at a step boundary in time to save it and score the test part with the best model
    so far; the summary then says "stopped". SIGTERM and SIGINT save the position and raise TrainingStopped, as
    `hooks.should_stop` does. `stop_after_epoch` ends the run after that epoch (tests, benchmarks).
    """
    _check_config(config)
    stops = Stops(time_limit=time_limit, should_stop=hooks.should_stop)
    processes = distributed.start(device)
    try:
        if not processes.main:
            hooks = TrainingHooks()
        with stops.catching_signals():
            summary = _train(config, Path(table), Path(images), Path(out), processes, stops, resume, restart,
                             stop_after_epoch, log, hooks)
        # Every rank leaves together: gloo could abort a rank that tore down while rank 0 still scored the test
        # part ("terminate called without an active exception", seen on a loaded CPU). Not after an error: a
        # barrier there could wait for a rank that is stuck in a collective.
        processes.barrier()
        return summary
    finally:
        distributed.stop(processes)


def _train(config, table, images, out, processes, stops, resume, restart, stop_after_epoch, log, hooks) -> dict:
    split = Split.of(read_training_table(table, config["data"]))
    if processes.main:
        checkpoints.prepare_run_dir(out, resume=resume, restart=restart)
    state = checkpoints.load_resume_state(out, config, adjustable=ADJUSTABLE_ON_RESUME) if resume else None
    everything = split.train + split.val + split.test
    scan = scan_images(images, [item.name for item in everything], max_pixels=config["data"]["max_pixels"],
                       inputs=config["input"], train_names=frozenset(item.name for item in split.train),
                       ignore_case=config["data"]["ignore_case"], progress=hooks.on_progress)
    for line in scan.lines():
        log(line)
    processes.barrier()  # every rank has checked before rank 0 writes
    out.mkdir(parents=True, exist_ok=True)
    train_cfg = config["train"]
    seed = train_cfg["seed"]
    torch.manual_seed(seed)
    np.random.seed(seed)
    mos = np.array([item.mos for item in split.train])
    target = _target_scaling(mos, train_cfg["target_scaling"])
    model = build_model(config["arch"], config).to(processes.device)
    if uses_prompts(model) and not config["data"]["prompt_column"]:
        raise IqaError(f"{config['arch']} scores each image against its text prompt: set data.prompt_column")
    if train_cfg["loss"] in LEVEL_LOSSES and not getattr(model, "scores_levels", False):
        raise IqaError(f"train.loss {train_cfg['loss']!r} needs a model that scores five levels (qalign, siglip)")
    files = scan.files
    _prepare(model, images, [files[item.name] for item in everything], out / FEATURES, processes, log)
    optimizer = make_optimizer(model.parameter_groups(), config["optim"])
    targets = (mos - target["mean"]) / target["std"]
    if train_cfg["loss"] == "deqa":
        targets = _soft_levels(split.train, targets, target, config)
    train_files = [files[item.name] for item in split.train]
    views = TrainingViews(images, train_files, targets, config["input"], seed=seed,
                          prompts=sample_texts(model, train_files, [item.prompt for item in split.train]))
    micro_batches = len(processes.shard(list(range(len(views))))) // train_cfg["batch_size"]  # last partial dropped
    if not micro_batches:
        raise IqaError(f"{len(views)} training samples per process make no batch of {train_cfg['batch_size']}: "
                       "lower train.batch_size or add training images")
    steps_per_epoch = -(-micro_batches // train_cfg["grad_accum"])
    if train_cfg["max_steps_per_epoch"]:
        steps_per_epoch = min(steps_per_epoch, train_cfg["max_steps_per_epoch"])
    scheduler = make_scheduler(optimizer, config["schedule"], head_lr_ratio=config["optim"]["head_lr_ratio"],
                               steps_per_epoch=steps_per_epoch, epochs=train_cfg["epochs"])
    run = Epochs(config=config, out=out, images=images, processes=processes, model=model,
                 trained=model, optimizer=optimizer, scheduler=scheduler, views=views,
                 loss_fn=LOSSES[train_cfg["loss"]], levels=train_cfg["loss"] in LEVEL_LOSSES,
                 prompted=takes_text(model), steps_per_epoch=steps_per_epoch, epochs=train_cfg["epochs"],
                 val=_parts(split.val, files), test_count=len(split.test), target=target, stops=stops, hooks=hooks)
    run.measure_closing()
    position = Position()
    if state is not None:
        position = _restore(run, state, log)
        if processes.main:
            hooks.on_resume(list(run.history))
    if processes.main:
        write_json(out / CONFIG, config)
    run.trained = processes.wrap(model)
    last_epoch = train_cfg["epochs"] if stop_after_epoch is None else min(stop_after_epoch, train_cfg["epochs"])
    try:
        while position.epoch < last_epoch:
            run.run_epoch(position, log)
            position = Position(epoch=position.epoch + 1)
    except Halt as halt:
        run.save(position)
        where = (f"stopped during epoch {position.epoch + 1} after step {position.step} of {steps_per_epoch}"
                 + (" (its validation was pending)" if position.trained else ""))
        if halt.reason != "time limit":
            raise TrainingStopped(f"{where} ({halt.reason}); {LAST} holds that step: resume continues from it",
                                  reason=halt.reason) from None
        log(f"{where}: the time limit of {clock(stops.time_limit)} is reached; {LAST} holds that step "
            "(--resume continues from it)")
        return _finish(out, images, split, scan, config, processes, run, stopped=f"time limit, {where}")
    if last_epoch < train_cfg["epochs"] or not processes.main:
        return {"interrupted_after_epoch": last_epoch, "best": run.best}
    return _finish(out, images, split, scan, config, processes, run)


def _target_scaling(mos: np.ndarray, scaling: str) -> dict:
    if scaling == "none":
        return {"mean": 0.0, "std": 1.0}
    if scaling == "levels":  # (mos - mean) / std runs from 1 at the lowest MOS to 5
        step = float(mos.max() - mos.min()) / (LEVELS - 1) or 1.0
        return {"mean": float(mos.min()) - step, "std": step}
    return {"mean": float(mos.mean()), "std": float(mos.std()) or 1.0}


def _restore(run: Epochs, state: dict, log: Callable[[str], None]) -> Position:
    """Load last.pt's model, optimiser, schedule and RNG states into `run`; returns where to continue."""
    checkpoints.load_model_state(run.model, state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    checkpoints.restore_rng(state["rng"])
    run.history, run.best, run.target = state["history"], state["best"], state["target"]
    position = Position(**state["position"]) if "position" in state else Position(epoch=state["epoch"] + 1)
    if position.step or position.trained:
        log(f"resuming during epoch {position.epoch + 1} after step {position.step} of {run.steps_per_epoch}")
    else:
        log(f"resuming after epoch {position.epoch}")
    saved_epochs = state["config"]["train"]["epochs"]
    if saved_epochs != run.epochs:
        log(f"train.epochs raised from {saved_epochs} to {run.epochs}: the learning-rate schedule now spans "
            f"{run.epochs} epochs from this step on")
    return position


def _parts(items: list[Item], files: dict[str, str]) -> Parts:
    return Parts(names=[item.name for item in items], files=[files[item.name] for item in items],
                 mos=np.array([item.mos for item in items]), prompts=[item.prompt for item in items])


def _finish(out, images, split, scan, config, processes, run: Epochs, *, stopped: str = "") -> dict:
    history, best = run.history, run.best
    summary = {"arch": config["arch"], "epochs": len(history), "best": best, "conversions": dict(scan.conversions),
               "train_seconds": round(sum(record["seconds"] for record in history), 3),
               "counts": {"train": len(split.train), "val": len(split.val), "test": len(split.test)}}
    if stopped:
        summary["stopped"] = stopped
    if best is None and stopped and not history:
        summary["test"] = "not scored: the time limit came before the first validation"
    elif best is None:
        summary["test"] = "not scored: no epoch had a defined validation score"
    elif split.test:
        state = checkpoints.load_best(out)
        model = restore_model(config, state["model"]).to(processes.device)
        test = _parts(split.test, scan.files)
        prepare_model(model, images=images, names=test.files, cache=out / FEATURES, device=processes.device)
        meter = Meter("test", len(test.files), run.hooks.on_progress)
        scores = predict_images(model, images, test.files, config, device=processes.device, target=state["target"],
                                prompts=test.prompts, scored=meter.advance)
        write_predictions(out / "predictions_test.csv", test.names, scores, test.mos)
        summary["test"] = evaluate_predictions(scores, test.mos, seed=config["train"]["seed"]).as_dict()
        if config["data"]["group_column"]:
            groups = [item.group or "(empty)" for item in split.test]
            breakdown = evaluate_groups(scores, test.mos, groups, column=config["data"]["group_column"], resamples=0)
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
