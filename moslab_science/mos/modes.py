"""The two ways the engine can run: sound defaults, or an exact replica of sureal 0.9.0."""

from typing import Literal, get_args

from moslab_science.mos.errors import MosInputError

Mode = Literal["default", "sureal"]
MODES: tuple[str, ...] = get_args(Mode)


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise MosInputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}.")
    return mode  # type: ignore[return-value]
