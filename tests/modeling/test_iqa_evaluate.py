"""``manage.py iqa evaluate`` and ``iqa baseline``: files in, a readable table and strict JSON out."""

import csv
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image
from skimage import data, filters


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(4)
    mos = rng.uniform(1, 5, 24)
    table_rows = [
        [f"s{i}.png", f"{m:.4f}", ["bicubic", "lanczos", "nlmeans"][i % 3], "test"] for i, m in enumerate(mos)
    ]
    table = write_csv(tmp_path / "table.csv", ["image", "mos", "enhancer", "split"], table_rows)
    pred = write_csv(
        tmp_path / "pred.csv", ["image", "score"], [[f"s{i}.png", m + rng.normal(0, 0.6)] for i, m in enumerate(mos)]
    )
    return table, pred


def run(*args):
    lines = []

    class Capture:
        def write(self, text):
            lines.append(text)

        def flush(self):
            pass

    call_command("iqa", *[str(arg) for arg in args], stdout=Capture())
    return "".join(lines)


def test_evaluate_prints_a_table_per_group_and_writes_every_metric(files, tmp_path):
    table, pred = files
    printed = run(
        "evaluate",
        "--pred",
        pred,
        "--table",
        table,
        "--group-by",
        "enhancer",
        "--out",
        tmp_path / "r.json",
        "--resamples",
        100,
    )
    header, *lines = printed.splitlines()
    assert header.split()[:5] == ["group", "n", "srcc", "krcc", "plcc"]
    assert [line.split()[0] for line in lines[:4]] == ["(all)", "bicubic", "lanczos", "nlmeans"]
    assert "fit logistic4: converged" in printed
    result = json.loads((tmp_path / "r.json").read_text())
    overall = result["overall"]
    assert overall["n"] == 24 and set(overall["mapped"]) == {"logistic4", "logistic5", "poly3"}
    assert overall["mapped"]["logistic5"]["converged"] is True
    assert set(overall["scores"]) == {"ntire2024", "vquala2025", "srcc_plcc"}
    assert overall["ci95"]["srcc"]["low"] < overall["srcc"] < overall["ci95"]["srcc"]["high"]
    assert set(result["groups"]["groups"]) == {"bicubic", "lanczos", "nlmeans"}
    assert f"{overall['srcc']:.4f}" in lines[0]


def test_evaluate_errors_say_what_to_fix(files, tmp_path):
    table, _ = files
    partial = write_csv(tmp_path / "partial.csv", ["image", "score"], [["s0.png", 1], ["s1.png", 2], ["s1.png", 3]])
    with pytest.raises(CommandError, match="'s1.png' repeats line 3"):
        run("evaluate", "--pred", partial, "--table", table)
    partial = write_csv(tmp_path / "partial.csv", ["image", "score"], [["s0.png", 1], ["s1.png", 2]])
    with pytest.raises(CommandError, match="22 image\\(s\\) of the table have no prediction"):
        run("evaluate", "--pred", partial, "--table", table)
    constant = write_csv(tmp_path / "constant.csv", ["image", "score"], [[f"s{i}.png", 3] for i in range(24)])
    with pytest.raises(CommandError, match="predictions are constant"):
        run("evaluate", "--pred", constant, "--table", table)
    with pytest.raises(CommandError, match="cannot read"):
        run("evaluate", "--pred", tmp_path / "absent.csv", "--table", table)


@pytest.fixture
def blur_study(tmp_path):
    """Twelve crops of a bundled photo at four blur levels; MOS falls with blur; one crop in three is test."""
    folder = tmp_path / "images"
    folder.mkdir()
    gray = data.hubble_deep_field()[..., 1].astype(float)
    rows = []
    for index in range(12):
        top, left = divmod(index, 4)
        crop = gray[top * 200 : top * 200 + 128, left * 200 : left * 200 + 128]
        for sigma in (0, 1, 2, 3):
            image = filters.gaussian(crop, sigma=sigma, preserve_range=True) if sigma else crop
            name = f"c{index}-b{sigma}.png"
            Image.fromarray(np.clip(np.rint(image), 0, 255).astype(np.uint8)).save(folder / name)
            rows.append([name, 5 - sigma, f"c{index}", "test" if index % 3 == 0 else "train"])
    table = write_csv(tmp_path / "table.csv", ["image", "mos", "source_content", "split"], rows)
    return table, folder


def test_brisque_baseline_then_evaluate_on_the_test_part(blur_study, tmp_path):
    table, folder = blur_study
    printed = run(
        "baseline",
        "--method",
        "brisque",
        "--table",
        table,
        "--images",
        folder,
        "--out",
        tmp_path / "brisque.csv",
        "--split-column",
        "split",
    )
    assert "SVR trained on the 32 'train' images" in printed
    with open(tmp_path / "brisque.csv", newline="") as handle:
        predicted = list(csv.DictReader(handle))
    assert len(predicted) == 16 and all(row["image"].startswith(("c0-", "c3-", "c6-", "c9-")) for row in predicted)
    run(
        "evaluate",
        "--pred",
        tmp_path / "brisque.csv",
        "--table",
        table,
        "--split-column",
        "split",
        "--part",
        "test",
        "--out",
        tmp_path / "r.json",
        "--resamples",
        0,
    )
    assert json.loads((tmp_path / "r.json").read_text())["overall"]["srcc"] > 0.7


def test_baseline_refuses_a_missing_folder(blur_study, tmp_path):
    table, _ = blur_study
    with pytest.raises(CommandError, match="is not a folder"):
        run(
            "baseline",
            "--method",
            "niqe",
            "--table",
            table,
            "--images",
            tmp_path / "nowhere",
            "--out",
            tmp_path / "p.csv",
        )
