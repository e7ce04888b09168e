"""Writing many rows of one model at once: PostgreSQL `COPY ... FROM STDIN`, elsewhere `executemany`.

For result rows counted in tens of thousands (MOS per stimulus, imported stimuli and votes) building
model instances and `bulk_create` costs more than the database does. The caller gives plain tuples in
the order of `fields` (attribute names: a foreign key by its `_id`). Numbers, text and booleans go to the
database as they are; JSON, UUID and date-time values pass through their field's own conversion. Inside the
caller's transaction, like any other write. `with_defaults` completes rows of some fields with what
`Model(...)` would hold in the others, so a caller need not build an instance per row to insert it.
`columns_insert` takes NumPy columns of numbers instead (NaN a NULL), which PostgreSQL receives as one binary
`COPY` block built by NumPy, with no Python call per row.
"""
import datetime
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
from django.db import connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

EXECUTEMANY_BATCH = 5_000
CONVERTED = (models.JSONField, models.UUIDField, models.DateTimeField, models.DateField)
IMMUTABLE = (datetime.date, uuid.UUID)  # a datetime is a date
# PostgreSQL's binary COPY: the file header (signature, flags, header extension length) and the end marker.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_END = (-1).to_bytes(2, "big", signed=True)
BINARY_TYPES = {"bigint": ">i8", "integer": ">i4", "smallint": ">i2", "double precision": ">f8", "real": ">f4"}


def rows_insert(*, model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` into `model`'s table; the number written."""
    by_attribute = {field.attname: field for field in model._meta.concrete_fields}
    chosen = [by_attribute[name] for name in fields]
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(field.column) for field in chosen)
    converted = [(index, field) for index, field in enumerate(chosen) if isinstance(field, CONVERTED)]
    if converted:
        previous: dict[int, tuple] = {}
        this_thread = connections[connection.alias]  # `connection` looks the thread's one up on every use
        rows = (_converted(row, converted, previous, this_thread) for row in rows)
    if connection.vendor == "postgresql":
        return _copy(f"COPY {table} ({names}) FROM STDIN", rows)
    placeholders = ", ".join(["%s"] * len(chosen))
    return _executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)


def columns_insert(*, model: type[models.Model], columns: Mapping[str, np.ndarray]) -> int:
    """Insert one row per index of the equal-length NumPy `columns` (attribute names: a foreign key by its `_id`)
    into `model`'s table, integer and float fields only; NaN in a float column is NULL. The number written."""
    by_attribute = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_attribute[name] for name in columns]
    arrays = [np.asarray(values) for values in columns.values()]
    nulls = [np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), dtype=bool) for values in arrays]
    if connection.vendor != "postgresql":
        cells = [np.where(null, None, values.astype(object)) for values, null in zip(arrays, nulls, strict=True)]
        return rows_insert(model=model, fields=list(columns), rows=zip(*cells, strict=True))
    kinds = [BINARY_TYPES[field.db_type(connection)] for field in fields]
    pattern = sum(null.astype(np.int64) << index for index, null in enumerate(nulls))  # which fields are NULL
    blocks = [COPY_HEADER]
    for nulls_of_rows in np.unique(pattern):  # rows with the same NULL fields share one record layout
        rows = np.flatnonzero(pattern == nulls_of_rows)
        null_here = [bool(nulls_of_rows >> index & 1) for index in range(len(fields))]
        layout = [("fields", ">i2")]
        for index, (kind, null) in enumerate(zip(kinds, null_here, strict=True)):
            layout += [(f"length{index}", ">i4")] + ([] if null else [(f"value{index}", kind)])
        records = np.empty(len(rows), dtype=np.dtype(layout))
        records["fields"] = len(fields)
        for index, (values, kind, null) in enumerate(zip(arrays, kinds, null_here, strict=True)):
            records[f"length{index}"] = -1 if null else np.dtype(kind).itemsize
            if not null:
                records[f"value{index}"] = values[rows]
        blocks.append(records.tobytes())
    blocks.append(COPY_END)
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(b"".join(blocks))
    return len(arrays[0]) if arrays else 0


def with_defaults(*, model: type[models.Model], fields: Sequence[str],
                  rows: Iterable[Sequence]) -> tuple[tuple[str, ...], Iterator[tuple]]:
    """(every column but the primary key, the rows completed): each field not in `fields` takes what `Model(...)`
    gives it: its default (a callable one called per row), the time now if it is `auto_now`/`auto_now_add`, else
    "" for text and None for the rest (a required field left out then fails in the database)."""
    given = set(fields)
    others = [field for field in model._meta.concrete_fields if field.attname not in given and not field.primary_key]
    now = timezone.now()
    constant, per_row = {}, {}
    for field in others:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constant[field.attname] = now
        elif field.has_default() and callable(field.default):
            per_row[field.attname] = field.default
        else:
            constant[field.attname] = field.get_default()  # as Model(...) does: "" for text, else None
    names = (*fields, *constant, *per_row)
    fixed = tuple(constant.values())
    makers = tuple(per_row.values())
    return names, (tuple(row) + fixed + tuple(make() for make in makers) for row in rows)


def _converted(row: Sequence, converted: list[tuple[int, models.Field]], previous: dict[int, tuple],
               database: BaseDatabaseWrapper) -> list:
    """The row with its fields' conversions; an immutable value that is the very object of the row before (a
    column of one time, as `with_defaults` fills it) reuses that row's conversion."""
    values = list(row)
    for index, field in converted:
        value = values[index]
        last = previous.get(index)
        if last is not None and last[0] is value:
            values[index] = last[1]
            continue
        values[index] = field.get_db_prep_save(value, database)
        if isinstance(value, IMMUTABLE):
            previous[index] = (value, values[index])
    return values


def _copy(statement: str, rows: Iterable[Sequence]) -> int:
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _executemany(statement: str, rows: Iterable[Sequence]) -> int:
    count, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(tuple(row))
            if len(batch) == EXECUTEMANY_BATCH:
                cursor.executemany(statement, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
    return count
