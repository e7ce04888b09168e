"""Where a run stands in its stage schedule (a video architecture's stages, each with its own epochs), for the
run pages: which stage is done, which one runs and at which of its epochs, which ones wait."""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StageProgress:
    name: str
    first_epoch: int  # 1-based, counted over all stages
    epochs: int
    done: int  # this stage's finished epochs
    state: str  # done, running (its next epoch is training), waiting, or stopped (the run ended before it)

    @property
    def last_epoch(self) -> int:
        return self.first_epoch + self.epochs - 1

    def describe(self) -> str:
        """E.g. "epoch 2 of 10 training", "10 of 10 epochs done", "0 of 2 epochs, waiting"."""
        if self.state == "running":
            return f"epoch {self.done + 1} of {self.epochs} training"
        counted = f"{self.done} of {self.epochs} epoch{'' if self.epochs == 1 else 's'}"
        return f"{counted} done" if self.state == "done" else f"{counted}, {self.state}"


def stage_progress(stages: Sequence[Mapping], epochs_done: int, *, active: bool) -> list[StageProgress]:
    """Each stage of `stages` ({"name", "epochs"} in order) after `epochs_done` epochs over all stages; the stage
    holding the next epoch is running while the run is `active`, else stopped."""
    found, first = [], 1
    for stage in stages:
        epochs = int(stage["epochs"])
        done = min(epochs, max(0, epochs_done - (first - 1)))
        if done == epochs:
            state = "done"
        elif first - 1 <= epochs_done:
            state = "running" if active else "stopped"
        else:
            state = "waiting"
        found.append(StageProgress(name=stage["name"], first_epoch=first, epochs=epochs, done=done, state=state))
        first += epochs
    return found
