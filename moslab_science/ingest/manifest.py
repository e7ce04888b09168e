"""The optional CSV manifest: one row per image with its metadata.

Columns: `file` (required, the path inside the source), `source_content`, `reference` (the file of
the reference stimulus), `prompt`, and any number of group labels named `group_<label>`, for
example `group_degradation,group_enhancer`. Any other column is an error, so typos never pass silently.
"""
import csv
import io
from dataclasses import dataclass, field

FIXED_COLUMNS = ("file", "source_content", "reference", "prompt")
GROUP_PREFIX = "group_"


class ManifestProblem(ValueError):
    """The manifest cannot be used; `problems` lists every line at fault."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class StimulusMeta:
    source_content: str = ""
    reference: str = ""
    prompt: str = ""
    groups: dict[str, str] = field(default_factory=dict)


def read_manifest(text: str) -> dict[str, StimulusMeta]:
    """Parse the manifest into {file: metadata}; raise ManifestProblem listing every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [column.strip() for column in (reader.fieldnames or [])]
    problems = _column_problems(columns)
    if problems:
        raise ManifestProblem("the manifest's columns are wrong", problems)
    reader.fieldnames = columns
    rows: dict[str, StimulusMeta] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            problems.append(f"manifest line {line}: more cells than columns")
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        name = cells["file"]
        if not name:
            problems.append(f"manifest line {line}: the file cell is empty")
        elif name in rows:
            problems.append(f"manifest line {line}: {name} is listed twice")
        else:
            rows[name] = StimulusMeta(
                source_content=cells.get("source_content", ""),
                reference=cells.get("reference", ""),
                prompt=cells.get("prompt", ""),
                groups={
                    key[len(GROUP_PREFIX) :]: value
                    for key, value in cells.items()
                    if key.startswith(GROUP_PREFIX) and value
                },
            )
    if problems:
        raise ManifestProblem("the manifest has bad lines", problems)
    return rows


def _column_problems(columns: list[str]) -> list[str]:
    if not columns:
        return ["the manifest is empty: it needs a header line starting with `file`"]
    problems = []
    if "file" not in columns:
        problems.append("the manifest has no `file` column")
    for column in columns:
        if column in FIXED_COLUMNS:
            continue
        if column.startswith(GROUP_PREFIX) and len(column) > len(GROUP_PREFIX):
            continue
        problems.append(
            f"unknown manifest column {column!r}: use {', '.join(FIXED_COLUMNS)} or group_<label>"
        )
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    problems += [f"manifest column {column!r} appears twice" for column in duplicated]
    return problems
