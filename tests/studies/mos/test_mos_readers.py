"""Readers, validation errors that name what to fix, and the warnings recorded with results."""

import numpy as np
import pytest

from moslab_science.mos import (
    MosInputError,
    ScoreMatrix,
    compute_mos,
    histogram_mos,
    matrix_from_long_rows,
    matrix_from_sureal_raw,
    read_histogram_csv,
    read_long_csv,
)


def _write(tmp_path, text: str, name: str = "ratings.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_csv_places_votes_and_repetitions(tmp_path) -> None:
    path = _write(tmp_path, "stimulus,subject,score,repetition\na,s1,4,2\na,s1,2,1\nb,s2,5,\na,s2,3,\n")
    matrix = read_long_csv(path, scale=(1, 5))
    assert matrix.stimulus_ids == ("a", "b")
    assert matrix.subject_ids == ("s1", "s2")
    assert matrix.scores.shape == (2, 2, 2)
    np.testing.assert_array_equal(matrix.scores[0, 0], [2, 4])  # ordered by repetition number
    np.testing.assert_array_equal(matrix.scores[0, 1], [3, np.nan])
    np.testing.assert_array_equal(matrix.scores[1, 1], [5, np.nan])
    assert np.isnan(matrix.scores[1, 0]).all()


def test_long_csv_with_other_column_names(tmp_path) -> None:
    path = _write(tmp_path, "image,rater,value,extra\nx.png,r1,1.5,z\n")
    matrix = read_long_csv(path, scale=(0, 10), stimulus_column="image", subject_column="rater", score_column="value")
    assert matrix.scores[0, 0, 0] == 1.5


def test_scores_are_read_only() -> None:
    matrix = matrix_from_long_rows([{"stimulus": "a", "subject": "s", "score": 3}], scale=(1, 5))
    with pytest.raises(ValueError):
        matrix.scores[0, 0, 0] = 1.0


@pytest.mark.parametrize("value", ["good", "", "nan", "inf"])
def test_non_numeric_score_names_the_row_and_value(tmp_path, value: str) -> None:
    path = _write(tmp_path, f"stimulus,subject,score\na,s1,3\na,s2,{value}\n")
    with pytest.raises(MosInputError, match=rf"row 3: score '{value}' is not a number"):
        read_long_csv(path, scale=(1, 5))


def test_off_scale_score_names_the_row_value_and_scale(tmp_path) -> None:
    path = _write(tmp_path, "stimulus,subject,score\na,s1,3\nb,s1,6\n")
    with pytest.raises(MosInputError, match=r"row 3: score 6 is outside the scale \[1, 5\]"):
        read_long_csv(path, scale=(1, 5))


def test_duplicate_rows_are_named_with_their_row_numbers(tmp_path) -> None:
    path = _write(tmp_path, "stimulus,subject,score\na,s1,3\nb,s1,4\na,s1,5\n")
    with pytest.raises(MosInputError, match=r"rows 2 and 4 \(stimulus 'a', subject 's1', repetition 1\)"):
        read_long_csv(path, scale=(1, 5))


def test_duplicate_repetition_numbers_are_rejected(tmp_path) -> None:
    path = _write(tmp_path, "stimulus,subject,score,repetition\na,s1,3,2\na,s1,4,2\n")
    with pytest.raises(MosInputError, match=r"1 duplicate rating\(s\)"):
        read_long_csv(path, scale=(1, 5))


def test_empty_study_is_an_error(tmp_path) -> None:
    with pytest.raises(MosInputError, match="the study is empty"):
        read_long_csv(_write(tmp_path, "stimulus,subject,score\n"), scale=(1, 5))
    with pytest.raises(MosInputError, match="the study is empty"):
        ScoreMatrix(np.full((2, 3), np.nan), ("a", "b"), ("s1", "s2", "s3"), (1, 5))


def test_missing_column_names_the_header(tmp_path) -> None:
    path = _write(tmp_path, "stimulus,rater,score\na,s1,3\n")
    with pytest.raises(MosInputError, match="missing column\\(s\\) subject"):
        read_long_csv(path, scale=(1, 5))


def test_empty_id_and_bad_repetition_name_the_row(tmp_path) -> None:
    with pytest.raises(MosInputError, match="row 2: the subject is empty"):
        read_long_csv(_write(tmp_path, "stimulus,subject,score\na,,3\n"), scale=(1, 5))
    with pytest.raises(MosInputError, match="row 2: repetition 'first' is not a whole number"):
        read_long_csv(_write(tmp_path, "stimulus,subject,score,repetition\na,s,3,first\n"), scale=(1, 5))


def test_matrix_validation_names_the_offending_cell() -> None:
    with pytest.raises(MosInputError, match=r"9.0 by subject 's2' on stimulus 'b'"):
        ScoreMatrix(np.array([[1.0, 2.0], [3.0, 9.0]]), ("a", "b"), ("s1", "s2"), (1, 5))
    with pytest.raises(MosInputError, match="subject ids must be unique; repeated: 's1'"):
        ScoreMatrix(np.ones((1, 2)), ("a",), ("s1", "s1"), (1, 5))
    with pytest.raises(MosInputError, match="lo < hi"):
        ScoreMatrix(np.ones((1, 1)), ("a",), ("s1",), (5, 1))


def test_sureal_raw_reader_handles_missing_votes_and_repetitions() -> None:
    raw = {"a": {"s1": 3, "s2": None}, "b": {"s1": [4, 5], "s3": 2}}
    matrix = matrix_from_sureal_raw(raw, scale=(1, 5))
    assert matrix.subject_ids == ("s1", "s2", "s3")
    assert matrix.scores.shape == (2, 3, 2)
    np.testing.assert_array_equal(matrix.scores[1, 0], [4, 5])
    assert np.isnan(matrix.scores[0, 1]).all()
    with pytest.raises(MosInputError, match="stimulus 'a', subject 's1': score 'x' is not a number"):
        matrix_from_sureal_raw({"a": {"s1": "x"}}, scale=(1, 5))


def test_histogram_mos_and_sd_by_hand() -> None:
    # votes 1, 1, 3 on levels 1..3: MOS 5/3, SD^2 = (2 (2/3)^2 + (4/3)^2) / 2 = 4/3
    result = histogram_mos(np.array([[2, 0, 1]]), levels=(1, 2, 3))
    assert result.mos[0] == pytest.approx(5 / 3)
    assert result.std[0] == pytest.approx(np.sqrt(4 / 3))
    assert result.n[0] == 3


def test_histogram_csv_errors_name_the_stimulus(tmp_path) -> None:
    header = "image_name,c1,c2,c3,c4,c5,c_total\n"
    with pytest.raises(MosInputError, match="'x.jpg': the level fractions sum to 0.900000"):
        read_histogram_csv(_write(tmp_path, header + "x.jpg,0.1,0.2,0.3,0.2,0.1,10\n"))
    with pytest.raises(MosInputError, match="'y.jpg': fractions x total are not whole vote counts"):
        read_histogram_csv(_write(tmp_path, header + "y.jpg,0.5,0.5,0,0,0,3\n"))
    with pytest.raises(MosInputError, match="must be finite and not negative"):
        histogram_mos(np.array([[1, -1, 2]]), levels=(1, 2, 3), stimulus_ids=("z",))


def _codes(matrix: ScoreMatrix, method: str = "mean") -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    return {w.code: (w.stimuli, w.subjects) for w in compute_mos(matrix, method).warnings}


def test_warnings_for_single_votes_unrated_stimuli_and_flat_votes() -> None:
    nan = np.nan
    scores = np.array(
        [
            [1.0, 2.0, nan, nan],  # a: ordinary
            [3.0, 3.0, nan, nan],  # b: all votes equal
            [nan, nan, nan, nan],  # c: no votes
            [2.0, 4.0, 5.0, nan],  # d: the only vote of s3
            [4.0, nan, nan, nan],  # e: a single vote
        ]
    )
    scores[:, 3] = [nan, nan, nan, nan, nan]  # s4: no votes at all
    matrix = ScoreMatrix(scores, ("a", "b", "c", "d", "e"), ("s1", "s2", "s3", "s4"), (1, 5))
    codes = _codes(matrix)
    assert codes["unrated_stimulus"][0] == ("c",)
    assert codes["single_vote_stimulus"][0] == ("e",)
    assert codes["zero_variance_stimulus"][0] == ("b",)
    assert codes["single_vote_subject"][1] == ("s3",)
    assert codes["unrated_subject"][1] == ("s4",)


def test_zero_variance_subject_is_warned_and_left_out_of_zscores() -> None:
    scores = np.array([[1.0, 3.0, 2.0], [2.0, 3.0, 4.0], [3.0, 3.0, 5.0]])
    matrix = ScoreMatrix(scores, ("a", "b", "c"), ("s1", "flat", "s3"), (1, 5))
    codes = _codes(matrix, "zscore")
    assert codes["zero_variance_subject"][1] == ("flat",)
    assert codes["zscore_subjects_excluded"][1] == ("flat",)


def test_result_json_uses_null_and_never_nan() -> None:
    scores = np.array([[1.0, 2.0], [4.0, np.nan], [np.nan, np.nan]])
    result = compute_mos(ScoreMatrix(scores, ("a", "b", "c"), ("s1", "s2"), (1, 5)), "mean").as_dict()
    assert result["stimuli"]["b"] == {"mos": 4.0, "std": None, "ci95": None, "n": 1}
    assert result["stimuli"]["c"]["mos"] is None
    assert result["subjects"]["s1"] == {
        "rejected": None,
        "P": None,
        "Q": None,
        "bias": None,
        "inconsistency": None,
        "reason": None,
    }
