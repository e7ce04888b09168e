"""Imports of external datasets: the three table forms, and every problem of a bad file reported at once."""

import io

import pytest

from moslab_science.datasets import ColumnMapping, DatasetError, read_histograms, read_long_ratings, read_mos_table


def _problems(call) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        call()
    return caught.value.problems


def test_mos_table_with_mapping_groups_and_official_split():
    text = "name,score,sd,n,content,kind,set\na.png,3.5,0.5,10,c1,blur,training\nb.png,2,,,c1,noise,test\n"
    mapping = ColumnMapping(
        name="name",
        mos="score",
        std="sd",
        count="n",
        source_content="content",
        group_columns=("kind",),
        split_column="set",
    )
    data = read_mos_table(io.StringIO(text), mapping, scale=(1, 5))
    a, b = data.items
    assert (a.name, a.file, a.mos, a.std, a.count, a.source_content, a.groups) == (
        "a.png",
        "a.png",
        3.5,
        0.5,
        10,
        "c1",
        {"kind": "blur"},
    )
    assert a.ci95 == pytest.approx(2.2621571627 * 0.5 / 10**0.5)  # t(0.975, 9)
    assert (b.std, b.ci95, b.count) == (None, None, None)
    assert data.splits == {"official": {"a.png": "train", "b.png": "test"}}
    assert (data.scale, data.source_format, data.votes) == ((1.0, 5.0), "mos_table", [])


def test_mos_table_reports_every_problem_at_once():
    text = "image,mos\na.png,2\na.png,x\nb.png,7\n,3\nc.png,nan\n"
    problems = _problems(lambda: read_mos_table(io.StringIO(text), ColumnMapping(), scale=(1, 5)))
    assert len(problems) == 4
    assert "duplicate stimulus names" in problems[0] and "'a.png' (rows 2 and 3)" in problems[0]
    assert "rows without a stimulus name" in problems[1] and "row 5" in problems[1]
    assert "not finite numbers" in problems[2] and "row 3" in problems[2] and "row 6" in problems[2]
    assert "outside the declared scale [1, 5]" in problems[3] and "row 4 ('b.png': 7)" in problems[3]


def test_misnamed_columns_are_named_with_the_columns_present():
    (image, mos) = _problems(lambda: read_mos_table(io.StringIO("img,MOS\na,1\n"), ColumnMapping(), scale=(1, 5)))
    assert "column 'image' (stimulus name) is missing; the file has columns img, MOS; did you mean 'img'?" in image
    assert "did you mean 'MOS'?" in mos


@pytest.mark.parametrize("data", [b"", b"image,mos\n", "  \n"])
def test_empty_files_are_refused(data):
    stream = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data)
    with pytest.raises(DatasetError, match="empty|no data rows"):
        read_mos_table(stream, ColumnMapping(), scale=(1, 5))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-8"])
def test_byte_order_marks_and_encodings_are_handled(encoding):
    data = "image,mos\nété.png,4\n".encode(encoding)
    (item,) = read_mos_table(io.BytesIO(data), ColumnMapping(), scale=(1, 5)).items
    assert (item.name, item.mos) == ("été.png", 4.0)
    assert read_mos_table(io.StringIO("\ufeffimage,mos\na,1\n"), ColumnMapping(), scale=(1, 5)).items[0].name == "a"
    with pytest.raises(DatasetError, match="not UTF-8"):
        read_mos_table(io.BytesIO(b"image,mos\n\xe9t\xe9,4\n"), ColumnMapping(), scale=(1, 5))


def test_histograms_give_mos_sd_and_count_from_the_vote_fractions():
    text = "image_name,c1,c2,c3,c4,c5,c_total,set\na,0.0,0.25,0.5,0.25,0.0,4,training\n"
    data = read_histograms(io.StringIO(text))
    (item,) = data.items
    assert (item.mos, item.count, data.scale) == (3.0, 4, (1.0, 5.0))
    assert item.std == pytest.approx((2 / 3) ** 0.5)  # votes 2, 3, 3, 4: sample SD
    assert data.splits == {"official": {"a": "train"}}


def test_histogram_problems_name_every_row():
    text = "image_name,c1,c2,c3,c4,c5,c_total\na,0.5,0.5,0,0,0,3\nb,x,0,0,0,1,2\nc,0.2,0.2,0.2,0.2,0.2,0\n"
    problems = _problems(lambda: read_histograms(io.StringIO(text), split_column=None))
    assert any("row 3 c1='x'" in p for p in problems)
    assert any("vote totals must be positive" in p and "row 4" in p for p in problems)
    only_uneven = "image_name,c1,c2,c3,c4,c5,c_total\na,0.5,0.5,0,0,0,3\nb,0.5,0.5,0,0,0,4\nc,0.4,0.6,0,0,0,3\n"
    (problem,) = _problems(lambda: read_histograms(io.StringIO(only_uneven), split_column=None))
    assert "row 2" in problem and "row 4" in problem and "row 3" not in problem
    (missing,) = _problems(lambda: read_histograms(io.StringIO(only_uneven)))
    assert "column 'set' (official split) is missing" in missing


def test_long_ratings_give_votes_mos_and_per_stimulus_columns():
    text = "split,image,lr,subject,score\ntrain,a,x,P1,4\ntrain,a,x,P2,2\ntest,b,y,P1,5\n"
    data = read_long_ratings(io.StringIO(text), source_content="lr", split_column="split", scale=(1, 5))
    a, b = data.items
    assert (a.mos, a.std, a.count, a.source_content) == (3.0, pytest.approx(2**0.5), 2, "x")
    assert (b.mos, b.std, b.ci95, b.count) == (5.0, None, None, 1)
    assert [(v.stimulus, v.subject, v.score, v.repetition) for v in data.votes] == [
        ("a", "P1", 4.0, 0),
        ("a", "P2", 2.0, 0),
        ("b", "P1", 5.0, 0),
    ]
    assert data.splits == {"official": {"a": "train", "b": "test"}}
    inferred = read_long_ratings(io.StringIO(text))
    assert inferred.scale == (2.0, 5.0)


def test_long_ratings_report_every_problem_at_once():
    text = (
        "image,lr,subject,score,rep\n"
        "a,x,P1,4,1\n"
        "a,x,P1,5,1\n"  # duplicate (stimulus, subject, repetition)
        "a,z,P2,3,1\n"  # per-stimulus column changes
        "b,y,P1,9,1\n"  # outside the scale
        "b,y,P2,abc,1\n"  # not a number
        "c,y,,3,1\n"  # no subject
        "c,y,P3,3,one\n"  # bad repetition
    )
    problems = _problems(
        lambda: read_long_ratings(io.StringIO(text), repetition="rep", source_content="lr", scale=(1, 5))
    )
    joined = "\n".join(problems)
    for expected in (
        "rows 2 and 3 ('a', 'P1', repetition 1)",
        "row 4 ('a': lr 'z', before 'x')",
        "scores outside the scale [1, 5] (1): row 5 (9)",
        "row 6 ('abc')",
        "ratings without a stimulus or a subject (1): row 7",
        "row 8 ('one')",
    ):
        assert expected in joined
    assert len(problems) == 6
