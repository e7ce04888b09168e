"""Seeded splits: reproducible, order-independent, grouped, proportional and stratified as asked."""

import json
import random
from collections import Counter
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moslab_science.datasets import DatasetError, SplitSpec, make_splits, split_names, split_parts, split_summary
from moslab_science.datasets.splits import MAX_SEED
from tests.datasets.builders import enhanced_items, item, ratios

RATIO_712 = (("train", 7.0), ("val", 1.0), ("test", 2.0))


def test_split_names_follow_the_spec():
    assert split_names(SplitSpec("ratio", RATIO_712, seed=42, repeats=2)) == [
        "ratio-7-1-2-s42-r0",
        "ratio-7-1-2-s42-r1",
    ]
    assert split_names(SplitSpec("kfold", (), seed=42, folds=3)) == ["kfold3-s42-f0", "kfold3-s42-f1", "kfold3-s42-f2"]
    stratified = SplitSpec("ratio", (("train", 8), ("test", 2)), seed=1, group_by="", stratify_by="degradation")
    assert split_names(stratified) == ["ratio-8-2-s1-items-stdegradation-r0"]


def test_same_seed_same_split_whatever_the_input_order():
    items = enhanced_items(30)
    spec = SplitSpec("ratio", RATIO_712, seed=42, repeats=3)
    shuffled = items[:]
    random.Random(5).shuffle(shuffled)
    assert make_splits(items, spec) == make_splits(shuffled, spec)


def test_other_seeds_and_repeats_give_other_splits():
    items = enhanced_items(30)
    first = make_splits(items, SplitSpec("ratio", RATIO_712, seed=42, repeats=3))
    other_seed = make_splits(items, SplitSpec("ratio", RATIO_712, seed=43))
    assignments = [*first.values(), *other_seed.values()]
    assert len({tuple(sorted(a.items())) for a in assignments}) == 4


def test_default_grouping_keeps_each_source_content_in_one_part():
    items = enhanced_items(40)  # 6 images per content: an item-level split would leak contents
    for parts in make_splits(items, SplitSpec("ratio", RATIO_712, seed=7, repeats=5)).values():
        content_parts = {(it.source_content, parts[it.name]) for it in items}
        assert len(content_parts) == 40
    first = make_splits(items, SplitSpec("ratio", RATIO_712, seed=7))["ratio-7-1-2-s7-r0"]
    assert Counter(first.values()) == {"train": 168, "val": 24, "test": 48}  # 28, 4 and 8 contents of 6 images


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), weights=ratios, seed=st.integers(0, MAX_SEED))
def test_per_item_parts_are_within_one_item_of_their_target(n, weights, seed):
    items = [item(f"x{i}", i % 5 + 1.0) for i in range(max(n, len(weights)))]
    (parts,) = make_splits(items, SplitSpec("ratio", weights, seed=seed, group_by="")).values()
    total = sum(w for _, w in weights)
    counts = Counter(parts.values())
    for name, weight in weights:
        assert abs(counts[name] - len(items) * weight / total) < 1


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 8), min_size=4, max_size=60),
    weights=ratios,
    seed=st.integers(0, 1000),
)
def test_no_source_content_in_two_parts_and_parts_near_target(sizes, weights, seed):
    items = [item(f"c{c}_{k}", 3.0, content=f"c{c}") for c, size in enumerate(sizes) for k in range(size)]
    if len(sizes) < len(weights):
        return
    (parts,) = make_splits(items, SplitSpec("ratio", weights, seed=seed)).values()
    contents = {}
    for it in items:
        assert contents.setdefault(it.source_content, parts[it.name]) == parts[it.name]
    total = sum(w for _, w in weights)
    counts = Counter(parts.values())
    for name, weight in weights:  # stated tolerance: a part misses its target by less than 2 largest groups
        assert abs(counts[name] - len(items) * weight / total) < 2 * max(sizes)


@settings(max_examples=60, deadline=None)
@given(
    strata=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    weights=ratios,
    seed=st.integers(0, 1000),
)
def test_stratification_keeps_each_stratum_in_proportion(strata, weights, seed):
    items = [item(f"s{s}_{k}", 3.0, kind=f"k{s}") for s, size in enumerate(strata) for k in range(size)]
    if len(items) < len(weights):
        return
    spec = SplitSpec("ratio", weights, seed=seed, group_by="", stratify_by="kind")
    (parts,) = make_splits(items, spec).values()
    total = sum(w for _, w in weights)
    for s, size in enumerate(strata):  # stated tolerance: under 2 items per stratum and part
        counts = Counter(parts[it.name] for it in items if it.groups["kind"] == f"k{s}")
        for name, weight in weights:
            assert abs(counts[name] - size * weight / total) < 2
    overall = Counter(parts.values())
    for name, weight in weights:
        assert abs(overall[name] - len(items) * weight / total) < 1


def test_mos_quantile_stratification_balances_mos_across_parts():
    items = [item(f"x{i:03d}", 1 + 4 * i / 299) for i in range(300)]
    spec = SplitSpec("ratio", (("train", 8), ("test", 2)), seed=3, group_by="", mos_quantiles=10)
    (parts,) = make_splits(items, spec).values()
    for decile in range(10):
        members = items[decile * 30 : (decile + 1) * 30]
        assert Counter(parts[it.name] for it in members) == {"train": 24, "test": 6}


