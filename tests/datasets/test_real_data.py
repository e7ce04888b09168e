"""The three import forms on the real datasets in ../shared/data (skipped when it is absent)."""

import csv
import io
from collections import Counter
from dataclasses import asdict

import pytest

from moslab_science.datasets import (
    ColumnMapping,
    SplitSpec,
    content_hash,
    make_splits,
    read_histograms,
    read_long_ratings,
    read_mos_table,
    read_table,
    table_rows,
    write_csv,
)
from tests.studies.mos.mos_shared_data import RAW_RATINGS, SHARED_DATA, require_shared

pytestmark = pytest.mark.shared_data


def _published(path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return {row.get("image") or row["image_name"]: row for row in csv.DictReader(handle)}


def test_biq2021_mos_table():
    path = require_shared(SHARED_DATA / "biq2021-dev" / "mos.csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        data = read_mos_table(handle, ColumnMapping(group_columns=("source_subset",)), scale=(0, 1))
    published = _published(path)
    assert len(data.items) == len(published) == 3000
    assert all(it.mos == float(published[it.name]["mos"]) for it in data.items)
    assert Counter(it.groups["source_subset"] for it in data.items).keys() == {"ss01", "ss02", "ss03"}
    spec = SplitSpec("ratio", (("train", 7), ("val", 1), ("test", 2)), seed=42, stratify_by="source_subset")
    (parts,) = make_splits(data.items, spec).values()
    for subset in ("ss01", "ss02", "ss03"):
        members = [it for it in data.items if it.groups["source_subset"] == subset]
        assert abs(Counter(parts[it.name] for it in members)["test"] - 0.2 * len(members)) < 2


def test_isrgen_raw_ratings_with_official_split_and_content_grouping():
    path = require_shared(RAW_RATINGS / "isrgen-qa" / "raw_ratings_long.csv")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        data = read_long_ratings(
            handle, source_content="lr_ref", reference="hr_ref", split_column="split", scale=(1, 5)
        )
    published = _published(RAW_RATINGS / "isrgen-qa" / "mos.csv")
    assert (len(data.items), len(data.votes)) == (720, 15120)
    for it in data.items:
        assert it.mos == pytest.approx(float(published[it.name]["mos_given"]), abs=1e-12)
        assert it.count == 21
    assert Counter(data.splits["official"].values()) == {"train": 576, "val": 72, "test": 72}
    (parts,) = make_splits(data.items, SplitSpec("ratio", (("train", 8), ("val", 1), ("test", 1)), seed=1)).values()
    assert len({(it.source_content, parts[it.name]) for it in data.items}) == len(
        {it.source_content for it in data.items}
    )
    stream = io.StringIO()
    write_csv(table_rows(data.items, data.splits), stream)
    stream.seek(0)
    items, splits = read_table(stream)
    assert content_hash([asdict(it) for it in items]) == content_hash(
        [asdict(it) for it in sorted(data.items, key=lambda it: it.name)]
    )
    assert splits == data.splits


def test_koniq_histograms_reproduce_the_published_sd():
    path = require_shared(RAW_RATINGS / "koniq10k-distributions" / "koniq10k_distributions_sets.csv")
    with open(path, "rb") as handle:
        data = read_histograms(handle)
    published = _published(path)
    assert len(data.items) == 10073
    for it in data.items:
        assert it.std == pytest.approx(float(published[it.name]["SD"]), abs=1e-9)
        assert it.count == int(published[it.name]["c_total"])
    assert Counter(data.splits["official"].values()) == Counter(
        {"training": "train", "validation": "val", "test": "test"}[row["set"]] for row in published.values()
    )
