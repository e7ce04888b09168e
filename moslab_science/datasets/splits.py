"""Named, seeded splits of a dataset: ratio (repeated), k-fold and cross-group, grouped and stratified.

A split maps item names to part names. Items are grouped (by source content unless told
otherwise) so that no group value appears in two parts; strata (a group column and/or MOS
quantile bins) are kept in proportion. The same items and spec always give the same split,
whatever the order of the items. See docs/datasets.md ("Splits").
"""

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from moslab_science.datasets.allocation import allocate
from moslab_science.datasets.records import DatasetError, DatasetItem, name_examples

KINDS = ("ratio", "kfold", "cross_group")
SOURCE_CONTENT = "source_content"
MAX_SEED = 2**31 - 1  # splits store their seed in a 32-bit integer column


@dataclass(frozen=True)
class SplitSpec:
    """How to split. ``ratios`` are (part name, weight) pairs, normalised (ignored by ``kfold``).

    ``group_by``: a key of the items' groups, ``"source_content"``, or ``""`` for one item per
    group. ``cross_group``: items whose ``cross_column`` value is in ``train_groups`` go to
    "train", in ``test_groups`` to "test", the rest are left out; ``ratios`` (optional, without
    "test") then divide the training side, e.g. ``(("train", 9), ("val", 1))``.
    """

    kind: str
    ratios: tuple[tuple[str, float], ...]
    seed: int
    repeats: int = 1
    folds: int | None = None
    group_by: str = SOURCE_CONTENT
    stratify_by: str | None = None
    mos_quantiles: int | None = None
    cross_column: str | None = None
    train_groups: tuple[str, ...] = ()
    test_groups: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping) -> "SplitSpec":
        """The spec back from ``dataclasses.asdict(spec)`` stored as JSON (lists become tuples again)."""
        ratios = tuple((name, weight) for name, weight in data.get("ratios") or ())
        groups = {key: tuple(data.get(key) or ()) for key in ("train_groups", "test_groups")}
        return cls(**{**data, "ratios": ratios, **groups})


def split_names(spec: SplitSpec) -> list[str]:
    """The names of the splits ``spec`` makes, in order, e.g. ``ratio-7-1-2-s42-r0``, ``kfold5-s42-f0``."""
    _raise_if(_spec_problems(spec))
    variant = _variant(spec)
    if spec.kind == "ratio":
        return [f"ratio-{_weights_text(spec)}-s{spec.seed}{variant}-r{r}" for r in range(spec.repeats)]
    if spec.kind == "kfold":
        repeat = [f"-r{r}" for r in range(spec.repeats)] if spec.repeats > 1 else [""]
        return [f"kfold{spec.folds}-s{spec.seed}{variant}{r}-f{f}" for r in repeat for f in range(spec.folds or 0)]
    sides = f"{'+'.join(spec.train_groups)}-vs-{'+'.join(spec.test_groups)}"
    carve = f"-{_weights_text(spec)}" if spec.ratios else ""
    base = f"cross-{spec.cross_column}-{sides}{carve}-s{spec.seed}{variant}"
    return [f"{base}-r{r}" for r in range(spec.repeats)] if spec.repeats > 1 else [base]


def make_splits(items: Sequence[DatasetItem], spec: SplitSpec) -> dict[str, dict[str, str]]:
    """Split name -> {item name: part name}; items left out of a split (cross-group) are absent."""
    _raise_if(_spec_problems(spec))
    ordered = sorted(items, key=lambda item: item.name)
    _raise_if(_item_problems(ordered, spec))
    names = iter(split_names(spec))
    splits: dict[str, dict[str, str]] = {}
    for repeat in range(spec.repeats):
        rng = np.random.default_rng([spec.seed, repeat])
        if spec.kind == "ratio":
            splits[next(names)] = _weighted(ordered, spec, spec.ratios, rng)
        elif spec.kind == "kfold":
            folds = _weighted(ordered, spec, tuple((str(f), 1.0) for f in range(spec.folds or 0)), rng)
            for fold in range(spec.folds or 0):
                splits[next(names)] = {n: "test" if f == str(fold) else "train" for n, f in folds.items()}
        else:
            splits[next(names)] = _cross_group(ordered, spec, rng)
    return splits


