"""Per-annotator order: random, with no two consecutive items from the same source content."""
import random
from collections import Counter, defaultdict
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
    counts = {key: len(bucket) - (1 if key == taken else 0) for key, bucket in buckets.items()}
    return spreadable(counts, previous=taken)


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
        if count > (total // 2 if key == previous else (total + 1) // 2):
            return key
    return None


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
    counts = Counter(fixed) + Counter(group(item) for item in chosen)
    while (crowded := _crowded(counts, previous=previous)) is not None:
        places = [index for index, item in enumerate(chosen) if group(item) == crowded]
        if not places:
            break
        del chosen[places[-1]]
        counts[crowded] -= 1
    if chosen:
        return chosen
    return [item for item in candidates if group(item) != previous][:1] or list(candidates[:1])


def adjacent_repeats(groups: Sequence[Hashable]) -> int:
    return sum(1 for first, second in zip(groups, groups[1:], strict=False) if first == second)
