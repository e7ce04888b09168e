"""A run's files: inputs copied from the media storage to the worker's disk, results published back to it.

The training loop needs local paths, while media may live on object storage (docs/deploy.md). A run
works in MOSLAB_RUN_WORK_DIR/<run_dir>/ on the gpu worker's disk (a resumed attempt on the same
machine finds its last.pt there); stimuli are copied once into MOSLAB_RUN_WORK_DIR/stimuli/, named by
their SHA-256; what the run wrote is published to the storage under <run_dir>/ when it finishes.
"""
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from modeling.models import TrainingRun
from studies.media_files import cached_copy
from studies.models import Stimulus

SKIPPED_WHEN_PUBLISHING = {"last.pt"}  # the resume point stays with the worker; best.pt is what others use


def work_folder(run: TrainingRun) -> Path:
    return Path(settings.MOSLAB_RUN_WORK_DIR) / run.run_dir


def stimuli_folder() -> Path:
    return Path(settings.MOSLAB_RUN_WORK_DIR) / "stimuli"


def stimulus_local_name(stimulus: Stimulus) -> str:
    """The stimulus's file in stimuli_folder(), copied from the storage if it is not there yet."""
    return cached_copy(stimulus.file, sha256=stimulus.sha256, folder=stimuli_folder()).name


def publish(folder: Path, *, run: TrainingRun) -> None:
    """Every file under `folder` (but the resume point) into the storage at the same place under the run's
    run_dir, replacing an earlier attempt's."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in SKIPPED_WHEN_PUBLISHING:
            name = f"{run.run_dir}/{path.relative_to(work_folder(run)).as_posix()}"
            default_storage.delete(name)
            with path.open("rb") as handle:
                default_storage.save(name, File(handle))


def checkpoint_folder(source: TrainingRun) -> Path:
    """A local folder holding the best checkpoint of `source` (a succeeded training run), fetched once."""
    folder = Path(settings.MOSLAB_RUN_WORK_DIR) / "checkpoints" / str(source.pk)
    target = folder / Path(source.checkpoint).name
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with default_storage.open(source.checkpoint, "rb") as stored, partial.open("wb") as local:
            while chunk := stored.read(1 << 20):
                local.write(chunk)
        partial.replace(target)
    return folder