def test_kfold_puts_every_item_in_test_exactly_once_and_keeps_contents_together():
    items = enhanced_items(23)
    splits = make_splits(items, SplitSpec("kfold", (), seed=9, folds=5))
    assert list(splits) == split_names(SplitSpec("kfold", (), seed=9, folds=5))
    tested = Counter(name for parts in splits.values() for name, part in parts.items() if part == "test")
    assert tested == {it.name: 1 for it in items}
    for parts in splits.values():
        assert len({(it.source_content, parts[it.name]) for it in items}) == 23
        assert abs(Counter(parts.values())["test"] - len(items) / 5) <= 6


def test_cross_group_trains_on_some_groups_tests_on_others_and_carves_val_from_train():
    items = enhanced_items(20)
    spec = SplitSpec(
        "cross_group",
        (("train", 3), ("val", 1)),
        seed=4,
        cross_column="degradation",
        train_groups=("d0", "d1"),
        test_groups=("d2",),
    )
    ((name, parts),) = make_splits(items, spec).items()
    assert name == "cross-degradation-d0+d1-vs-d2-3-1-s4"
    assert {it.name for it in items if it.groups["degradation"] == "d2"} == {n for n, p in parts.items() if p == "test"}
    training = [it for it in items if it.groups["degradation"] != "d2"]
    assert Counter(parts[it.name] for it in training) == {"train": 60, "val": 20}
    assert len({(it.source_content, parts[it.name]) for it in training}) == 20


def test_cross_group_leaves_out_items_of_other_groups():
    items = enhanced_items(4)
    spec = SplitSpec("cross_group", (), seed=0, cross_column="enhancer", train_groups=("e0",), test_groups=("e9",))
    ((_, parts),) = make_splits(items, spec).items()
    assert set(parts.values()) == {"train"}
    assert set(parts) == {it.name for it in items if it.groups["enhancer"] == "e0"}


def test_summary_counts_items_contents_mos_and_groups():
    items = [item("a", 1.0, content="c1", kind="x"), item("b", 3.0, content="c1", kind="y"), item("c", 5.0, kind="x")]
    summary = split_summary(items, {"a": "train", "b": "train", "c": "test"})
    assert summary["excluded"] == 0
    assert summary["parts"]["train"] == {
        "items": 2,
        "contents": 1,
        "mos_mean": 2.0,
        "mos_std": pytest.approx(2**0.5),
        "groups": {"kind": {"x": 1, "y": 1}},
    }
    assert summary["parts"]["test"]["mos_std"] is None
    assert split_summary(items, {"a": "train"})["excluded"] == 2


def test_summary_lists_every_part_of_the_spec_in_order_even_an_empty_one():
    """5 contents of 2 items split 7:1:2: the val part gets no content, and the summary says so."""
    items = enhanced_items(5, degradations=2, enhancers=1)
    spec = SplitSpec("ratio", (("train", 7), ("val", 1), ("test", 2)), seed=7)
    ((_, assignment),) = make_splits(items, spec).items()
    summary = split_summary(items, assignment, parts=split_parts(spec))
    assert list(summary["parts"]) == ["train", "val", "test"]
    assert sum(part["items"] for part in summary["parts"].values()) == 10
    empty = [part for part in summary["parts"].values() if part["items"] == 0]
    assert empty == [{"items": 0, "contents": 0, "mos_mean": None, "mos_std": None, "groups": {}}]
    cross = SplitSpec("cross_group", (("train", 9), ("val", 1)), seed=1, cross_column="k", train_groups=("x",),
                      test_groups=("y",))
    assert split_parts(cross) == ("train", "val", "test")
    assert split_parts(SplitSpec("kfold", (), seed=1, folds=5)) == ("train", "test")
    assert SplitSpec.from_dict(json.loads(json.dumps(asdict(cross)))) == cross, "the spec as stored in JSON"


def test_bad_specs_and_items_list_every_problem():
    spec = SplitSpec("ratio", (("train", 1), ("train", -1)), seed=-1, repeats=0, stratify_by="degradaton")
    with pytest.raises(DatasetError) as caught:
        make_splits(enhanced_items(2), spec)
    text = str(caught.value)
    for expected in ("seed", "repeats", "distinct", "positive"):
        assert expected in text
    with pytest.raises(DatasetError, match="the group columns are: degradation, enhancer"):
        make_splits(enhanced_items(2), SplitSpec("ratio", RATIO_712, seed=1, stratify_by="degradaton"))
    with pytest.raises(DatasetError, match="only 2 groups of source_content for 3 parts"):
        make_splits(enhanced_items(2), SplitSpec("ratio", RATIO_712, seed=1))
    with pytest.raises(DatasetError, match="unique"):
        make_splits([item("a"), item("a"), item("b")], SplitSpec("ratio", (("train", 1), ("test", 1)), seed=1))
    with pytest.raises(DatasetError, match="both train_groups and test_groups"):
        make_splits(enhanced_items(2), SplitSpec("cross_group", (), seed=1, cross_column="degradation"))


def test_repeats_differ_when_source_contents_differ_a_little_in_size():
    """Five photographs with 3 to 6 rated versions each (the demo study): repeats must not all test one photo."""
    sizes = [6, 5, 4, 3, 3]
    items = [item(f"c{c}_{k}", 3.0, content=f"c{c}") for c, size in enumerate(sizes) for k in range(size)]
    splits = make_splits(items, SplitSpec("ratio", (("train", 7), ("val", 1), ("test", 2)), seed=0, repeats=6))
    tested = {frozenset(name.split("_")[0] for name, part in parts.items() if part == "test")
              for parts in splits.values()}
    assert len(tested) > 1
