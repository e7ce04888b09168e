"""A training run inside the gpu worker: claim it, write its data table, run the model, store what it found.

The run directory is runs/<benchmark>/<run>/ in the worker's MOSLAB_RUN_WORK_DIR (modeling/runs/files.py):
``data/table.csv`` (image, or video for a video run, mos, split, group, prompt) and, for a trained architecture,
``train/`` (the moslab_science.iqa or .vqa run directory: last.pt, best.pt, metrics.json...); a zero-shot
architecture caches per-image features in ``features/`` when it has any. A resumed attempt finds last.pt there and
continues from its step (written every train.checkpoint_every_steps steps, at each epoch's end, and when a cancel
or a signal stops the run; a video run from its last finished epoch). A finished run is published to the media
storage under the same name.
"""
import csv
import importlib
import logging
import shutil
import time
from pathlib import Path

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from common import jobs
from common.errors import DomainError
from modeling.models import RunStatus, TrainingRun
from modeling.runs import files
from modeling.runs import services as run_services
from moslab_science.classical.batch import TableSpec, run_baseline
from moslab_science.classical.images import BaselineInputError
from moslab_science.metrics import MetricsInputError, evaluate_groups, evaluate_predictions
from moslab_science.metrics.tables import numbers_by_name, read_rows
from studies.models import Stimulus

logger = logging.getLogger(__name__)
TABLE_COLUMNS = ("image", "mos", "split", "group", "prompt", "source_content")
VIDEO_COLUMN = "video"  # a video run's table names its clips here (moslab_science.vqa's data.video_column)
FLUSH_SECONDS = 1.0


class RunCancelled(Exception):
    """The training loop stopped because a researcher cancelled the run."""


class RunInterrupted(Exception):
    """A signal (the worker shutting down) stopped the training loop after it saved its step."""


def training_run_execute(*, run_id: int, attempt: int, worker: str) -> None:
    run = run_services.training_run_claim(run_id=run_id, attempt=attempt, worker=worker)
    if run is None:
        logger.info("training run %s attempt %s: not queued for this attempt, message skipped", run_id, attempt)
        return
    reporter = Reporter(run)
    with jobs.heartbeat(lambda: run_services.training_run_heartbeat(run_id=run.pk),
                        every=settings.MOSLAB_RUN_HEARTBEAT_SECONDS, name=f"training run {run.pk}"):
        try:
            outcome = _execute(run, reporter)
        except SoftTimeLimitExceeded:
            _end(run, reporter, RunStatus.FAILED, f"ran past the time limit of {settings.MOSLAB_RUN_TIME_LIMIT} s "
                 "(MOSLAB_RUN_TIME_LIMIT); Retry resumes from its last checkpoint (a step or an epoch)")
        except RunCancelled as stop:
            _end(run, reporter, RunStatus.CANCELLED, f"cancelled: {stop}")
        except RunInterrupted as stop:  # left running: the next gpu worker to start resumes it from that step
            reporter.log(f"{stop}; the run stays running until a gpu worker recovers it (its heartbeat stops)")
            reporter.flush(force=True)
        except DomainError as error:
            _end(run, reporter, RunStatus.FAILED, str(error))
        except Exception as error:  # the row must say why; the worker log keeps the traceback
            logger.exception("training run %s failed", run.pk)
            _end(run, reporter, RunStatus.FAILED, f"{type(error).__name__}: {error} (traceback in the worker log)")
        else:
            _end(run, reporter, RunStatus.SUCCEEDED, "finished", **outcome)


def _end(run: TrainingRun, reporter: "Reporter", status: str, message: str, **fields) -> None:
    reporter.flush(force=True)
    run_services.training_run_finish(run=run, status=status, message=message, **fields)


