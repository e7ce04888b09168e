"""Small synthetic datasets for the dataset app tests; the real ones are read from ../shared/data when present."""
import csv
import uuid
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_DATA, write_image

SOURCES, DEGRADATIONS = ("s0", "s1", "s2", "s3", "s4"), ("blur", "noise")


def require_shared(path: Path) -> Path:
    """Skip the calling test, saying why, when a file of ../shared/data is missing."""
    if not path.exists():
        pytest.skip(f"shared real data is absent ({path.resolve()} not found); it lives outside the repository")
    return path


@pytest.fixture
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture
def rated_study(coordinator, make_user, tmp_path):
    """10 stimuli (5 source contents x 2 degradations), 6 raters, one of them inverted; MOS computed (bt500)."""
    from studies import services
    from studies.models import Membership, Study

    folder = tmp_path / "rated"
    rows = ["file,source_content,group_degradation"]
    for index, (source, degradation) in enumerate((s, d) for s in SOURCES for d in DEGRADATIONS):
        write_image(folder / f"{source}_{degradation}.png", seed=300 + index)
        rows.append(f"{source}_{degradation}.png,{source},{degradation}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    study = services.study_create(name="Rated", slug="rated", created_by=coordinator, raters_per_stimulus=6)
    services.stimuli_import(study=study, source=folder)
    study.status = Study.Status.OPEN
    study.save()
    rng = np.random.default_rng(11)
    stimuli = list(study.stimuli.order_by("name"))
    quality = np.linspace(1.5, 4.5, len(stimuli))
    for rater_index in range(6):
        rater = make_user(f"rater{rater_index}")
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for stimulus, q in zip(stimuli, quality, strict=True):
            value = 6 - q if rater_index == 5 else q + rng.normal(0, 0.5)
            services.rating_record(study=study, stimulus=stimulus, rater=rater, client_id=uuid.uuid4(),
                                   score=float(np.clip(np.rint(value), 1, 5)), details={"verified": True})
    computation = services.mos_computation_start(study=study, by=coordinator, method="correlation")
    computation = services.mos_computation_run(computation_id=computation.pk)
    assert computation.status == "succeeded", computation.error
    return study


def write_mos_table(folder: Path, rows: list[tuple], header=("image", "mos", "source_subset")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mos.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def small_biq(tmp_path) -> tuple[Path, Path]:
    """A BIQ2021-shaped dataset: images/ and mos.csv (image,mos,source_subset) with MOS on 0..1."""
    images = tmp_path / "biq" / "images"
    rows = []
    for index in range(8):
        write_image(images / f"ss0{index % 3 + 1}_{index}.jpg", seed=500 + index, image_format="JPEG")
        rows.append((f"ss0{index % 3 + 1}_{index}.jpg", round(0.1 + index * 0.1, 4), f"ss0{index % 3 + 1}"))
    return write_mos_table(tmp_path / "biq", rows), images


@pytest.fixture
def small_long_ratings(tmp_path) -> Path:
    """An ISRGen-QA-shaped long ratings file: split,image,lr_ref,hr_ref,subject,score; no images."""
    path = tmp_path / "raw_ratings_long.csv"
    rng = np.random.default_rng(3)
    lines = ["split,image,lr_ref,hr_ref,subject,score"]
    for index in range(10):
        split = "train" if index < 6 else ("val" if index < 8 else "test")
        for subject in range(4):
            lines.append(f"{split},SR_{index:02d}.png,{index:04d}x2.png,{index:04d}.png,P{subject + 1},"
                         f"{int(rng.integers(1, 6))}")
    path.write_text("\n".join(lines) + "\n")
    return path
