"""Per-annotator order: random, with no two consecutive items from the same source content."""
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def spread_order(
    items: Sequence[T], *, group: Callable[[T], Hashable], rng: random.Random, previous: Hashable | None = None
) -> list[T]:
    """A random order of `items` in which no two neighbours (nor `previous` and the first) share a group.

    Each step picks a random group other than the last one, weighted by what is left of it, among
    the choices that still leave a valid order for the rest. When no valid order exists (one group
    holds more than half), repeats are kept as few as the greedy choice allows.
    """
    buckets: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        buckets[group(item)].append(item)
    for bucket in buckets.values():
        rng.shuffle(bucket)
    order: list[T] = []
    last = previous
    while buckets:
        options = [key for key in buckets if key != last]
        feasible = [key for key in options if _feasible(buckets, taken=key)]
        pool = feasible or options or list(buckets)
        choice = rng.choices(pool, weights=[len(buckets[key]) for key in pool])[0]
        order.append(buckets[choice].pop())
        if not buckets[choice]:
            del buckets[choice]
        last = choice
    return order


def _feasible(buckets: dict[Hashable, list], *, taken: Hashable) -> bool:
    """Can the rest be ordered without neighbours in one group once one item of `taken` goes first?"""
    rest = sum(len(bucket) for bucket in buckets.values()) - 1
    for key, bucket in buckets.items():
        count = len(bucket) - (1 if key == taken else 0)
        limit = rest // 2 if key == taken else (rest + 1) // 2
        if count > limit:
            return False
    return True


def adjacent_repeats(groups: Sequence[Hashable]) -> int:
    return sum(1 for first, second in zip(groups, groups[1:], strict=False) if first == second)
