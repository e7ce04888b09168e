"""The sane shape and range of every protocol setting, both ends included: the parser refuses any other value
(and says the range), the coordinator's form shows the same bounds. A block is claimed under the study's lock, so
its size is bounded; a consistency threshold is in scale units (the slider spans 100)."""
import math

MAX_VIEWING_SECONDS = 30
MAX_ASPECTS, MAX_SEVERITIES, MAX_EXAMPLES, MAX_INSTRUCTIONS = 12, 8, 20, 5000
WHOLE_LIMITS = {
    "raters_per_stimulus": (1, 50),  # the study's setting (not in a protocol config), bounded here with the rest
    "block_size": (1, 500), "repeats_per_block": (0, 50), "gold_every": (0, 1000),
    "gold_pause_after": (0, 100), "break_seconds": (0, 3600), "relabel_rounds": (0, 10),
}
REAL_LIMITS = {
    "reason_tolerance": (0.0, 4.0), "qualification_threshold": (0.0, 1.0), "weight": (0.0, 10.0),
    "points": (0.0, 4.0), "min_range": (0.0, 100.0), "max_deviation": (0.0, 100.0), "max_std": (0.0, 100.0),
}


def whole_problem(name: str, value) -> str | None:
    """Why `value` is not an allowed whole number for the setting `name`, or None."""
    low, high = WHOLE_LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{name} must be a whole number from {low} to {high}"
    return None


def real_problem(name: str, value, *, optional: bool = False) -> str | None:
    """Why `value` is not an allowed number for the setting `name` (None allowed when optional), or None."""
    if value is None and optional:
        return None
    low, high = REAL_LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return f"{name} must be a number from {low:g} to {high:g}"
    return None



def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def shape_problems(merged: dict) -> list[str]:
    """What has the wrong type in a merged config (a config sent as JSON may hold anything); ranges are checked
    after, by number_problems."""
    problems = []
    for key in ("completion_code", "show_prompt", "replay"):
        if not isinstance(merged[key], bool):
            problems.append(f"{key} must be true or false")
    rule = merged["consistency"]
    if not isinstance(rule, dict) or set(rule) - {"min_range", "max_deviation", "max_std"}:
        problems.append("consistency must be {\"min_range\", \"max_deviation\", \"max_std\"}, each a number "
                        "or null")
    if not isinstance(merged["examples"], list):
        problems.append("examples must be a list")
    for key, number in (("aspects", "weight"), ("severities", "points")):
        rows = merged[key]
        if not isinstance(rows, list) or not all(
                isinstance(row, dict) and isinstance(row.get("key"), str) and row["key"].strip()
                and isinstance(row.get("label"), str) and _is_number(row.get(number))
                and isinstance(row.get("shortcut", row["key"][:1]), str) for row in rows):
            problems.append(f"{key} must be a list of {{\"key\", \"label\", \"{number}\"}} with text keys and "
                            f"labels and a number as {number}")
    return problems


def number_problems(merged: dict) -> list[str]:
    """Every number and list of the merged config outside its sane range (WHOLE_LIMITS, REAL_LIMITS...)."""
    problems = [problem for key in WHOLE_LIMITS if key in merged and (problem := whole_problem(key, merged[key]))]
    problems += [problem for key in ("reason_tolerance", "qualification_threshold")
                 if (problem := real_problem(key, merged[key]))]
    rule = merged["consistency"]
    if isinstance(rule, dict):
        problems += [problem for key in ("min_range", "max_deviation", "max_std")
                     if (problem := real_problem(key, rule.get(key), optional=True))]
    else:
        problems.append("consistency must be {\"min_range\": ..., \"max_deviation\": ..., \"max_std\": ...}")
    for key, most in (("aspects", MAX_ASPECTS), ("severities", MAX_SEVERITIES), ("examples", MAX_EXAMPLES)):
        if not isinstance(merged[key], list):
            problems.append(f"{key} must be a list")
        elif len(merged[key]) > most:
            problems.append(f"at most {most} {key} ({len(merged[key])} given)")
    if not isinstance(merged["instructions"], str) or len(merged["instructions"]) > MAX_INSTRUCTIONS:
        problems.append(f"instructions must be a text of at most {MAX_INSTRUCTIONS} characters")
    return problems
