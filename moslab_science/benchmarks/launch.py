"""What a launch asks for: a preset, with only what the admin form, the runs API or a script changes laid over it.

Every entry point builds its request here, so the same fields mean the same thing everywhere: a change left
out (None, "" or an empty list) keeps the preset's value, ratios are read by ``parse_ratios`` (``7:1:2`` or
``train=7,val=1,test=2``), and a protocol switched to zero-shot without ratios drops the preset's, since
nothing is split.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from moslab_science.benchmarks.presets import PRESETS
from moslab_science.benchmarks.protocol import Protocol
from moslab_science.datasets.ratios import parse_ratios
from moslab_science.errors import DomainError

PROTOCOL_FIELDS = ("scheme", "ratios", "seed", "repeats", "split", "cross_column", "train_groups", "test_groups",
                   "group_column", "rank_by")


@dataclass(frozen=True)
class LaunchRequest:
    preset: str
    models: list[str]
    protocol: Protocol
    hyperparameters: dict


def merged(base: Mapping, overrides: Mapping) -> dict:
    """``overrides`` laid over ``base``; nested dicts are merged key by key, other values replaced."""
    result = dict(base)
    for key, value in overrides.items():
        nested = isinstance(value, Mapping) and isinstance(result.get(key), Mapping)
        result[key] = merged(result[key], value) if nested else value
    return result


def launch_request(*, preset: str, changes: Mapping, models: Sequence[str] = (),
                   hyperparameters: Mapping | None = None) -> LaunchRequest:
    """The preset's protocol, models and hyperparameters with ``changes`` (protocol fields) laid over them.

    ``ratios`` is text; ``train_groups`` and ``test_groups`` are sequences of names. Refused with a
    DomainError when the preset is unknown, a field is not a protocol field or the ratios cannot be read.
    """
    if preset not in PRESETS:
        raise DomainError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    unknown = sorted(set(changes) - set(PROTOCOL_FIELDS))
    if unknown:
        raise DomainError(f"Not protocol fields: {', '.join(unknown)} (fields: {', '.join(PROTOCOL_FIELDS)}).")
    chosen = PRESETS[preset]
    given = {key: value.strip() if isinstance(value, str) else value for key, value in changes.items()}
    given = {key: value for key, value in given.items() if value not in (None, "", [], ())}
    protocol = chosen.protocol.as_dict()
    protocol.update({key: tuple(value) if key.endswith("_groups") else value for key, value in given.items()
                     if key != "ratios"})
    if "ratios" in given:
        protocol["ratios"] = parse_ratios(given["ratios"])
    elif protocol["scheme"] == "zero_shot":
        protocol["ratios"] = ()
    return LaunchRequest(
        preset=chosen.key, models=list(models) or list(chosen.models), protocol=Protocol.from_dict(protocol),
        hyperparameters=merged(chosen.hyperparameters, hyperparameters or {}),
    )
