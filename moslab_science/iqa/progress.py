"""Progress of the long phases of a run (image scan, training steps, validation, test scoring, prediction).

Each phase reports `Progress` events through a callback: how far it is, images per second, the ETA and, while
training, the epoch's mean loss so far. `Terminal` shows them: one rewritten line when the output is
interactive, a line every `every` seconds otherwise (logs), and always the phase's last event.
"""
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    phase: str  # "scan", "train", "validate", "test", "predict"
    done: int  # steps for "train", images for the others
    total: int
    images_per_second: float | None
    seconds: float  # since the phase (re)started
    eta_seconds: float | None  # until the phase ends
    epoch: int | None = None  # 1-based, for "train" and "validate"
    epochs: int | None = None
    loss: float | None = None  # the epoch's mean training loss so far
    run_eta_seconds: float | None = None  # "train": until the last epoch's last step (validation not counted)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def line(self) -> str:
        unit = "step" if self.phase == "train" else "images"
        where = f" epoch {self.epoch}/{self.epochs}" if self.epoch is not None else ""
        count = f"step {self.done}/{self.total}" if unit == "step" else f"{self.done}/{self.total} images"
        parts = [f"{self.phase}{where} {count} ({100 * self.done / max(1, self.total):.0f}%)"]
        if self.images_per_second is not None:
            parts.append(f"{self.images_per_second:.1f} img/s")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        parts.append(f"{clock(self.seconds)} elapsed")
        if self.eta_seconds is not None and not self.finished:
            parts.append(f"ETA {clock(self.eta_seconds)}"
                         + (f" (run {clock(self.run_eta_seconds)})" if self.run_eta_seconds is not None else ""))
        return " | ".join(parts)


def clock(seconds: float) -> str:
    """1:02:03 or 2:03."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def ignore(_progress: Progress) -> None:
    return None


class Meter:
    """Turns "n more done" into Progress events for one phase; `start` counts what a resumed phase had done."""

    def __init__(self, phase: str, total: int, report: Callable[[Progress], None], *, start: int = 0,
                 images_per_unit: int = 1, epoch: int | None = None, epochs: int | None = None,
                 later_units: int = 0):
        self.phase, self.total, self.report, self.start = phase, total, report, start
        self.images_per_unit, self.epoch, self.epochs, self.later_units = images_per_unit, epoch, epochs, later_units
        self.started = time.monotonic()
        self.done = start

    @property
    def seconds_per_unit(self) -> float | None:
        units = self.done - self.start
        return (time.monotonic() - self.started) / units if units else None

    @property
    def images_per_second(self) -> float | None:
        per_unit = self.seconds_per_unit
        return self.images_per_unit / per_unit if per_unit else None

    def advance(self, done: int, *, loss: float | None = None) -> Progress:
        self.done = done
        per_unit = self.seconds_per_unit
        event = Progress(
            phase=self.phase, done=done, total=self.total, images_per_second=self.images_per_second,
            seconds=time.monotonic() - self.started, loss=loss, epoch=self.epoch, epochs=self.epochs,
            eta_seconds=None if per_unit is None else per_unit * (self.total - done),
            run_eta_seconds=None if per_unit is None or not self.later_units
            else per_unit * (self.total - done + self.later_units),
        )
        self.report(event)
        return event


class Terminal:
    """The command's output: log lines, and progress as a rewritten line (`interactive`) or periodic lines."""

    def __init__(self, write: Callable[[str], None], *, interactive: bool, every: float = 30.0):
        self.write, self.interactive, self.every = write, interactive, every
        self.shown_at: dict[str, float] = {}
        self.open_line = False

    def log(self, text: str) -> None:
        self._close_line()
        self.write(f"{text}\n")

    def progress(self, event: Progress) -> None:
        now = time.monotonic()
        key = f"{event.phase}{event.epoch}"
        first = key not in self.shown_at
        wait = 0.2 if self.interactive else self.every
        if not (first or event.finished or now - self.shown_at[key] >= wait):
            return
        self.shown_at[key] = now
        if self.interactive:
            self.write(f"\r\x1b[K{event.line()}" + ("\n" if event.finished else ""))
            self.open_line = not event.finished
        else:
            self.write(f"{event.line()}\n")

    def _close_line(self) -> None:
        if self.open_line:
            self.write("\n")
            self.open_line = False