def split_summary(
    items: Sequence[DatasetItem], assignment: Mapping[str, str], parts: Sequence[str] = ()
) -> dict:
    """Per part: item and content counts, MOS mean and std (ddof 1), counts per group value.

    Returns ``{"parts": {part: {...}}, "excluded": number of items in no part}``; plain JSON types.
    The ``parts`` named (``split_parts(spec)``) come first and are listed even when a part got no item.
    """
    by_part: dict[str, list[DatasetItem]] = {part: [] for part in parts}
    for item in items:
        if item.name in assignment:
            by_part.setdefault(assignment[item.name], []).append(item)
    extra = sorted(part for part in by_part if part not in parts)
    summaries = {part: _part_summary(by_part[part]) for part in (*parts, *extra)}
    return {"parts": summaries, "excluded": sum(1 for item in items if item.name not in assignment)}


def split_parts(spec: SplitSpec) -> tuple[str, ...]:
    """The parts a split of ``spec`` has, in order: the ratios' names; train and test for k-fold and cross-group."""
    if spec.kind == "kfold":
        return ("train", "test")
    if spec.kind == "cross_group":
        return (*(name for name, _ in spec.ratios), "test") if spec.ratios else ("train", "test")
    return tuple(name for name, _ in spec.ratios)


def group_value(item: DatasetItem, column: str) -> str:
    """The item's value of a group column, ``source_content`` included; "" when it has none."""
    return item.source_content if column == SOURCE_CONTENT else item.groups.get(column, "")


def _weighted(
    items: Sequence[DatasetItem], spec: SplitSpec, ratios: tuple[tuple[str, float], ...], rng: np.random.Generator
) -> dict[str, str]:
    units: dict[str, list[DatasetItem]] = {}
    for item in items:
        units.setdefault(_unit(item, spec.group_by), []).append(item)
    keys = sorted(units)
    if len(keys) < len(ratios):
        grouping = f"groups of {spec.group_by}" if spec.group_by else "items"
        raise DatasetError(f"only {len(keys)} {grouping} for {len(ratios)} parts; use fewer parts or a finer grouping.")
    part_of = allocate(
        keys,
        sizes={key: len(members) for key, members in units.items()},
        strata=_strata(units, spec),
        weights=np.array([weight for _, weight in ratios], dtype=float),
        rng=rng,
    )
    return {item.name: ratios[part_of[key]][0] for key in keys for item in units[key]}


def _cross_group(items: Sequence[DatasetItem], spec: SplitSpec, rng: np.random.Generator) -> dict[str, str]:
    column = spec.cross_column or ""
    train = [item for item in items if group_value(item, column) in spec.train_groups]
    test = {item.name: "test" for item in items if group_value(item, column) in spec.test_groups}
    sides = _weighted(train, spec, spec.ratios, rng) if spec.ratios else {item.name: "train" for item in train}
    return dict(sorted({**sides, **test}.items()))


def _unit(item: DatasetItem, group_by: str) -> str:
    value = group_value(item, group_by) if group_by else ""
    return f"g:{value}" if value else f"i:{item.name}"


