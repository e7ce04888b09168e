"""The dataset table round-trips exactly through CSV, JSON and Parquet; CSV cells cannot run as formulas."""

import csv
import hashlib
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moslab_science.datasets import (
    TABLE_COLUMNS,
    DatasetError,
    DatasetItem,
    canonical_json,
    content_hash,
    read_table,
    table_rows,
    write_csv,
    write_json,
    write_parquet,
)

texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
floats = st.floats(allow_nan=False, allow_infinity=False)
group_values = st.dictionaries(st.sampled_from(["degradation", "enhancer"]), texts.filter(bool), max_size=2)


@st.composite
def datasets(draw):
    names = draw(st.lists(texts.filter(bool), min_size=1, max_size=6, unique=True))
    items = [
        DatasetItem(
            name=name,
            file=draw(texts),
            sha256=draw(texts),
            mos=draw(floats),
            std=draw(st.none() | floats),
            ci95=draw(st.none() | floats),
            count=draw(st.none() | st.integers(0, 10**6)),
            source_content=draw(texts),
            groups=draw(group_values),
            reference=draw(texts),
            prompt=draw(texts),
        )
        for name in names
    ]
    splits = {
        split: {name: draw(st.sampled_from(["train", "val", "test"])) for name in names if draw(st.booleans())}
        for split in draw(st.lists(st.sampled_from(["ratio-8-2-s1-r0", "kfold5-s1-f0"]), unique=True))
    }
    return items, splits


def _written(fmt: str, rows: list[dict], tmp_path) -> object:
    path = tmp_path / f"table.{fmt}"
    if fmt == "parquet":
        write_parquet(rows, path)
    else:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            (write_csv if fmt == "csv" else write_json)(rows, handle)
    return path


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
@settings(max_examples=40, deadline=None)
@given(dataset=datasets())
def test_tables_read_back_exactly(fmt, dataset, tmp_path_factory):
    items, splits = dataset
    path = _written(fmt, table_rows(items, splits), tmp_path_factory.mktemp(fmt))
    read_items, read_splits = read_table(path)
    assert read_items == sorted(items, key=lambda it: it.name)  # floats compared bit for bit by ==
    assert read_splits == splits


def test_columns_are_fixed_then_groups_then_splits():
    item = DatasetItem("a.png", "images/a.png", "ab", 3.5, 0.5, 0.2, 10, "c", {"z": "1", "b": "2"})
    rows = table_rows([item], {"s1": {"a.png": "train"}, "s0": {}})
    assert list(rows[0]) == [*TABLE_COLUMNS, "group_b", "group_z", "split_s1", "split_s0"]
    assert rows[0]["split_s0"] is None


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_csv_cells_starting_like_formulas_are_neutralised(prefix):
    name = f'{prefix}HYPERLINK("http://x")'
    item = DatasetItem(name, name, "", -1.5, None, None, None, name, {"kind": name})
    stream = io.StringIO()
    write_csv(table_rows([item], {"s": {name: "train"}}), stream)
    cells = next(row for row in csv.DictReader(io.StringIO(stream.getvalue())))
    for column in ("stimulus", "file", "source_content", "group_kind"):
        assert cells[column] == "'" + name
    assert cells["mos"] == "-1.5"  # numbers stay numbers
    stream.seek(0)
    assert read_table(stream)[0] == [item]


def test_read_table_accepts_text_streams_and_json_streams():
    item = DatasetItem("a", "images/a", "", 2.0, None, None, 3, "")
    rows = table_rows([item], {})
    csv_stream, json_stream = io.StringIO(), io.StringIO()
    write_csv(rows, csv_stream)
    write_json(rows, json_stream)
    assert read_table(io.StringIO("\ufeff" + csv_stream.getvalue()))[0] == [item]
    assert read_table(io.StringIO(json_stream.getvalue()), format="json")[0] == [item]
    assert json.loads(json_stream.getvalue())[0]["count"] == 3


def test_bad_tables_list_every_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("stimulus,file,sha256,mos,std,ci95,count,source_content,reference,prompt,colour\n")
    with pytest.raises(DatasetError, match="unknown column"):
        read_table(path)
    header = ",".join(TABLE_COLUMNS)
    path.write_text(f"{header}\na,,,x,,,,,,\n,,,1,nan,,2.5,,,\n")
    with pytest.raises(DatasetError) as caught:
        read_table(path)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "row 2 ('a')",
        "row 3 (None)",
        "row 3 (None)",
        "1 row(s) have no stimulus name",
    ]
    with pytest.raises(DatasetError, match="cannot read a 'xlsx' table"):
        read_table(tmp_path / "table.xlsx")


def test_canonical_json_is_compact_sorted_and_exact():
    assert canonical_json({"b": [1, 0.1, None], "a": "é"}) == '{"a":"é","b":[1,0.1,null]}'.encode()
    assert canonical_json({"x": 1 / 3}) == b'{"x":0.3333333333333333}'
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1}) == hashlib.sha256(b'{"a":1}').hexdigest()
    assert content_hash({"a": 0.1}) != content_hash({"a": 0.1000000000000001})


@pytest.mark.parametrize("bad", [{"x": float("nan")}, [float("inf")], {1: "a"}, {"s": {1, 2}}])
def test_canonical_json_refuses_what_would_hash_ambiguously(bad):
    with pytest.raises((ValueError, TypeError)):
        canonical_json(bad)


def test_a_value_canonical_json_refuses_is_named_by_where_it_is():
    with pytest.raises(ValueError, match=r"^\$\.items\[1\]\.mos: nan cannot be hashed"):
        canonical_json({"items": [{"mos": 1.0}, {"mos": float("nan")}]})
    with pytest.raises(TypeError, match=r"^\$\.groups: key 3 is not text"):
        canonical_json({"groups": {3: "a"}})