class Reporter:
    """Progress, epoch records and log lines of a run, written to its row at most once a second; also learns
    whether a cancel was asked for."""

    def __init__(self, run: TrainingRun):
        self.run = run
        self.lines: list[str] = []
        self.fields: dict = {}
        self.metrics = {record["epoch"]: record for record in run.metrics}
        self.cancelled = run.cancel_requested
        self.flushed = 0.0
        self.stopped = ""  # why a time-limited run ended before its last epoch

    def log(self, text: str) -> None:
        self.lines.extend(str(text).rstrip("\n").splitlines())
        self.flush()

    def on_progress(self, event) -> None:
        """A moslab_science.iqa Progress event: the phase, and in training the step, loss and the run's ETA."""
        self.fields.update(phase=event.phase, images_per_second=event.images_per_second, eta_seconds=event.eta_seconds)
        if event.phase == "train":
            done = (event.epoch - 1 + event.done / event.total) / max(1, self.run.epochs)
            run_eta = event.eta_seconds if event.run_eta_seconds is None else event.run_eta_seconds
            self.fields.update(step=event.done, steps_per_epoch=event.total, loss=event.loss, eta_seconds=run_eta,
                               progress=min(1.0, done))
        self.flush()

    def on_step(self, epoch: int, step: int, steps_per_epoch: int) -> None:
        """A video run's optimiser step (`epoch` 0-based over all stages): its step and the run's progress."""
        self.fields.update(phase="train", step=step, steps_per_epoch=steps_per_epoch,
                           progress=min(1.0, (epoch + step / steps_per_epoch) / max(1, self.run.epochs)))
        self.flush()

    def on_epoch(self, record: dict) -> None:
        self.on_epochs([record])

    def on_epochs(self, history: list[dict]) -> None:
        """Epoch records: a new one, or those last.pt restored (an earlier attempt may have died before writing
        them to the row)."""
        for record in history:
            val = record.get("val") or {}
            self.metrics[record["epoch"]] = {"epoch": record["epoch"], "train_loss": record["train_loss"],
                                             "val_srcc": val.get("srcc"), "val_plcc": val.get("plcc"),
                                             "val_krcc": val.get("krcc"), "seconds": record.get("seconds"),
                                             **({"stage": record["stage"]} if "stage" in record else {})}
        if history:
            epoch = max(self.metrics)
            self.fields.update(epoch=epoch, step=0, metrics=[self.metrics[key] for key in sorted(self.metrics)],
                               progress=epoch / max(1, self.run.epochs))
            self.flush(force=True)

    def should_stop(self) -> bool:
        return self.cancelled

    def flush(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.flushed < FLUSH_SECONDS:
            return
        self.cancelled = run_services.training_run_progress(run=self.run, fields=self.fields, log_lines=self.lines)
        self.fields, self.lines, self.flushed = {}, [], time.monotonic()


def _execute(run: TrainingRun, reporter: Reporter) -> dict:
    folder = files.work_folder(run)
    table, rows = _write_table(run, folder / "data")
    images = files.stimuli_folder()
    scored = [row for row in rows if row["split"] == "test"]
    source = None  # where a run:<id> model was trained
    if run.kind == TrainingRun.Kind.TRAIN and is_video(run):
        predictions, checkpoint = _train_video(run, reporter, table, images, folder / "train")
    elif run.kind == TrainingRun.Kind.TRAIN:
        predictions, checkpoint = _train(run, reporter, table, images, folder / "train")
    elif run.model.startswith("run:"):
        (predictions, source), checkpoint = _score_with_run(run, reporter, images, scored), ""
    elif "arch" in run.config:
        predictions, checkpoint = _score_pretrained(run, reporter, images, scored, folder / "features"), ""
    else:
        predictions, checkpoint = _classical(run, reporter, rows, images), ""
    predictions = {row["image"]: predictions[row["image"]] for row in scored if row["image"] in predictions}
    names = [row["image"] for row in scored if row["image"] in predictions]
    if not names:
        raise DomainError("the run scored no test image")
    by_image = {row["image"]: row for row in scored}
    result = _evaluation(run, [predictions[n] for n in names], [float(by_image[n]["mos"]) for n in names],
                         [by_image[n]["group"] for n in names])
    stimulus_names = {row["image"]: row["name"] for row in scored}
    unscored = sorted(stimulus_names[row["image"]] for row in scored if row["image"] not in predictions)
    if unscored:
        result["unscored"] = unscored
        reporter.log(f"{len(unscored)} test image(s) have no score and are left out of the evaluation: "
                     f"{', '.join(unscored[:10])}")
    if source:
        result["source"] = source
    if reporter.stopped:
        result["stopped"] = reporter.stopped
    reporter.log(f"test part: {len(names)} images, SRCC {result['srcc']:.4f}, PLCC {result['plcc']:.4f}")
    files.publish(folder, run=run)
    return {"predictions": {stimulus_names[n]: predictions[n] for n in names}, "result": result,
            "checkpoint": checkpoint}


def _write_table(run: TrainingRun, folder: Path) -> tuple[Path, list[dict]]:
    """The version's items with their stimulus files (checked against the version's hashes) and the run's parts."""
    version = run.benchmark.version
    group_column = run.benchmark.protocol.get("group_column") or ""
    stimuli = {s.name: s for s in Stimulus.objects.filter(study_id=version.study_id).only(
        "name", "file", "sha256", "prompt")}
    rows, problems = [], []
    for item in version.items:
        part = run.assignment.get(item["name"]) if run.assignment else "test"
        if part is None:
            continue  # left out of this split (cross-group)
        stimulus = stimuli.get(item["name"])
        if stimulus is None or not stimulus.file:
            problems.append(f"{item['name']}: no image file (a ratings-only import cannot be trained on)")
            continue
        if item.get("sha256") and stimulus.sha256 != item["sha256"]:
            problems.append(f"{item['name']}: the stimulus file changed since the version was taken")
            continue
        rows.append({"image": files.stimulus_local_name(stimulus), "name": item["name"],
                     "mos": repr(float(item["mos"])),
                     "split": part, "group": (item.get("groups") or {}).get(group_column, "") if group_column else "",
                     "prompt": stimulus.prompt, "source_content": item.get("source_content") or item["name"]})
    if problems:
        raise DomainError(f"{len(problems)} item(s) of dataset v{version.number} cannot be used",
                          problems=problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20
                                                    else []))
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "table.csv"
    columns, written = TABLE_COLUMNS, rows
    if is_video(run):
        columns, written = (VIDEO_COLUMN, *TABLE_COLUMNS[1:]), [{**row, VIDEO_COLUMN: row["image"]} for row in rows]
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(written)
    return table, rows


