"""Small tables and image folders for the IQA package tests (tiny images keep the suite fast)."""
import csv
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tests.conftest import write_image

# Other work shares the 2 cores: one intra-op thread avoids OpenMP spin-waiting, ~20x faster on a loaded machine.
torch.set_num_threads(1)

PARTS = ["train"] * 6 + ["val"] * 3 + ["test"] * 3


def write_table(path: Path, rows: list[dict], columns=("image", "mos", "split")) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def make_study_data(root: Path, *, size=(80, 72), parts=PARTS) -> tuple[Path, Path]:
    """An image folder and a table whose MOS follows the images' brightness, so training has signal; each
    image also has a text prompt (for the prompt-conditioned models)."""
    folder = root / "images"
    rows = []
    for index, part in enumerate(parts):
        path = write_image(folder / f"img{index:02d}.png", size=size, seed=index)
        with Image.open(path) as image:
            brightness = float(np.asarray(image).mean())
        rows.append({"image": path.name, "mos": 1 + 4 * brightness / 255, "split": part, "prompt": f"scene {index}"})
    return write_table(root / "table.csv", rows, columns=("image", "mos", "split", "prompt")), folder

