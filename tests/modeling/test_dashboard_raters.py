"""Rater-quality figures and agreement statistics (plain Python, no database)."""
import numpy as np
import pytest

from moslab_science.charts.raters import (
    RaterRow,
    agreement_statistics,
    agreement_table,
    bias_inconsistency,
    rater_correlations,
    screening_decisions,
)


def rater(name, *, rejected=False, automatic=False, bias=None, inconsistency=None, spearman=0.8, overridden=False):
    return RaterRow(name, 10, rejected, automatic, overridden, None, None, spearman - 0.05, spearman, bias,
                    inconsistency)


def test_bias_inconsistency_puts_kept_and_rejected_raters_apart():
    rows = [rater("ann", bias=0.2, inconsistency=0.5),
            rater("bob", rejected=True, automatic=True, bias=-1.1, inconsistency=1.9),
            rater("cy", bias=0.0, inconsistency=0.3)]
    chart = bias_inconsistency(rows, method="mle")
    kept, rejected = chart.figure["data"]
    assert kept["text"] == ["ann", "cy"] and kept["x"] == [0.2, 0.0] and kept["y"] == [0.5, 0.3]
    assert rejected["text"] == ["bob"] and rejected["x"] == [-1.1] and rejected["y"] == [1.9]
    assert chart.figure["layout"]["xaxis"]["title"]["text"].startswith("Bias")
    assert chart.note == ""


def test_methods_without_bias_say_which_method_would_fill_the_chart():
    chart = bias_inconsistency([rater("ann"), rater("bob")], method="bt500")
    assert all(trace["x"] == [] for trace in chart.figure["data"])
    assert "bt500" in chart.note and "MLE" in chart.note
    assert [row[0] for row in chart.rows] == ["ann", "bob"]


def test_screening_counts_method_and_final_decisions():
    rows = [rater("a"), rater("b", rejected=True, automatic=True),
            rater("c", rejected=False, automatic=True, overridden=True),
            RaterRow("d", 3, False, None, False, *[None] * 6)]
    chart = screening_decisions(rows, method="bt500")
    counts = {trace["name"]: trace["y"] for trace in chart.figure["data"]}
    assert counts == {"kept": [1, 3], "rejected": [2, 1], "not screened": [1, 0]}
    correlations = rater_correlations(rows[:3])
    assert correlations.figure["data"][1]["x"] == [0.8, 0.8, 0.8]


def test_agreement_of_identical_raters_is_perfect_and_missing_cells_explain_icc():
    truth = np.linspace(1, 5, 12)
    scores = np.repeat(truth[:, None, None], 4, axis=1)
    statistics = {row.statistic: row for row in agreement_statistics(scores)}
    assert statistics["Krippendorff's alpha (interval)"].value == pytest.approx(1.0)
    assert statistics["ICC(2,1)"].value == pytest.approx(1.0)
    assert statistics["Split-half SRCC (Spearman-Brown)"].value == pytest.approx(1.0)
    scores[0, 0, 0] = np.nan
    statistics = {row.statistic: row for row in agreement_statistics(scores)}
    assert statistics["ICC(2,1)"].value is None and "every stimulus" in statistics["ICC(2,1)"].note
    assert statistics["Krippendorff's alpha (interval)"].value == pytest.approx(1.0)
    table = agreement_table(list(statistics.values()))
    assert table.figure["data"][0]["cells"]["values"][1][2] == "—"


def test_agreement_falls_as_raters_disagree():
    rng = np.random.default_rng(0)
    truth = rng.uniform(1, 5, 30)
    close = truth[:, None, None] + rng.normal(0, 0.2, (30, 6, 1))
    noisy = truth[:, None, None] + rng.normal(0, 2.0, (30, 6, 1))
    alpha = {name: agreement_statistics(s)[0].value for name, s in (("close", close), ("noisy", noisy))}
    assert alpha["close"] > 0.9 > alpha["noisy"]


def test_long_agreement_notes_wrap_and_the_table_is_tall_enough_for_them():
    scores = np.repeat(np.linspace(1, 5, 12)[:, None, None], 4, axis=1)
    scores[0, 0, 0] = np.nan  # ICC's note explains at length why it is missing
    rows = agreement_statistics(scores)
    long_note = next(row.note for row in rows if row.statistic == "ICC(2,1)")
    assert len(long_note) > 60
    table = agreement_table(rows)
    notes = table.figure["data"][0]["cells"]["values"][2]
    shown = next(note for note in notes if note.replace("<br>", " ") == long_note)
    assert shown.count("<br>") >= 1 and all(len(line) <= 40 for line in shown.split("<br>"))
    lines = sum(max(1, note.count("<br>") + 1) for note in notes)
    assert table.figure["layout"]["height"] >= 60 + 30 + 18 * lines + 30, "plotly clips what does not fit"
    assert table.rows[2][2] == long_note, "the CSV keeps the note as it is"
