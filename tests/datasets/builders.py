"""Small datasets for the tests: items with source contents and group columns, and their votes."""

from hypothesis import strategies as st

from moslab_science.datasets import DatasetItem, RawVote


def item(name: str, mos: float = 3.0, *, content: str = "", **groups: str) -> DatasetItem:
    return DatasetItem(
        name=name,
        file=f"images/{name}",
        sha256="0" * 64,
        mos=mos,
        std=None,
        ci95=None,
        count=None,
        source_content=content,
        groups=groups,
    )


def enhanced_items(contents: int, degradations: int = 3, enhancers: int = 2) -> list[DatasetItem]:
    """AU-IQA-like: each source content degraded several ways, each degraded image enhanced several ways."""
    return [
        item(
            f"c{c:03d}_d{d}_e{e}.png",
            1 + (c * 7 + d * 3 + e) % 41 / 10,
            content=f"c{c:03d}",
            degradation=f"d{d}",
            enhancer=f"e{e}",
        )
        for c in range(contents)
        for d in range(degradations)
        for e in range(enhancers)
    ]


def votes_for(items: list[DatasetItem], subjects: int = 3) -> list[RawVote]:
    """Integer votes on 1..5 whose mean is not constant across items."""
    return [
        RawVote(stimulus=it.name, subject=f"s{s}", score=float(1 + (i + s) % 5))
        for i, it in enumerate(items)
        for s in range(subjects)
    ]


ratios = st.lists(st.integers(1, 9), min_size=2, max_size=4).map(
    lambda weights: tuple((f"part{i}", float(w)) for i, w in enumerate(weights))
)
