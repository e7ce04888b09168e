"""The fact sheet of a final entry, as in the NTIRE 2024 / VQualA 2025 reports' team tables (no Django here)."""
import math
from collections.abc import Mapping
from urllib.parse import urlparse

from moslab_science.challenges.errors import ChallengeInputError

REQUIRED = ("method", "parameters_m", "input_size", "gflops", "ensemble", "extra_data")
FIELDS = (*REQUIRED, "code_url")
TRUE_TEXT, FALSE_TEXT = {"yes", "true", "1", "on", "y"}, {"no", "false", "0", "off", "n"}
MAX_METHOD = 5000


def clean_fact_sheet(data: Mapping) -> dict[str, object]:
    """The fact sheet with typed values; raises ChallengeInputError listing every missing or wrong field."""
    problems = []
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}; a fact sheet has {', '.join(FIELDS)}")
    missing = [name for name in REQUIRED if _blank(data.get(name))]
    problems += [f"{name}: required" for name in missing]
    clean: dict[str, object] = {}
    method = str(data.get("method") or "").strip()
    if len(method) > MAX_METHOD:
        problems.append(f"method: {len(method)} characters; keep the description under {MAX_METHOD}")
    clean["method"] = method
    for name, unit in (("parameters_m", "millions of parameters"), ("gflops", "GFLOPs per input")):
        if name in missing:
            continue
        value = _number(data.get(name))
        if value is None or value < 0:
            problems.append(f"{name}: {data.get(name)!r} is not a non-negative number ({unit})")
        clean[name] = value
    clean["input_size"] = str(data.get("input_size") or "").strip()[:60]
    for name in ("ensemble", "extra_data"):
        if name in missing:
            continue
        value = _flag(data.get(name))
        if value is None:
            problems.append(f"{name}: {data.get(name)!r} is not yes or no")
        clean[name] = value
    url = str(data.get("code_url") or "").strip()
    if url and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc):
        problems.append(f"code_url: {url!r} is not an http(s) link")
    clean["code_url"] = url
    if problems:
        raise ChallengeInputError("The fact sheet is incomplete; nothing was marked final.", problems=problems)
    return clean


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in TRUE_TEXT else False if text in FALSE_TEXT else None
