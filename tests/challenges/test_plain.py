"""The plain-Python parts: score formulas, predictions checks with line numbers, fact sheets, the final table."""
import io
import zipfile

import numpy as np
import pytest

from moslab_science.challenges.errors import MAX_PROBLEMS, ChallengeInputError
from moslab_science.challenges.factsheets import clean_fact_sheet
from moslab_science.challenges.predictions import check_mapping, read_predictions
from moslab_science.challenges.scoring import ScoreSpec, score_predictions
from moslab_science.challenges.tables import FINAL_COLUMNS, FinalRow, write_final_table
from moslab_science.metrics import MetricsInputError, evaluate_predictions, fit_mapping, plcc, srcc

NAMES = [f"a{index}.png" for index in range(12)]
MOS = {name: 1 + 0.3 * index + (0.5 if index % 4 == 0 else 0) for index, name in enumerate(NAMES)}
PRED = {name: float(np.exp(0.2 * index)) + (1.1 if index % 3 == 0 else 0) for index, name in enumerate(NAMES)}


def read(text: str, **extra):
    return read_predictions(text.encode(), filename="pred.csv", expected=NAMES[:3], part="val", **extra)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ChallengeInputError) as caught:
        read(text)
    return caught.value.problems


def test_the_ntire_score_is_the_mean_of_srcc_and_the_cubic_fitted_plcc():
    figures = score_predictions(ScoreSpec.from_dict({"formula": "ntire2024"}), PRED, MOS)["figures"]
    pred, mos = np.array([PRED[n] for n in sorted(MOS)]), np.array([MOS[n] for n in sorted(MOS)])
    fitted = fit_mapping(pred, mos, "poly3").mapped
    expected = (abs(srcc(pred, mos)) + abs(plcc(fitted, mos))) / 2
    assert figures["score"] == pytest.approx(expected, abs=1e-12)
    assert figures["plcc_poly3"] != pytest.approx(figures["plcc"]), "the fit must matter on this curved data"
    assert figures["n"] == 12 and figures["srcc"] == pytest.approx(srcc(pred, mos))


def test_the_vquala_score_and_a_weighted_formula():
    vquala = score_predictions(ScoreSpec.from_dict({"formula": "vquala2025"}), PRED, MOS)["figures"]
    assert vquala["score"] == pytest.approx(0.6 * vquala["srcc"] + 0.4 * vquala["plcc"])
    spec = ScoreSpec.from_dict({"formula": "weighted", "weights": {"krcc": 0.5, "plcc_logistic4": 0.5}})
    weighted = score_predictions(spec, PRED, MOS)["figures"]
    evaluation = evaluate_predictions([PRED[n] for n in sorted(MOS)], [MOS[n] for n in sorted(MOS)], resamples=0)
    assert weighted["score"] == pytest.approx(0.5 * evaluation.krcc + 0.5 * evaluation.mapped["logistic4"].plcc)
    assert spec.text() == "Weighted: 0.5 x KRCC + 0.5 x PLCC after a logistic4 fit"


def test_score_specs_list_every_problem():
    with pytest.raises(ChallengeInputError) as caught:
        ScoreSpec.from_dict({"formula": "weighted", "weights": {"srcc": "high", "mse": 1}, "extra": 1})
    text = "\n".join(caught.value.problems)
    assert "unknown key(s) extra" in text and "unknown metric 'mse'" in text and "srcc must be a finite" in text
    with pytest.raises(ChallengeInputError, match="not valid"):
        ScoreSpec.from_dict({"formula": "ntire2025"})
    with pytest.raises(ChallengeInputError):
        ScoreSpec.from_dict({"formula": "ntire2024", "weights": {"srcc": 1}})


def test_constant_mos_cannot_be_scored():
    with pytest.raises(MetricsInputError):
        score_predictions(ScoreSpec("ntire2024"), PRED, dict.fromkeys(NAMES, 3.0))


def test_a_valid_csv_and_a_zip_holding_it_read_the_same():
    text = "image,score\na0.png,1\na1.png,2.5\na2.png,-3e-1\n"
    assert read(text) == {"a0.png": 1.0, "a1.png": 2.5, "a2.png": -0.3}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sub/pred.csv", text)
        archive.writestr("__MACOSX/._pred.csv", "junk")
    assert read_predictions(buffer.getvalue(), filename="pred.zip", expected=NAMES[:3], part="val") == read(text)