def _iqa():
    try:
        return importlib.import_module("moslab_science.iqa")
    except ImportError:
        raise DomainError('this worker cannot train: PyTorch is missing (pip install -e ".[iqa]")') from None


def _device(requested: str) -> str:
    if requested == "cuda" and not importlib.import_module("torch").cuda.is_available():
        raise DomainError("the benchmark asked for a CUDA device but this worker has none "
                          "(torch.cuda.is_available() is false); launch it with device CPU or run the gpu queue's "
                          "worker on a GPU machine")
    return requested


def _train(run: TrainingRun, reporter: Reporter, table: Path, images: Path, out: Path) -> tuple[dict, str]:
    iqa = _iqa()
    device = _device(run.benchmark.device)
    resume = (out / "last.pt").exists()
    if not resume and out.exists():
        shutil.rmtree(out)  # an attempt that died before its first epoch ended: start clean
    hooks = iqa.TrainingHooks(on_progress=reporter.on_progress, on_epoch=reporter.on_epoch,
                              on_resume=reporter.on_epochs, should_stop=reporter.should_stop)
    try:
        summary = iqa.train_run(config=run.config, table=table, images=images, out=out, device=device,
                                resume=resume, time_limit=run.time_limit_seconds, log=reporter.log, hooks=hooks)
    except iqa.TrainingStopped as stop:
        if stop.reason == "cancelled":
            raise RunCancelled(str(stop)) from None
        raise RunInterrupted(f"interrupted by {stop.reason}: {stop}") from None
    if "stopped" in summary:
        if not isinstance(summary["test"], dict):
            raise DomainError(f"{summary['stopped']}: no epoch was validated within the time limit of "
                              f"{run.time_limit_seconds} s; Retry resumes from that step")
        reporter.stopped = summary["stopped"]
        reporter.log(f"the test part was scored with the best validated epoch so far ({summary['best']['epoch']} "
                     f"of {run.epochs}); the run's last.pt keeps the step it stopped after")
    rows = read_rows(out / "predictions_test.csv", required=("image", "score"))
    scores = numbers_by_name(rows, name_column="image", value_column="score", file_label="predictions_test.csv")
    return scores, f"{run.run_dir}/{(out / 'best.pt').relative_to(files.work_folder(run)).as_posix()}"


def is_video(run: TrainingRun) -> bool:
    """A run of a moslab_science.vqa architecture: its configuration has a stage schedule."""
    return "stages" in run.config


