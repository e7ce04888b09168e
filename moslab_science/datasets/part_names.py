"""Official split parts as moslab names them: a map given on import (``0=train,1=val,2=test``) and the warning
when a dataset's parts are not named train, val and test (exports for Q-Align and others look for those names)."""

from collections.abc import Mapping

from moslab_science.datasets.records import DatasetError, name_examples
from moslab_science.errors import excerpt

STANDARD_PARTS = ("train", "val", "test")


def parse_part_map(text: str) -> dict[str, str]:
    """``'0=train,1=val,2=test'`` -> ``{"0": "train", "1": "val", "2": "test"}``; empty text maps nothing."""
    mapping: dict[str, str] = {}
    for chunk in filter(None, (piece.strip() for piece in text.split(","))):
        value, sep, part = (piece.strip() for piece in chunk.partition("="))
        if not sep or not value or not part:
            raise DatasetError(f"a split map is written value=part, e.g. 0=train,1=val,2=test; {excerpt(chunk)!r} "
                               "is not.")
        if value in mapping:
            raise DatasetError(f"the split map names the value {excerpt(value)!r} twice.")
        mapping[value] = part
    return mapping


def rename_parts(splits: Mapping[str, Mapping[str, str]], mapping: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Each split's parts renamed by ``mapping``; a value the map does not name is refused (nothing is guessed)."""
    if not mapping:
        return {name: dict(parts) for name, parts in splits.items()}
    found = sorted({part for parts in splits.values() for part in parts.values()})
    unmapped = [value for value in found if value not in mapping]
    if unmapped:
        raise DatasetError(f"the split map does not name the split value(s) {name_examples(unmapped)}; the file's "
                           f"values are {name_examples(found)}.")
    unused = sorted(set(mapping) - set(found))
    if unused:
        raise DatasetError(f"the split map names value(s) the file does not have: {name_examples(unused)}; the "
                           f"file's values are {name_examples(found)}.")
    return {name: {item: mapping[part] for item, part in parts.items()} for name, parts in splits.items()}


def part_warnings(splits: Mapping[str, Mapping[str, str]]) -> list[str]:
    """A warning per split whose parts are not all named train, val or test."""
    warnings = []
    for name, parts in splits.items():
        odd = sorted(set(parts.values()) - set(STANDARD_PARTS))
        if odd:
            warnings.append(
                f"split {name!r} has part(s) {name_examples(odd)}, not train/val/test: exports that need a training "
                "part (Q-Align) and per-part files will not find them; map them on import, e.g. "
                "--split-map 0=train,1=val,2=test."
            )
    return warnings
