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


class _Unhashable(Exception):
    """A value canonical JSON refuses; `path` is filled in on the way out (no path is built for good values)."""

    def __init__(self, error: type[Exception], message: str):
        super().__init__(message)
        self.error, self.message, self.path = error, message, []


def _check(obj: object, where: str) -> None:
    try:
        _check_value(obj)
    except _Unhashable as bad:
        raise bad.error(f"{where}{''.join(reversed(bad.path))}: {bad.message}") from None


def _check_value(obj: object) -> None:
    if isinstance(obj, str | int) or obj is None:
        return
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise _Unhashable(ValueError, f"{obj!r} cannot be hashed; write None for a missing number.")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise _Unhashable(TypeError, f"key {key!r} is not text; convert keys to str first.")
            try:
                _check_value(value)
            except _Unhashable as bad:
                bad.path.append(f".{key}")
                raise
    elif isinstance(obj, list | tuple):
        for index, value in enumerate(obj):
            try:
                _check_value(value)
            except _Unhashable as bad:
                bad.path.append(f"[{index}]")
                raise
    else:
        raise _Unhashable(TypeError, f"{type(obj).__name__} cannot be hashed; use text, numbers, lists and dicts.")
