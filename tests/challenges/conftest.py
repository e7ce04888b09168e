"""A small imported dataset with an official train/val/test split, and a challenge on it."""
import csv
import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.conftest import write_image

NUM_ITEMS = 20
PARTS = ["train"] * 10 + ["val"] * 4 + ["test"] * 6


def mos_of(index: int) -> float:
    """Distinctive values (many digits) so a leak check cannot match them by chance."""
    return round(1.0 + index * 0.1834567891 + (index % 3) * 0.0271828183, 9)


def std_of(index: int) -> float:
    return round(0.4 + index * 0.0123456789, 9)


@pytest.fixture
def dataset_version(coordinator, tmp_path):
    """20 images, MOS with std and count, official split train 10 / val 4 / test 6; the coordinator organises."""
    from studies.datasets import services as dataset_services
    from studies.datasets.imports import dataset_import

    folder = tmp_path / "challenge-data"
    folder.mkdir()
    with (folder / "mos.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "mos", "std", "count", "split"])
        for index in range(NUM_ITEMS):
            write_image(folder / "images" / f"img{index:02d}.png", size=(8, 8), seed=900 + index)
            writer.writerow([f"img{index:02d}.png", repr(mos_of(index)), repr(std_of(index)), 17 + index,
                             PARTS[index]])
    report = dataset_import(name="Challenge data", slug="challenge-data", by=coordinator, source_format="mos_table",
                            source=folder / "mos.csv", images=folder / "images", scale=(1, 5),
                            options={"name": "image", "mos": "mos", "std": "std", "count": "count",
                                     "split_column": "split"})
    return dataset_services.dataset_version_create(study=report.study, by=coordinator)


def names_of(part: str) -> list[str]:
    return [f"img{index:02d}.png" for index in range(NUM_ITEMS) if PARTS[index] == part]


def hidden_pairs() -> dict[str, float]:
    return {f"img{index:02d}.png": mos_of(index) for index in range(NUM_ITEMS) if PARTS[index] != "train"}


def leaks(text: str) -> list[str]:
    """Every hidden MOS (in several spellings), and every std, found in `text`."""
    found = []
    for name, mos in hidden_pairs().items():
        for spelling in (repr(mos), f"{mos:.6f}", f"{mos:.5f}", str(float(f"{mos:.7g}"))):
            if spelling in text:
                found.append(f"{name}: MOS {spelling}")
    # a whole number only: std 0.4 is not leaked by a CI bound of 0.4123
    found += [f"std {std_of(index)!r}" for index in range(NUM_ITEMS)
              if re.search(rf"(?<![\d.]){re.escape(repr(std_of(index)))}(?!\d)", text)]
    return found


def predictions_csv(part: str, *, noise: float = 0.0, seed: int = 0) -> bytes:
    """A valid predictions file: MOS plus a deterministic perturbation (noise 0: monotone in the MOS); each seed
    gives other bytes."""
    lines = ["image,score"]
    for position, name in enumerate(names_of(part)):
        index = int(name[3:5])
        wobble = noise * (((position * 7 + seed * 13) % 5) - 2)
        lines.append(f"{name},{mos_of(index) * 10 + wobble + seed / 1000!r}")
    return ("\n".join(lines) + "\n").encode()


def window(hours_before: float = 1, hours_after: float = 24) -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    return now - dt.timedelta(hours=hours_before), now + dt.timedelta(hours=hours_after)


@pytest.fixture
def challenge(dataset_version, coordinator):
    """Public, NTIRE 2024 score, a development phase on val (3/day, 5 total) and a test phase on test (2 total)."""
    from challenges import services

    split = dataset_version.splits.get(name="official")
    challenge = services.challenge_create(
        version=dataset_version, split=split, slug="iqa-2025", title="IQA Challenge 2025", rules="Be fair.",
        terms="I will not hand-label the test images.", score_spec={"formula": "ntire2024"}, by=coordinator,
        is_public=True,
    )
    opens, closes = window()
    services.phase_add(challenge=challenge, kind="development", part="val", opens_at=opens, closes_at=closes,
                       max_per_day=3, max_total=5, by=coordinator)
    services.phase_add(challenge=challenge, kind="test", part="test", opens_at=opens, closes_at=closes,
                       max_per_day=2, max_total=2, by=coordinator)
    return challenge


@pytest.fixture
def team_users(challenge, make_user):
    """Two registered users, each in a team of their own (alpha, beta)."""
    from challenges import services

    users = []
    for name in ("alpha", "beta"):
        user = make_user(f"{name}-lead")
        services.participant_register(challenge=challenge, user=user, accept_terms=True)
        services.team_create(challenge=challenge, name=name.title(), by=user)
        users.append(user)
    return users


def phase(challenge, kind):
    return challenge.phases.get(kind=kind)
