"""Per-annotator order: random, with no two consecutive items from the same source content."""
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")
_ANY_BUT_LAST = object()  # spread_order may take any group but the last one


def spread_order(
    items: Sequence[T], *, group: Callable[[T], Hashable], rng: random.Random, previous: Hashable | None = None
) -> list[T]:
    """A random order of `items` in which no two neighbours (nor `previous` and the first) share a group.

    Each step picks a random group other than the last one, weighted by what is left of it, among
    the choices that still leave a valid order for the rest. When no valid order exists (one group
    holds more than half), that group takes every other place: repeats are as few as can be.

    Near-linear in the number of items: only a group holding more than half of what is left can
    restrict the choice (`_crowded`), so each step looks at the largest group only (`_Tally`), and
    the weighted pick draws a random remaining item, drawing again when it is of the last group
    (a group that is not crowded holds at most half, so that takes two draws on average).
    """
    buckets: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        buckets[group(item)].append(item)
    for bucket in buckets.values():
        rng.shuffle(bucket)
    remaining = [key for key, bucket in buckets.items() for _ in bucket]  # one entry per item left
    tally = _Tally({key: len(bucket) for key, bucket in buckets.items()})
    order: list[T] = []
    last = previous
    while remaining:
        total = len(remaining)
        largest, count = tally.largest()
        # More than half left in one group: any other choice leaves it more than half of the rest after
        # an item of another group, so it is the one feasible choice (when it may go next and fits itself).
        # A group with more than half of what is left must come next when it can: after any other group it
        # would hold more than half of the rest (and with no valid order left, it goes every other place, so
        # its repeats are as few as can be). Otherwise any group but the last keeps a valid order.
        if count > total // 2 and largest != last:
            only = largest
        elif tally.count(last) < total:
            only = _ANY_BUT_LAST
        else:
            only = last  # nothing else is left: an unavoidable repeat
        index = rng.randrange(total)
        while not (remaining[index] != last if only is _ANY_BUT_LAST else remaining[index] == only):
            index = rng.randrange(total)
        choice = remaining[index]
        remaining[index] = remaining[-1]
        remaining.pop()
        tally.take(choice)
        order.append(buckets[choice].pop())
        last = choice
    return order


class _Tally:
    """Items left per group, with the largest group found in constant time (counts only go down by one)."""

    def __init__(self, counts: dict[Hashable, int]):
        self.counts = counts
        self.by_count: dict[int, set[Hashable]] = defaultdict(set)
        for key, count in counts.items():
            self.by_count[count].add(key)
        self.top = max(counts.values(), default=0)

    def count(self, key: Hashable) -> int:
        return self.counts.get(key, 0)

    def largest(self) -> tuple[Hashable | None, int]:
        while self.top and not self.by_count[self.top]:
            self.top -= 1
        return (next(iter(self.by_count[self.top])) if self.top else None), self.top

    def take(self, key: Hashable) -> None:
        count = self.counts[key]
        self.by_count[count].discard(key)
        self.counts[key] = count - 1
        self.by_count[count - 1].add(key)


def spreadable(counts: dict[Hashable, int], *, previous: Hashable | None = None) -> bool:
    """Can items with these group counts follow `previous` with no two neighbours in one group?"""
    return _crowded(counts, previous=previous) is None


def _crowded(counts: dict[Hashable, int], *, previous: Hashable | None) -> Hashable | None:
    """The group with more items than places for it, if any (at most one can be).

    After `previous`, its own group can fill every other place from the second on, any other
    group every other place from the first on.
    """
    total = sum(counts.values())
    for key, count in counts.items():
        if count > _room(key, total=total, previous=previous):
            return key
    return None


def _room(key: Hashable, *, total: int, previous: Hashable | None) -> int:
    """How many of `total` places in a row, after `previous`, items of group `key` can take without neighbours."""
    return total // 2 if key == previous else (total + 1) // 2


def block_choice(
    candidates: Sequence[T], *, size: int, group: Callable[[T], Hashable], previous: Hashable | None = None,
    fixed: Sequence[Hashable] = (),
) -> list[T]:
    """Up to `size` candidates, in their order of preference, that can follow `previous` without repeats.

    No group takes more than half the block while others are available. When the choice cannot be
    ordered without two neighbours from one group (near the end of a study, when few groups are
    left), the surplus of the crowded group is left for other annotators. `fixed` are the groups
    of items that join the block anyway (gold, repeats). When every candidate shares the group of
    `previous`, a repeat cannot be avoided: only the first candidate is returned, so that other
    annotators may still take the rest.
    """
    limit = max(1, size // 2)
    chosen, spare, per_group = [], [], Counter()
    for item in candidates:
        if len(chosen) == size:
            break
        if per_group[group(item)] < limit:
            chosen.append(item)
            per_group[group(item)] += 1
        else:
            spare.append(item)
    chosen += spare[: size - len(chosen)]
    groups = [group(item) for item in chosen]
    counts = Counter(fixed) + Counter(groups)
    crowded = _crowded(counts, previous=previous)  # at most one group, and dropping its surplus crowds no other
    if crowded is not None:
        places = [index for index, key in enumerate(groups) if key == crowded]
        dropped, total = set(), counts.total()
        while places and counts[crowded] > _room(crowded, total=total, previous=previous):
            dropped.add(places.pop())
            counts[crowded] -= 1
            total -= 1
        chosen = [item for index, item in enumerate(chosen) if index not in dropped]
    if chosen:
        return chosen
    return [item for item in candidates if group(item) != previous][:1] or list(candidates[:1])


def adjacent_repeats(groups: Sequence[Hashable]) -> int:
    return sum(1 for first, second in zip(groups, groups[1:], strict=False) if first == second)
