"""The CLI core and the ``manage.py mos compute`` command (no database, no Django settings needed)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from moslab_science.mos import MosInputError
from moslab_science.mos.cli import compute
from studies.management.commands.mos import Command

RATINGS = "stimulus,subject,score\n" + "".join(
    f"img{e},rater{s},{(e + s) % 5 + 1}\n" for e in range(6) for s in range(4)
)


@pytest.fixture
def ratings(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS)
    return path


@pytest.mark.parametrize("method", ["mean", "bt500", "correlation", "zscore", "p913", "mle"])
def test_compute_returns_the_documented_json_shape(ratings, method: str) -> None:
    result = compute(ratings, method, "default", 1, 5)
    assert set(result) == {"method", "mode", "parameters", "scale", "warnings", "stimuli", "subjects"}
    assert (result["method"], result["mode"], result["scale"]) == (method, "default", [1.0, 5.0])
    assert set(result["stimuli"]) == {f"img{e}" for e in range(6)}
    assert set(result["stimuli"]["img0"]) == {"mos", "std", "ci95", "n"}
    assert set(result["subjects"]["rater0"]) == {"rejected", "P", "Q", "bias", "inconsistency", "reason"}
    rejected = [s for s, row in result["subjects"].items() if row["rejected"]]
    assert result["stimuli"]["img0"]["n"] == 4 - len(rejected)  # everyone rated everything
    json.dumps(result, allow_nan=False)


def test_fields_a_method_does_not_produce_are_null(ratings) -> None:
    mean = compute(ratings, "mean", "sureal", 1, 5)
    assert mean["subjects"]["rater1"]["rejected"] is None and mean["subjects"]["rater1"]["bias"] is None
    mle = compute(ratings, "mle", "sureal", 1, 5)
    assert mle["stimuli"]["img1"]["std"] is None and mle["subjects"]["rater1"]["P"] is None
    assert isinstance(mle["subjects"]["rater1"]["inconsistency"], float)
    bt500 = compute(ratings, "bt500", "sureal", 1, 5)
    assert isinstance(bt500["subjects"]["rater1"]["P"], int)
    assert bt500["subjects"]["rater1"]["reason"].startswith(("kept", "rejected"))


def test_compute_reports_bad_input(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("stimulus,subject,score\na,s1,7\n")
    with pytest.raises(MosInputError, match="row 2: score 7 is outside the scale"):
        compute(path, "mean", "default", 1, 5)


def test_management_command_writes_the_result(ratings, tmp_path) -> None:
    out = tmp_path / "result.json"
    call_command(
        Command(),
        "compute",
        str(ratings),
        "--method",
        "bt500",
        "--mode",
        "sureal",
        "--scale",
        "1",
        "5",
        "--out",
        str(out),
    )
    written = json.loads(out.read_text())
    assert written == compute(ratings, "bt500", "sureal", 1, 5)
    assert Command.requires_system_checks == []


def test_management_command_turns_errors_into_command_errors(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("stimulus,subject,score\na,s1,x\n")
    with pytest.raises(CommandError, match="row 2: score 'x' is not a number"):
        call_command(
            Command(), "compute", str(bad), "--method", "mean", "--scale", "1", "5", "--out", str(tmp_path / "o.json")
        )
    with pytest.raises(CommandError, match="cannot read"):
        call_command(
            Command(),
            "compute",
            str(tmp_path / "missing.csv"),
            "--method",
            "mean",
            "--scale",
            "1",
            "5",
            "--out",
            str(tmp_path / "o.json"),
        )
    with pytest.raises(CommandError, match="applies to --method zscore only"):
        call_command(
            Command(),
            "compute",
            str(bad),
            "--method",
            "mean",
            "--scale",
            "1",
            "5",
            "--zscore-rescale",
            "minmax",
            "--out",
            str(tmp_path / "o.json"),
        )
