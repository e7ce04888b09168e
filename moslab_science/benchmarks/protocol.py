"""A benchmark protocol: how the version's items are split (or not), how often, and what ranks the models.

Schemes: ``seeded`` (ratio splits made here from a seed, grouped by source content, one per repeat),
``stored_split`` (one split the dataset version already holds), ``cross_group`` (train on some values of
a group column, test on others) and ``zero_shot`` (no training: every item is scored).
"""
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from moslab_science.datasets import DatasetItem, SplitSpec, make_splits

SCHEMES = ("seeded", "stored_split", "cross_group", "zero_shot")
RANK_METRICS = {"srcc": "SRCC", "plcc": "PLCC", "ntire2024": "NTIRE 2024 score", "vquala2025": "VQualA 2025 score"}
PARTS = ("train", "val", "test")
MAX_REPEATS = 20


@dataclass(frozen=True)
class PlannedSplit:
    repeat: int
    name: str
    assignment: Mapping[str, str]  # item name -> part; empty for zero-shot (every item is scored)
    seed: int  # the training and evaluation seed of this repeat's runs (Protocol.repeat_seed)


@dataclass(frozen=True)
class Protocol:
    scheme: str
    ratios: tuple[tuple[str, float], ...] = (("train", 7.0), ("val", 1.0), ("test", 2.0))
    seed: int = 0
    repeats: int = 1
    split: str = ""  # stored_split: the name of the version's split
    cross_column: str = ""
    train_groups: tuple[str, ...] = ()
    test_groups: tuple[str, ...] = ()
    group_column: str = ""  # per-group tables and MOS distributions
    rank_by: str = "srcc"

    @classmethod
    def from_dict(cls, data: Mapping) -> "Protocol":
        return cls(**{
            **data,
            "ratios": tuple((str(name), float(weight)) for name, weight in data.get("ratios") or ()),
            "train_groups": tuple(data.get("train_groups") or ()),
            "test_groups": tuple(data.get("test_groups") or ()),
        })

    def as_dict(self) -> dict:
        return asdict(self)

    def problems(self) -> list[str]:
        found = []
        if self.scheme not in SCHEMES:
            found.append(f"scheme {self.scheme!r}: use one of {', '.join(SCHEMES)}")
        if self.rank_by not in RANK_METRICS:
            found.append(f"rank_by {self.rank_by!r}: use one of {', '.join(RANK_METRICS)}")
        if not 1 <= self.repeats <= MAX_REPEATS:
            found.append(f"repeats must be 1 to {MAX_REPEATS}, not {self.repeats}")
        if self.scheme == "seeded" and sorted(name for name, _ in self.ratios) != sorted(PARTS):
            found.append("a seeded split needs ratios for exactly train, val and test, e.g. 7:1:2")
        if any(weight <= 0 for _, weight in self.ratios):
            found.append("every ratio must be positive")
        if self.scheme == "stored_split" and not self.split:
            found.append("name the version's split to use")
        if self.scheme == "cross_group" and not (self.cross_column and self.train_groups and self.test_groups):
            found.append("a cross-group protocol needs a group column and its training and test values")
        if self.scheme in ("stored_split", "zero_shot") and self.repeats != 1:
            found.append(f"a {self.scheme.replace('_', ' ')} protocol runs once: set repeats to 1")
        return found

    def repeat_seed(self, repeat: int) -> int:
        """The seed of a repeat's runs (training, classical SVR, bootstrap): the protocol's seed + the repeat."""
        return self.seed + repeat

    def ratio_text(self) -> str:
        return ":".join(f"{weight:g}" for _, weight in self.ratios)

    def describe(self) -> str:
        """The protocol in words, written beside the numbers it produced."""
        rank = f"ranked by {RANK_METRICS.get(self.rank_by, self.rank_by)}"
        if self.scheme == "seeded":
            repeats = f"{self.repeats} repeated splits, seeds {self.seed}..{self.repeat_seed(self.repeats - 1)}" \
                if self.repeats > 1 else f"one split, seed {self.seed}"
            where = f"Random train:val:test {self.ratio_text()} split grouped by source content ({repeats})"
        elif self.scheme == "stored_split":
            where = f"The dataset version's stored split {self.split!r}"
        elif self.scheme == "cross_group":
            where = (f"Cross-group: trained on {self.cross_column} = {', '.join(self.train_groups)} "
                     f"(9:1 train:val, seed {self.seed}), tested on {', '.join(self.test_groups)}")
        else:
            return (f"Zero-shot: no training, every item of the version scored once; metrics on every item; {rank}; "
                    "CIs: percentile bootstrap over images.")
        return (f"{where}; checkpoint chosen on validation, test part scored once; metrics on the test part; "
                f"{rank}; CIs: percentile bootstrap over test images.")


def plan_splits(protocol: Protocol, items: Sequence[DatasetItem],
                stored: Mapping[str, Mapping[str, str]]) -> list[PlannedSplit]:
    """The split of each repeat. `stored` maps the version's split names to their assignments."""
    if protocol.scheme == "zero_shot":
        return [PlannedSplit(0, "all items", {}, protocol.repeat_seed(0))]
    if protocol.scheme == "stored_split":
        if protocol.split not in stored:
            known = ", ".join(sorted(stored)) or "none"
            raise ValueError(f"the version has no split {protocol.split!r} (its splits: {known})")
        assignment = stored[protocol.split]
        missing = [part for part in PARTS if part not in set(assignment.values())]
        extra = sorted(set(assignment.values()) - set(PARTS))
        if missing or extra:
            raise ValueError(f"split {protocol.split!r} must have exactly train, val and test parts "
                             f"(missing: {', '.join(missing) or 'none'}; other parts: {', '.join(extra) or 'none'})")
        return [PlannedSplit(0, protocol.split, dict(assignment), protocol.repeat_seed(0))]
    if protocol.scheme == "seeded":
        spec = SplitSpec(kind="ratio", ratios=protocol.ratios, seed=protocol.seed, repeats=protocol.repeats)
    else:
        spec = SplitSpec(kind="cross_group", ratios=(("train", 9.0), ("val", 1.0)), seed=protocol.seed,
                         repeats=protocol.repeats, cross_column=protocol.cross_column,
                         train_groups=protocol.train_groups, test_groups=protocol.test_groups)
    splits = make_splits(items, spec)
    return [PlannedSplit(repeat, name, assignment, protocol.repeat_seed(repeat))
            for repeat, (name, assignment) in enumerate(splits.items())]
