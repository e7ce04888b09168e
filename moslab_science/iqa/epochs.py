"""The epochs of a run: training steps, validation, checkpoints, and stopping at a step boundary.

A run can stop between any two optimiser steps (a signal, a cancel, its time limit) or during validation. It
then writes last.pt with its `Position`, so that a resumed run continues from that step and ends bit for bit
where an uninterrupted one would: every sample's view is seeded by (seed, epoch, index), the epoch's order by
(seed, epoch), the resumed epoch skips the samples its steps consumed, and the global RNG state is saved with
the step.
"""
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from moslab_science.iqa import checkpoints
from moslab_science.iqa.checkpoints import BEST, LAST, write_json
from moslab_science.iqa.data import TrainingViews, collate
from moslab_science.iqa.progress import Meter
from moslab_science.iqa.registry import restore_model
from moslab_science.iqa.scoring import autocast, predict_images, run_model, validation_figures, write_predictions
from moslab_science.metrics import evaluate_predictions


@dataclass
class Position:
    """Where a run stands: the epoch in progress (0-based), the optimiser steps it has taken, whether its
    training is done (validation pending), and its micro-batch losses and training seconds so far."""

    epoch: int = 0
    step: int = 0
    trained: bool = False
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


class Halt(Exception):
    """Stop at this step boundary (internal: the run saves its position, then ends)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Parts:
    names: list[str]  # as in the table (what the prediction files say)
    files: list[str]  # as found in the image folder
    mos: np.ndarray
    prompts: list[str]


@dataclass
class Epochs:
    """The training state of one run and the work of its epochs (see train_run for the setup)."""

    config: dict
    out: Path
    images: Path
    processes: object
    model: torch.nn.Module
    trained: torch.nn.Module  # the model as the processes train it (DDP-wrapped with several)
    optimizer: torch.optim.Optimizer
    scheduler: object
    views: TrainingViews
    loss_fn: object
    levels: bool  # the loss is on the model's five level logits (forward(..., levels=True))
    prompted: bool
    steps_per_epoch: int
    epochs: int
    val: Parts
    test_count: int
    target: dict
    stops: object
    hooks: object
    history: list = field(default_factory=list)
    best: dict | None = None
    save_seconds: float = 0.0
    closing_seconds: float = 0.0  # rebuilding the best model and evaluating the test part (measured, see _measure)
    eval_rate: float | None = None  # images per second measured while validating (else while training)

    def run_epoch(self, position: Position, log) -> None:
        """Train what remains of `position`'s epoch, validate, record; raises Halt to stop."""
        if not position.trained:
            self._halt_if(self.stops.reason(reserve=self.reserve()))
            self._train(position)
            position.trained = True
        validation = self._seconds_for(len(self.val.names)) + (0.0 if self.best else self._closing_test())
        self._halt_if(self.stops.reason(next_seconds=validation, reserve=self.reserve()))
        if self.processes.main:
            record = {"epoch": position.epoch + 1, "train_loss": float(np.mean(position.losses)),
                      "seconds": round(position.seconds, 3),
                      "lr": [group["lr"] for group in self.optimizer.param_groups]}
            scores, record["val"] = self._validate(position.epoch)
            self.history.append(record)
            if record["val"]["select"] is not None and (self.best is None
                                                         or record["val"]["select"] > self.best["select"]):
                self.best = {"epoch": position.epoch + 1, **record["val"]}
                checkpoints.save(self.out / BEST, {"config": self.config, "model": checkpoints.model_state(self.model),
                                                   "target": self.target, "epoch": position.epoch + 1,
                                                   "val": record["val"]})
                write_predictions(self.out / "predictions_val.csv", self.val.names, scores, self.val.mos)
            write_json(self.out / "metrics.json", self.history)
            self.save(Position(epoch=position.epoch + 1))
            log(f"epoch {position.epoch + 1}: loss {record['train_loss']:.4f}, val SRCC "
                f"{_figure(record['val']['srcc'])}, PLCC {_figure(record['val']['plcc'])}")
            self.hooks.on_epoch(record)
        self.processes.barrier()

    def _train(self, position: Position) -> None:
        if position.step >= self.steps_per_epoch:  # stopped after the epoch's last step
            return
        train = self.config["train"]
        accum, batch, seed, epoch = train["grad_accum"], train["batch_size"], train["seed"], position.epoch
        self.views.epoch = epoch
        order = torch.randperm(len(self.views), generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
        consumed = position.step * accum * batch  # the samples of the steps already taken
        loader = DataLoader(self.views, batch_size=batch, sampler=self.processes.shard(order)[consumed:],
                            collate_fn=collate, num_workers=train["num_workers"], drop_last=True,
                            generator=torch.Generator().manual_seed(seed * 1000 + epoch))
        meter = Meter("train", self.steps_per_epoch, self.hooks.on_progress, start=position.step,
                      images_per_unit=batch * accum * self.processes.world, epoch=epoch + 1, epochs=self.epochs,
                      later_units=self.steps_per_epoch * (self.epochs - epoch - 1))
        started, seconds, every = time.monotonic(), position.seconds, train["checkpoint_every_steps"]
        self.trained.train()
        self.optimizer.zero_grad(set_to_none=True)
        pending = 0
        for views, targets, prompts in loader:
            with autocast(self.processes.device, train["amp"]):
                predictions = run_model(self.trained, views.to(self.processes.device), prompts,
                                        prompted=self.prompted, levels=self.levels)
            loss = self.loss_fn(predictions.float(), targets.to(self.processes.device))
            (loss / accum).backward()
            position.losses.append(float(loss.detach()))
            pending += 1
            if pending < accum:
                continue
            self._step()
            pending, position.step = 0, position.step + 1
            position.seconds = seconds + time.monotonic() - started
            meter.advance(position.step, loss=float(np.mean(position.losses)))
            if every and position.step % every == 0 and position.step < self.steps_per_epoch:
                self.save(position)
            self.hooks.on_step(epoch, position.step, self.steps_per_epoch)
            self.eval_rate = self.eval_rate or meter.images_per_second
            self._halt_if(self.stops.reason(next_seconds=meter.seconds_per_unit or 0.0, reserve=self.reserve()))
            if position.step == self.steps_per_epoch:
                break
        if pending and position.step < self.steps_per_epoch:  # the epoch's last, partial accumulation
            self._step()
            position.step += 1
        position.seconds = seconds + time.monotonic() - started

    def _step(self) -> None:
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)

    def _validate(self, epoch: int) -> tuple[np.ndarray, dict]:
        meter = Meter("validate", len(self.val.names), self.hooks.on_progress, epoch=epoch + 1, epochs=self.epochs)

        def scored(count: int) -> None:
            meter.advance(count)
            if self.processes.world == 1:  # only rank 0 validates: the others cannot be told to stop here
                self._halt_if(self.stops.reason(reserve=self.reserve()))

        scores = predict_images(self.model, self.images, self.val.files, self.config, device=self.processes.device,
                                target=self.target, prompts=self.val.prompts, scored=scored)
        self.eval_rate = meter.images_per_second or self.eval_rate
        return scores, validation_figures(scores, self.val.mos, self.config["train"]["select_metric"])

    def _halt_if(self, reason: str | None) -> None:
        reason = self.processes.first_reason(reason)
        if reason:
            raise Halt(reason)

    def _seconds_for(self, images: int) -> float:
        return images / self.eval_rate if self.eval_rate else 0.0

    def reserve(self) -> float:
        """Seconds to keep for closing a stopped run: saving, and scoring the test part with the best model (before
        the first validation there is none: validating then also needs the test part's time, see run_epoch)."""
        return self.save_seconds + (self._closing_test() if self.best else 0.0)

    def _closing_test(self) -> float:
        return self._seconds_for(self.test_count) + self.closing_seconds if self.test_count else 0.0

    def measure_closing(self) -> None:
        """Time, once, what closing a time-limited run costs besides scoring images: rebuilding the best model and
        evaluating the test part (bootstrap intervals), on as many random scores as the test part has."""
        if self.stops.time_limit is None or not self.test_count or not self.processes.main:
            return
        started = time.monotonic()
        restore_model(self.config, checkpoints.model_state(self.model))
        rng = np.random.default_rng(0)
        evaluate_predictions(rng.random(self.test_count), rng.random(self.test_count), seed=0)
        self.closing_seconds = time.monotonic() - started

    def save(self, position: Position) -> None:
        """last.pt with `position` (rank 0 writes it)."""
        if not self.processes.main:
            return
        started = time.monotonic()
        checkpoints.save(self.out / LAST, {
            "config": self.config, "model": checkpoints.model_state(self.model), "epoch": len(self.history) - 1,
            "position": asdict(position), "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "rng": checkpoints.rng_state(), "history": self.history,
            "best": self.best, "target": self.target})
        self.save_seconds = time.monotonic() - started


def _figure(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"