def test_every_problem_is_listed_with_its_line():
    problems = problems_of("image,score\na0.png,1\na0.png,2\na1.png,abc\nzz.png,3\na1.png,nan\n,4\n")
    assert "line 3: 'a0.png' repeats line 2 (one row per image)" in problems
    assert "line 4: score of 'a1.png' is 'abc', not a finite number" in problems
    assert "line 5: 'zz.png' is not an image of the val part" in problems
    assert "line 6: 'a1.png' repeats line 4 (one row per image)" in problems
    assert "line 7: empty image" in problems
    assert "1 image(s) of the val part have no prediction: 'a2.png'" in problems


def test_infinite_scores_extra_cells_and_constant_predictions_are_refused():
    problems = problems_of("image,score\na0.png,inf\na1.png,1,9\na2.png,1\n")
    assert "line 2: score of 'a0.png' is 'inf', not a finite number" in problems
    assert "line 3: more cells than the header has columns" in problems
    assert any("every score is 1.0" in problem for problem in problems_of("image,score\na0.png,1\na1.png,1\n"
                                                                          "a2.png,1\n"))


def test_files_that_are_not_a_predictions_table_say_what_to_fix():
    with pytest.raises(ChallengeInputError, match="missing column.s. score; the first line must be image,score"):
        read("image,prediction\na0.png,1\n")
    with pytest.raises(ChallengeInputError, match="not UTF-8"):
        read_predictions(b"image,score\n\xff\xfe,1\n", filename="p.csv", expected=NAMES[:3], part="val")
    with pytest.raises(ChallengeInputError, match="the limit is 10 bytes"):
        read("image,score\na0.png,1\n", max_bytes=10)
    with pytest.raises(ChallengeInputError, match="header but no rows"):
        read("image,score\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "image,score\n")
        archive.writestr("b.csv", "image,score\n")
    with pytest.raises(ChallengeInputError, match="exactly one CSV file and nothing else; it holds a.csv, b.csv"):
        read_predictions(buffer.getvalue(), filename="p.zip", expected=NAMES, part="val")


def test_the_problem_list_is_capped():
    rows = "".join(f"x{index}.png,1\n" for index in range(200))
    with pytest.raises(ChallengeInputError) as caught:
        read_predictions(("image,score\n" + rows).encode(), filename="p.csv", expected=NAMES, part="val")
    assert len(caught.value.problems) == MAX_PROBLEMS + 1
    assert caught.value.problems[-1].startswith("... and 151 more problem(s)")
    assert "201 problem(s)" in str(caught.value.args[0])


def test_a_mapping_gets_the_same_checks():
    assert check_mapping({"a0.png": 1, "a1.png": 2.0, "a2.png": 3}, expected=NAMES[:3], part="test") == {
        "a0.png": 1.0, "a1.png": 2.0, "a2.png": 3.0}
    with pytest.raises(ChallengeInputError) as caught:
        check_mapping({"a0.png": float("nan"), "a1.png": 2.0}, expected=NAMES[:3], part="test")
    assert any("'a2.png'" in problem for problem in caught.value.problems)
    assert any("score of 'a0.png' is 'nan'" in problem for problem in caught.value.problems)


def test_fact_sheets_need_every_required_field():
    with pytest.raises(ChallengeInputError) as caught:
        clean_fact_sheet({"method": " ", "parameters_m": "-2", "gflops": "many", "ensemble": "maybe",
                          "code_url": "ftp://x"})
    problems = caught.value.problems
    assert {"method: required", "input_size: required", "extra_data: required"} <= set(problems)
    assert any(problem.startswith("parameters_m:") for problem in problems)
    assert any(problem.startswith("gflops:") for problem in problems)
    assert any(problem.startswith("ensemble:") for problem in problems)
    assert any(problem.startswith("code_url:") for problem in problems)
    clean = clean_fact_sheet({"method": "Swin + MLP", "parameters_m": "87.8", "input_size": "384x384",
                              "gflops": 47.2, "ensemble": "no", "extra_data": True, "code_url": "https://x.org/a"})
    assert clean == {"method": "Swin + MLP", "parameters_m": 87.8, "input_size": "384x384", "gflops": 47.2,
                     "ensemble": False, "extra_data": True, "code_url": "https://x.org/a"}


def test_the_final_table_has_the_layout_of_the_reports():
    stream = io.StringIO()
    write_final_table([
        FinalRow(1, "=Team", 0.91234, 0.9, 0.92468, 87.8, "384x384", 47.2, False, True),
        FinalRow(None, "ResNet-50", 0.5, 0.4, 0.6, is_baseline=True),
    ], stream)
    lines = stream.getvalue().splitlines()
    assert lines[0] == ",".join(FINAL_COLUMNS)
    assert lines[1] == "1,'=Team,0.9123,0.9000,0.9247,87.8,384x384,47.2,no,yes"
    assert lines[2] == ",baseline: ResNet-50,0.5000,0.4000,0.6000,,,,,"
