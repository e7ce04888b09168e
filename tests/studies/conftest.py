"""A text-to-video study rated on three dimensions, as T2VQA-DB and AIGC-VQA describe them."""
import uuid
from pathlib import Path

import numpy as np
import pytest

from tests.videos import write_video

DIMENSIONS = [{"name": "technical", "label": "Technical quality"}, {"name": "aesthetic", "label": "Aesthetic quality"},
              {"name": "alignment", "label": "Prompt alignment"}]
CLIPS = 6
RATERS = 6


def write_clips(folder: Path, *, count: int = CLIPS) -> Path:
    """Clips c0.mp4, c1.webm, c2.mp4... (8 frames of 64x48) with a manifest giving each a prompt."""
    rows = ["file,source_content,prompt"]
    for index in range(count):
        name = f"c{index}{'.mp4' if index % 2 == 0 else '.webm'}"
        write_video(folder / name, frames=8, fps=8, seed=40 + index)
        rows.append(f"{name},p{index // 2},a red fox running through snow number {index}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    return folder


def dimension_quality(count: int = CLIPS) -> dict[str, np.ndarray]:
    """What each clip 'really' scores on each dimension (0..100): technical rises, aesthetic falls."""
    return {"technical": np.linspace(15, 85, count), "aesthetic": np.linspace(80, 20, count),
            "alignment": np.array([60, 30, 70, 40, 80, 50], dtype=float)[:count]}


@pytest.fixture
def video_study(coordinator, make_user, tmp_path):
    """Six clips on a 0..100 scale, a protocol with three dimensions, six raters voting on all three in one
    submission each (one client id); rater5 turns the technical scale upside down and rates the rest well."""
    from studies import services
    from studies.models import Membership, Study, StudyProtocol

    study = services.study_create(name="Text to video", slug="t2v", created_by=coordinator, scale_min=0,
                                  scale_max=100, raters_per_stimulus=RATERS)
    services.stimuli_import(study=study, source=write_clips(tmp_path / "clips"))
    StudyProtocol.objects.create(study=study, version=1, config={"scale": "slider", "dimensions": DIMENSIONS},
                                 created_by=coordinator)
    study.status = Study.Status.OPEN
    study.save()
    rng = np.random.default_rng(8)
    quality = dimension_quality()
    for rater_index in range(RATERS):
        rater = make_user(f"rater{rater_index}")
        services.membership_add(study=study, user=rater, role=Membership.Role.ANNOTATOR)
        for position, stimulus in enumerate(study.stimuli.order_by("name")):
            client_id = uuid.uuid4()  # one submission: the three scores share it
            for dimension, values in quality.items():
                value = values[position] + rng.normal(0, 4)
                if rater_index == RATERS - 1 and dimension == "technical":
                    value = 100 - values[position]
                services.rating_record(study=study, stimulus=stimulus, rater=rater, client_id=client_id,
                                       score=float(np.clip(np.rint(value), 0, 100)), dimension=dimension,
                                       details={"verified": True})
    return study
