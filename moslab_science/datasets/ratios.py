"""Split ratios as people write them, in one of two ways, the same for the launch form, the APIs and the commands.

``7:1:2`` is train:val:test, three weights in that order; ``train=7,val=1,test=2`` names each part, so it
can name any parts (``train=8,test=2``, or ``train=9,val=1`` to carve the training side of a cross-group
split). Weights are positive numbers, normalised by whoever splits.
"""
import math

from moslab_science.errors import DomainError

POSITIONAL_PARTS = ("train", "val", "test")
SYNTAXES = "7:1:2 (train:val:test) or part=weight, e.g. train=7,val=1,test=2"

Ratios = tuple[tuple[str, float], ...]


class RatioError(DomainError):
    """Ratios that cannot be read; the message shows both ways to write them."""


def parse_ratios(text: str) -> Ratios:
    """``"7:1:2"`` or ``"train=7,val=1,test=2"`` -> ``(("train", 7.0), ("val", 1.0), ("test", 2.0))``."""
    text = text.strip()
    if not text:
        raise RatioError(f"Give the split ratios as {SYNTAXES}.")
    if "=" in text:
        return _checked(_named(text), text)
    if ":" in text:
        return _checked(_positional(text), text)
    raise RatioError(f"Ratios {text!r} cannot be read; write them as {SYNTAXES}.")


def _positional(text: str) -> list[tuple[str, str]]:
    weights = [piece.strip() for piece in text.split(":")]
    if len(weights) != len(POSITIONAL_PARTS):
        raise RatioError(f"Ratios {text!r} have {len(weights)} weights, not 3; write them as {SYNTAXES} "
                         "(name the parts for other than three, e.g. train=8,test=2).")
    return list(zip(POSITIONAL_PARTS, weights, strict=True))


def _named(text: str) -> list[tuple[str, str]]:
    pairs = []
    for chunk in (piece.strip() for piece in text.split(",")):
        name, sign, weight = chunk.partition("=")
        if not sign or not name.strip():
            raise RatioError(f"Ratios {text!r}: {chunk!r} is not part=weight; write them as {SYNTAXES}.")
        pairs.append((name.strip(), weight.strip()))
    return pairs


def _checked(pairs: list[tuple[str, str]], text: str) -> Ratios:
    ratios = []
    for name, weight in pairs:
        try:
            value = float(weight)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise RatioError(f"Ratios {text!r}: the weight of {name} is {weight!r}, not a positive number.")
        ratios.append((name, value))
    names = [name for name, _ in ratios]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RatioError(f"Ratios {text!r} name {', '.join(repeated)} more than once; give each part one weight.")
    return tuple(ratios)
