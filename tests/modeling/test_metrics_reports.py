"""Joining prediction files with MOS tables, per-group breakdowns and per-dataset-pair tables."""

import csv

import numpy as np
import pytest

from moslab_science.metrics import (
    ZERO_SHOT,
    MetricsInputError,
    evaluate_groups,
    evaluate_predictions,
    evaluate_table,
    format_rows,
    pair_rows,
    srcc,
)
from moslab_science.metrics.tables import read_rows, write_predictions


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for index in range(30):
        part = "test" if index % 3 == 0 else "train"
        rows.append([f"img{index}.png", f"{rng.uniform(1, 5):.3f}", "blur" if index % 2 else "noise", part])
    return write_csv(tmp_path / "table.csv", ["image", "mos", "degradation", "split"], rows)


def predictions_for(table_path, tmp_path, *, only=None, noise=0.5, name="pred.csv"):
    rng = np.random.default_rng(2)
    rows = read_rows(table_path, required=("image", "mos"))
    scores = {
        row["image"]: float(row["mos"]) + rng.normal(0, noise) for row in rows if only is None or row["split"] == only
    }
    write_predictions(scores, tmp_path / name)
    return tmp_path / name, scores


def test_table_report_matches_the_metrics_of_the_joined_arrays(table, tmp_path):
    pred_path, scores = predictions_for(table, tmp_path)
    report = evaluate_table(pred_path, table, group_by="degradation", resamples=50)
    mos = {row["image"]: float(row["mos"]) for row in read_rows(table, required=("image",))}
    names = list(mos)
    assert report.overall.srcc == pytest.approx(srcc([scores[n] for n in names], [mos[n] for n in names]))
    assert set(report.groups.evaluations) == {"blur", "noise"}
    assert report.groups.evaluations["blur"].n == 15
    assert report.as_dict()["selection"]["group_by"] == "degradation"


def test_a_part_is_selected_and_other_parts_predictions_are_left_out(table, tmp_path):
    pred_path, _ = predictions_for(table, tmp_path)
    report = evaluate_table(pred_path, table, split_column="split", part="test", resamples=0)
    assert report.overall.n == 10


def test_missing_images_on_either_side_are_named(table, tmp_path):
    pred_path, scores = predictions_for(table, tmp_path, only="test")
    with pytest.raises(MetricsInputError, match="20 image\\(s\\) of the table have no prediction: 'img1.png'"):
        evaluate_table(pred_path, table, resamples=0)
    write_predictions({**scores, "stranger.png": 3.0}, pred_path)
    with pytest.raises(MetricsInputError, match="1 predicted image\\(s\\) are not in the table: 'stranger.png'"):
        evaluate_table(pred_path, table, split_column="split", part="test", resamples=0)


def test_duplicates_nan_and_text_are_each_reported_with_their_line(table, tmp_path):
    rows = [["img0.png", "1"], ["img0.png", "2"], ["img3.png", "nan"], ["img6.png", "good"]]
    pred_path = write_csv(tmp_path / "bad.csv", ["image", "score"], rows)
    with pytest.raises(MetricsInputError) as caught:
        evaluate_table(pred_path, table, resamples=0)
    message = str(caught.value)
    assert "line 3: 'img0.png' repeats line 2" in message
    assert "line 4: score of 'img3.png' is 'nan'" in message
    assert "line 5: score of 'img6.png' is 'good'" in message


def test_missing_columns_and_unknown_group_are_refused(table, tmp_path):
    pred_path = write_csv(tmp_path / "p.csv", ["name", "score"], [["img0.png", "1"]])
    with pytest.raises(MetricsInputError, match="missing column\\(s\\) image; the header is name,score"):
        evaluate_table(pred_path, table)
    pred_path, _ = predictions_for(table, tmp_path)
    with pytest.raises(MetricsInputError, match="no column 'enhancer'"):
        evaluate_table(pred_path, table, group_by="enhancer")
    with pytest.raises(MetricsInputError, match="both a split column and a part"):
        evaluate_table(pred_path, table, split_column="split")


def test_formula_like_names_survive_the_round_trip(tmp_path):
    names = [f"-{index}.png" for index in range(5)]
    write_predictions(dict(zip(names, range(5), strict=True)), tmp_path / "pred.csv")
    assert (tmp_path / "pred.csv").read_text().splitlines()[1].startswith("'-0.png")
    table = write_csv(tmp_path / "t.csv", ["image", "mos"], [[name, index] for index, name in enumerate(names)])
    assert evaluate_table(tmp_path / "pred.csv", table, resamples=0).overall.srcc == pytest.approx(1.0)


def test_groups_without_figures_are_listed_with_the_reason():
    pred = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    mos = np.array([1.0, 3, 2, 4, 4, 4, 4, 5])
    groups = ["a", "a", "a", "a", "b", "b", "b", "c"]
    breakdown = evaluate_groups(pred, mos, groups, column="enhancer", resamples=0)
    assert set(breakdown.evaluations) == {"a"}
    assert "MOS are constant" in breakdown.skipped["b"]
    assert "at least 3" in breakdown.skipped["c"]


def test_pair_rows_lay_out_cross_dataset_and_zero_shot_results():
    rng = np.random.default_rng(0)
    mos = rng.uniform(1, 5, 20)
    results = {
        ("koniq", "biq2021"): evaluate_predictions(mos + rng.normal(0, 1, 20), mos, resamples=0),
        (ZERO_SHOT, "biq2021"): evaluate_predictions(mos + rng.normal(0, 2, 20), mos, resamples=0),
    }
    rows = pair_rows(results, figures=("srcc", "plcc_poly3"))
    assert [(row["train"], row["test"]) for row in rows] == [(ZERO_SHOT, "biq2021"), ("koniq", "biq2021")]
    assert rows[1]["srcc"] == results[("koniq", "biq2021")].srcc
    text = format_rows(rows)
    assert text.splitlines()[0].split() == ["train", "test", "n", "srcc", "plcc_poly3"]
    assert f"{rows[1]['srcc']:.4f}" in text.splitlines()[2]
