"""Canonical JSON and the content hash of a dataset: the same content always gives the same bytes."""

import hashlib
import json
import math


def canonical_json(obj: object) -> bytes:
    """UTF-8 JSON with sorted keys, no whitespace and floats written with ``repr``.

    Accepts dicts with text keys, lists, tuples (written as lists), text, ints, floats, booleans
    and None. NaN and infinities are refused, as are non-text keys (JSON would turn ``1`` and
    ``"1"`` into the same key).
    """
    _check(obj, "$")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def content_hash(obj: object) -> str:
    """SHA-256 (hex) of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def _check(obj: object, where: str) -> None:
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{where}: {obj!r} cannot be hashed; write None for a missing number.")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not text; convert keys to str first.")
            _check(value, f"{where}.{key}")
    elif isinstance(obj, list | tuple):
        for index, value in enumerate(obj):
            _check(value, f"{where}[{index}]")
    elif obj is not None and not isinstance(obj, str | int):
        raise TypeError(f"{where}: {type(obj).__name__} cannot be hashed; use text, numbers, lists and dicts.")