def _strata(units: Mapping[str, list[DatasetItem]], spec: SplitSpec) -> dict[str, Hashable]:
    labels: dict[str, tuple] = {key: () for key in units}
    if spec.stratify_by:
        for key, members in units.items():
            values = Counter(group_value(item, spec.stratify_by) for item in members)
            labels[key] += (min(values, key=lambda v: (-values[v], v)),)
    if spec.mos_quantiles:
        means = {key: float(np.mean([item.mos for item in members])) for key, members in units.items()}
        ranked = sorted(units, key=lambda key: (means[key], key))
        for rank, key in enumerate(ranked):
            labels[key] += (rank * spec.mos_quantiles // len(ranked),)
    return labels


def _part_summary(members: list[DatasetItem]) -> dict:
    mos = np.array([item.mos for item in members], dtype=float)
    groups: dict[str, dict[str, int]] = {}
    for item in members:
        for column, value in sorted(item.groups.items()):
            counts = groups.setdefault(column, {})
            counts[value] = counts.get(value, 0) + 1
    return {
        "items": len(members),
        "contents": len({_unit(item, SOURCE_CONTENT) for item in members}),
        "mos_mean": float(mos.mean()) if members else None,
        "mos_std": float(mos.std(ddof=1)) if len(members) > 1 else None,
        "groups": {column: dict(sorted(counts.items())) for column, counts in sorted(groups.items())},
    }


def _variant(spec: SplitSpec) -> str:
    grouping = "" if spec.group_by == SOURCE_CONTENT else f"-g{spec.group_by}" if spec.group_by else "-items"
    strata = f"-st{spec.stratify_by}" if spec.stratify_by else ""
    quantiles = f"-q{spec.mos_quantiles}" if spec.mos_quantiles else ""
    return grouping + strata + quantiles


def _weights_text(spec: SplitSpec) -> str:
    return "-".join(f"{weight:g}" for _, weight in spec.ratios)


def _spec_problems(spec: SplitSpec) -> list[str]:
    problems: list[str] = []
    if spec.kind not in KINDS:
        problems.append(f"split kind {spec.kind!r} is unknown; use one of {', '.join(KINDS)}.")
    if not isinstance(spec.seed, int) or isinstance(spec.seed, bool) or not 0 <= spec.seed <= MAX_SEED:
        problems.append(f"the seed must be a whole number between 0 and {MAX_SEED}; got {spec.seed!r}.")
    if spec.repeats < 1:
        problems.append(f"repeats must be at least 1; got {spec.repeats}.")
    if spec.mos_quantiles is not None and spec.mos_quantiles < 1:
        problems.append(f"mos_quantiles must be at least 1; got {spec.mos_quantiles}.")
    problems += _ratio_problems(spec)
    if spec.kind == "kfold" and (spec.folds is None or spec.folds < 2):
        problems.append(f"k-fold needs folds >= 2; got {spec.folds!r}.")
    if spec.kind == "cross_group":
        problems += _cross_problems(spec)
    return problems


def _ratio_problems(spec: SplitSpec) -> list[str]:
    names = [name for name, _ in spec.ratios]
    problems = []
    if spec.kind == "ratio" and len(names) < 2:
        problems.append("a ratio split needs at least two parts, e.g. (('train', 8), ('test', 2)).")
    if len(set(names)) != len(names) or any(not str(name).strip() for name in names):
        problems.append(f"part names must be distinct and not empty; got {names}.")
    if any(not (isinstance(w, int | float) and np.isfinite(w) and w > 0) for _, w in spec.ratios):
        problems.append(f"part weights must be positive numbers; got {[w for _, w in spec.ratios]}.")
    return problems


def _cross_problems(spec: SplitSpec) -> list[str]:
    problems = []
    if not spec.cross_column:
        problems.append("a cross-group split needs cross_column (the group column whose values decide the side).")
    if not spec.train_groups or not spec.test_groups:
        problems.append("a cross-group split needs both train_groups and test_groups.")
    if set(spec.train_groups) & set(spec.test_groups):
        shared = sorted(set(spec.train_groups) & set(spec.test_groups))
        problems.append(f"values {shared} are in both train_groups and test_groups; a value may be on one side.")
    names = [name for name, _ in spec.ratios]
    if spec.ratios and ("test" in names or "train" not in names):
        problems.append(f"cross-group ratios divide the training side: include 'train', not 'test'; got {names}.")
    return problems


def _item_problems(items: Sequence[DatasetItem], spec: SplitSpec) -> list[str]:
    problems = []
    if not items:
        problems.append("there are no items to split.")
    repeated = sorted(name for name, n in Counter(item.name for item in items).items() if n > 1)
    if repeated:
        problems.append(f"item names must be unique; repeated: {name_examples(repeated)}.")
    known = sorted({column for item in items for column in item.groups})
    for column in sorted({spec.group_by, spec.stratify_by or "", spec.cross_column or ""} - {"", SOURCE_CONTENT}):
        if column not in known:
            problems.append(
                f"no item has a {column!r} group; the group columns are: {', '.join(known) or '(none)'}"
                f" (or {SOURCE_CONTENT!r})."
            )
    return problems


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise DatasetError(problems)