def _train_video(run: TrainingRun, reporter: Reporter, table: Path, videos: Path, out: Path) -> tuple[dict, str]:
    """Train a video architecture through its stages (each epoch's stage goes to the run's metrics); an attempt
    resumes from the last finished epoch."""
    try:
        vqa = importlib.import_module("moslab_science.vqa")
    except ImportError:
        raise DomainError('this worker cannot train: PyTorch is missing (pip install -e ".[iqa]")') from None
    device = _device(run.benchmark.device)
    resume = (out / "last.pt").exists()
    if not resume and out.exists():
        shutil.rmtree(out)
    hooks = _iqa().TrainingHooks(on_step=reporter.on_step, on_epoch=reporter.on_epoch,
                                 on_resume=reporter.on_epochs, should_stop=reporter.should_stop)
    try:
        summary = vqa.train_video_run(config=run.config, table=table, videos=videos, out=out, device=device,
                                      resume=resume, log=reporter.log, hooks=hooks)
    except _iqa().TrainingStopped as stop:
        raise RunCancelled(f"{stop}; Retry resumes from the last finished epoch") from None
    if not isinstance(summary["test"], dict):
        raise DomainError(f"the test part was {summary['test']}")
    rows = read_rows(out / "predictions_test.csv", required=(VIDEO_COLUMN, "score"))
    scores = numbers_by_name(rows, name_column=VIDEO_COLUMN, value_column="score", file_label="predictions_test.csv")
    return scores, f"{run.run_dir}/{(out / 'best.pt').relative_to(files.work_folder(run)).as_posix()}"


def _classical(run: TrainingRun, reporter: Reporter, rows: list[dict], images: Path) -> dict:
    spec = TableSpec(name_column="image", mos_column="mos", split_column="split", train_part="train",
                     content_column="source_content")
    try:
        outcome = run_baseline(run.config["method"], rows, images, spec=spec, seed=run.seed,
                               skip_undefined=True)
    except (BaselineInputError, MetricsInputError) as error:
        text = str(error)
        for row in rows:  # name the stimuli, not their storage paths
            text = text.replace(row["image"], row["name"])
        raise DomainError(f"{run.model}: {text}") from None
    names = {row["image"]: row["name"] for row in rows}
    for note in outcome.notes:
        for path, name in names.items():
            note = note.replace(path, name)
        reporter.log(note)
    return outcome.scores


def _score_with_run(run: TrainingRun, reporter: Reporter, images: Path, scored: list[dict]) -> tuple[dict, dict]:
    """The scores of the test part by an earlier run's best checkpoint, and where that run was trained (another
    study's dataset version for a cross-dataset test)."""
    source = TrainingRun.objects.select_related("benchmark__version__study").get(pk=run.config["source_run"])
    version = source.benchmark.version
    checkpoint_dir = files.checkpoint_folder(source)
    reporter.log(f"scoring with the best checkpoint of run #{source.pk} ({source.model}, "
                 f"dataset v{version.number} of study {version.study_id})")
    names = [row["image"] for row in scored]
    scores = _iqa().predict_names(run_dir=checkpoint_dir, images=images, names=names,
                                  device=_device(run.benchmark.device), prompts=[row["prompt"] for row in scored])
    where = {"run": source.pk, "model": source.model, "study": version.study.name, "study_id": version.study_id,
             "version": version.number, "cross_dataset": version.study_id != run.benchmark.version.study_id}
    return dict(zip(names, (float(score) for score in scores), strict=True)), where


def _score_pretrained(run: TrainingRun, reporter: Reporter, images: Path, scored: list[dict], cache: Path) -> dict:
    iqa = _iqa()
    config = run.config
    weight = config["pretrained"] if isinstance(config["pretrained"], str) else config["model"].get("weight", "")
    reporter.log(f"scoring zero-shot with {run.model} on its pretrained weights{f' ({weight})' if weight else ''}, "
                 "no training")
    names = [row["image"] for row in scored]
    try:
        scores = iqa.predict_pretrained(config=config, images=images, names=names, cache=cache,
                                        device=_device(run.benchmark.device), prompts=[row["prompt"] for row in scored],
                                        progress=reporter.on_progress)
    except iqa.IqaError as error:
        raise DomainError(f"{run.model}: {error}") from None
    return dict(zip(names, (float(score) for score in scores), strict=True))


def _evaluation(run: TrainingRun, predictions: list[float], mos: list[float], groups: list[str]) -> dict:
    try:
        evaluation = evaluate_predictions(np.array(predictions), np.array(mos), seed=run.seed)
    except MetricsInputError as error:
        raise DomainError(f"the test predictions cannot be evaluated: {error}") from None
    result = evaluation.as_dict()
    column = run.benchmark.protocol.get("group_column")
    if column and any(groups):
        labels = [group or "(none)" for group in groups]
        result["by_group"] = evaluate_groups(np.array(predictions), np.array(mos), labels, column=column,
                                             resamples=0).as_dict()
    return result
