"""A small imported dataset (brightness decides the MOS) with a version, and a researcher to launch runs on it; a
second study's version for cross-dataset tests, and an empty offline weight cache for tiny pretrained models."""
import csv

import numpy as np
import pytest
from PIL import Image

TINY = {"preset": "tiny", "train": {"epochs": 2, "batch_size": 4}}


def write_dataset(folder, *, count: int = 30):
    """`count` 192x192 images (NIQE needs two 96 px patches) whose MOS (1..5) follows their brightness:
    10 source contents, each enhanced by both enhancers."""
    images = folder / "images"
    images.mkdir(parents=True)
    rng = np.random.default_rng(5)
    rows = []
    for index in range(count):
        level = index / (count - 1)
        pixels = np.clip(rng.normal(40 + 180 * level, 25, size=(192, 192, 3)), 0, 255).astype(np.uint8)
        name = f"c{index % 10}_{index}.png"
        Image.fromarray(pixels).save(images / name)
        rows.append((name, round(float(np.clip(1 + 4 * level + rng.normal(0, 0.1), 1, 5)), 4), f"c{index % 10}",
                     "esrgan" if (index // 10) % 2 else "hat"))
    table = folder / "mos.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("image", "mos", "content", "enhancer"))
        writer.writerows(rows)
    return table, images


@pytest.fixture
def researcher(make_user):
    return make_user("res")


@pytest.fixture
def dataset_version(coordinator, researcher, tmp_path):
    from studies import services
    from studies.datasets import services as dataset_services
    from studies.datasets.imports import dataset_import
    from studies.models import Membership

    table, images = write_dataset(tmp_path / "bright")
    report = dataset_import(name="Brightness", slug="bright", by=coordinator, source_format="mos_table",
                            source=table, images=images, scale=(1, 5),
                            options={"name": "image", "mos": "mos", "source_content": "content",
                                     "group_columns": ["enhancer"]})
    services.membership_add(study=report.study, user=researcher, role=Membership.Role.RESEARCHER)
    return dataset_services.dataset_version_create(study=report.study, by=coordinator)


@pytest.fixture
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache and weight registry that the tests fill with tiny pretrained models."""
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return tmp_path / "hf" / "hub"


@pytest.fixture
def other_version(coordinator, researcher, tmp_path):
    """A second study (its own images, darker ones rated lower too) whose version a run of the first is tested on."""
    from studies import services
    from studies.datasets import services as dataset_services
    from studies.datasets.imports import dataset_import
    from studies.models import Membership

    table, images = write_dataset(tmp_path / "other", count=20)
    report = dataset_import(name="Other lab", slug="other-lab", by=coordinator, source_format="mos_table",
                            source=table, images=images, scale=(1, 5),
                            options={"name": "image", "mos": "mos", "source_content": "content",
                                     "group_columns": ["enhancer"]})
    services.membership_add(study=report.study, user=researcher, role=Membership.Role.RESEARCHER)
    return dataset_services.dataset_version_create(study=report.study, by=coordinator)
