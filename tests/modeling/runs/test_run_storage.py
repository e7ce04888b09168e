"""Training runs with the media on an object-like storage (no local path): inputs copied to the worker's disk,
results published to the storage, a trained run's checkpoint fetched back to score another run."""
import pytest

from modeling.models import RunStatus
from modeling.runs import files
from moslab_science.benchmarks import Protocol
from tests.modeling.runs.test_run_services import execute, launch, one_thread  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_thread")]


def test_a_run_trains_from_and_publishes_to_the_storage(storage_elsewhere, dataset_version, researcher, settings):
    trained = execute(launch(dataset_version, researcher, protocol=Protocol(scheme="seeded"),
                             hyperparameters={"preset": "tiny", "train": {"epochs": 1, "batch_size": 4}})
                      .training_runs.get())
    assert trained.status == RunStatus.SUCCEEDED, trained.error + trained.log
    assert trained.checkpoint == f"{trained.run_dir}/train/best.pt" and storage_elsewhere.exists(trained.checkpoint)
    assert storage_elsewhere.exists(f"{trained.run_dir}/data/table.csv")
    assert not storage_elsewhere.exists(f"{trained.run_dir}/train/last.pt"), "the resume point stays on the worker"
    assert (settings.MOSLAB_RUN_WORK_DIR / trained.run_dir / "train" / "last.pt").is_file()
    copies = sorted(path.name for path in files.stimuli_folder().iterdir())
    assert copies == sorted(f"{item['sha256']}.png" for item in dataset_version.items), "one copy per stimulus"

    zero_shot = launch(dataset_version, researcher, models=(f"run:{trained.pk}",), hyperparameters={},
                       protocol=Protocol(scheme="zero_shot", ratios=())).training_runs.get()
    fetched = settings.MOSLAB_RUN_WORK_DIR / "checkpoints" / str(trained.pk) / "best.pt"
    (settings.MOSLAB_RUN_WORK_DIR / trained.run_dir).rename(settings.MOSLAB_RUN_WORK_DIR / "moved-away")
    zero_shot = execute(zero_shot)
    assert zero_shot.status == RunStatus.SUCCEEDED, zero_shot.error + zero_shot.log
    assert len(zero_shot.predictions) == len(dataset_version.items)
    assert fetched.read_bytes() == storage_elsewhere.open(trained.checkpoint).read()
