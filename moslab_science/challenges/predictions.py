"""A submitted predictions file (CSV ``image,score``, or a zip holding exactly one CSV), read and checked.

Every problem is reported at once (capped), with the CSV line (the header is line 1): missing
columns, empty names, repeated images, scores that are not finite numbers, images outside the
scored part, images of the part with no prediction, and predictions that are all the same.
No Django here.
"""
import csv
import io
import math
import zipfile
from collections.abc import Collection, Mapping

from moslab_science.challenges.errors import ChallengeInputError, capped
from moslab_science.metrics import MetricsInputError
from moslab_science.metrics.tables import PREDICTION_COLUMNS, numbers_by_name, row_name
from moslab_science.mos.errors import name_ids

MAX_BYTES = 20 * 1024 * 1024


def read_predictions(
    content: bytes, *, filename: str, expected: Collection[str], part: str, max_bytes: int = MAX_BYTES
) -> dict[str, float]:
    """``{image: score}`` for exactly the ``expected`` images; raises ChallengeInputError listing every problem."""
    if len(content) > max_bytes:
        raise ChallengeInputError(f"{filename} is {len(content):,} bytes; the limit is {max_bytes:,} bytes.")
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        filename, content = _csv_in_zip(content, filename=filename, max_bytes=max_bytes)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ChallengeInputError(f"{filename} is not UTF-8 text (byte {error.start} cannot be read); "
                                  "save it as UTF-8 CSV.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in PREDICTION_COLUMNS if column not in header]
    if missing:
        raise ChallengeInputError(
            f"{filename}: missing column(s) {', '.join(missing)}; the first line must be image,score "
            f"(it is {','.join(header) or '(empty)'})"
        )
    reader.fieldnames = header
    rows = list(reader)
    if not rows:
        raise ChallengeInputError(f"{filename} has a header but no rows; give one row per image of the {part} part.")
    return check_predictions(rows, filename=filename, expected=expected, part=part)


def check_predictions(
    rows: list[dict[str, str]], *, filename: str, expected: Collection[str], part: str
) -> dict[str, float]:
    """The checks of :func:`read_predictions` on rows already read (header on line 1)."""
    problems = [f"line {line}: more cells than the header has columns" for line, row in enumerate(rows, start=2)
                if row.get(None)]
    try:
        values = numbers_by_name(rows, name_column="image", value_column="score", file_label=filename)
    except MetricsInputError as error:
        problems += error.problems
        values = {}
    expected = set(expected)
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        name = row_name(row, "image")
        if name and name not in seen:
            seen[name] = line
            if name not in expected:
                problems.append(f"line {line}: {name!r} is not an image of the {part} part")
    unpredicted = tuple(sorted(expected - seen.keys()))
    if unpredicted:
        problems.append(f"{len(unpredicted)} image(s) of the {part} part have no prediction: {name_ids(unpredicted)}")
    if not problems and len(set(values.values())) == 1:
        problems.append(f"every score is {next(iter(values.values()))!r}: correlations are undefined for constant "
                        "predictions")
    if problems:
        raise ChallengeInputError(f"{filename} was refused ({len(problems)} problem(s)); nothing was submitted.",
                                  problems=capped(problems))
    return values


def check_mapping(scores: Mapping[str, float], *, expected: Collection[str], part: str) -> dict[str, float]:
    """The same checks on a ``{image: score}`` mapping (a baseline's predictions)."""
    rows = [{"image": str(name), "score": repr(float(value)) if _is_number(value) else str(value)}
            for name, value in scores.items()]
    if not rows:
        raise ChallengeInputError(f"No predictions given; give one per image of the {part} part.")
    return check_predictions(rows, filename="predictions", expected=expected, part=part)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _csv_in_zip(content: bytes, *, filename: str, max_bytes: int) -> tuple[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise ChallengeInputError(f"{filename} is not a readable zip; submit a CSV or a zip holding one CSV.") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and not _hidden(info.filename)]
        csvs = [info for info in members if info.filename.lower().endswith(".csv")]
        if len(csvs) != 1 or len(members) != 1:
            names = ", ".join(info.filename for info in members) or "nothing"
            raise ChallengeInputError(f"{filename} must hold exactly one CSV file and nothing else; it holds {names}.")
        info = csvs[0]
        if info.file_size > max_bytes:
            raise ChallengeInputError(f"{info.filename} unpacks to {info.file_size:,} bytes; the limit is "
                                      f"{max_bytes:,} bytes.")
        try:
            data = archive.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError) as error:
            raise ChallengeInputError(f"{info.filename} in {filename} cannot be read: {error}") from None
    if len(data) > max_bytes:
        raise ChallengeInputError(f"{info.filename} unpacks to more than {max_bytes:,} bytes.")
    return f"{filename}:{info.filename}", data


def _hidden(name: str) -> bool:
    """Files a zip tool adds on its own (macOS resource forks, dot files)."""
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith(".")
