"""The current votes of a study in one pass, read straight into NumPy: what MOS is computed from.

`Rating.objects.current()` asks, for every vote, a correlated subquery "is this the newest of its key?";
on 420,000 votes that costs seconds. Here the database only filters (the counted votes of one study and
dimension, `studies.models.counted_votes`) and streams them; NumPy then keeps the newest vote of each
(stimulus, rater) by `NEWEST_FIRST` (newest `created_at`, then highest id): the votes of each key counted
(in linear time where the keys are dense, as in any study with several votes per stimulus), and a sort by
time of the few keys with several votes (relabels). Sorting in
the database (a window or `DISTINCT ON`) took twice the time of the plain read on PostgreSQL. PostgreSQL
sends all the votes as one binary value through `COPY ... TO STDOUT (FORMAT binary)`, parsed by one
`np.frombuffer`; SQLite (and any other back-end) fetches them through the cursor in large chunks. The
dimension is fixed by the filter, so the key is (stimulus, rater) within it (`VOTE_KEY`).
"""
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import psycopg
import psycopg.sql
from django.db import connection, transaction
from django.db.models import Max, Min

from studies.models import NEWEST_FIRST, VOTE_KEY, Rating, Stimulus, Study, counted_votes

FETCH_ROWS = 50_000
TWO_SESSIONS_FROM_STIMULI = 20_000  # a span of stimulus keys from which PostgreSQL reads in two sessions
DENSE_TABLE_FACTOR = 4  # a count table up to 4 entries per vote
KEY = tuple(f"{field}_id" for field in VOTE_KEY if field != "dimension")  # ("stimulus_id", "rater_id")
ORDER = tuple(field.lstrip("-").replace("pk", "id") for field in NEWEST_FIRST)  # ("created_at", "id")
COLUMNS = (*KEY, *ORDER, "score")
# Each vote as fixed-width big-endian binary (PostgreSQL's send functions; a timestamptz is int8 microseconds).
SEND = {"stimulus_id": ("int8send({}::int8)", ">i8"), "rater_id": ("int8send({}::int8)", ">i8"),
        "created_at": ("timestamptz_send({})", ">i8"), "id": ("int8send({}::int8)", ">i8"),
        "score": ("float8send({}::float8)", ">f8")}
_RECORD = np.dtype([(name, SEND[name][1]) for name in COLUMNS])
# The same through a cursor (SQLite): the time as its ISO 8601 text, at most 32 characters with a UTC offset.
_TEXT_RECORD = np.dtype([(name, "S32" if name == "created_at" else SEND[name][1].lstrip(">")) for name in COLUMNS])
_COPY_HEADER = 19 + 2  # signature (11), flags (4), extension length (4); then the row's field count (2)
assert all(field.startswith("-") for field in NEWEST_FIRST), "newest first: every order field descending"


@dataclass(frozen=True)
class VoteCells:
    """One row per (stimulus, rater): the current vote's score, as parallel arrays of primary keys."""

    stimulus_pk: np.ndarray  # int64
    rater_pk: np.ndarray  # int64
    score: np.ndarray  # float64
    vote_pk: np.ndarray  # int64: the current vote itself (exports mark it "current")

    def __len__(self) -> int:
        return len(self.score)


def counted_votes_query(study: Study, *, dimension: str, verified_only: bool = True, as_of=None):
    """Every vote of one dimension that the current-vote rule chooses among, as `COLUMNS`."""
    counted = counted_votes(verified_only=verified_only, as_of=as_of)
    return Rating.objects.filter(counted, study=study, dimension=dimension).order_by().values_list(*COLUMNS)


def current_vote_cells(study: Study, *, dimension: str = "", verified_only: bool = True, as_of=None) -> VoteCells:
    """The current votes of `study` on `dimension` ("" the single score), `verified_only` and `as_of` as in the
    rule (`as_of`: the votes current at that moment)."""
    query = counted_votes_query(study, dimension=dimension, verified_only=verified_only, as_of=as_of)
    sql, params = query.query.sql_with_params()
    if connection.vendor == "postgresql":
        columns = _copy_binary(sql, params, split=_split_point(study))
    else:
        columns = _fetch_chunks(sql, params)
    return _newest_per_key(columns)


def _split_point(study: Study) -> int | None:
    """The stimulus primary key halfway through the study's, for a study large enough to read in two sessions."""
    span = Stimulus.objects.filter(study=study).aggregate(low=Min("pk"), high=Max("pk"))
    if span["low"] is None or span["high"] - span["low"] < TWO_SESSIONS_FROM_STIMULI:
        return None
    return (span["low"] + span["high"] + 1) // 2


def _newest_per_key(columns: dict[str, np.ndarray]) -> VoteCells:
    """Of each (stimulus, rater)'s votes, the one `NEWEST_FIRST` puts first.

    Most keys hold one vote: those are found by counting the votes per key (`_alone`), and only the keys with
    several votes (relabels) are sorted, by key and time."""
    stimulus, rater = (columns[name].astype(np.int64, copy=False) for name in KEY)
    key, cells = _combined(stimulus, rater)
    alone = _alone(key, cells)
    chosen = np.flatnonzero(alone)
    shared = np.flatnonzero(~alone)
    if len(shared):  # the newest of each shared key: sorted by key, then oldest to newest; the last wins
        by_time = shared[np.lexsort([*(columns[name][shared] for name in reversed(ORDER)), key[shared]])]
        last = np.ones(len(by_time), dtype=bool)
        last[:-1] = key[by_time][1:] != key[by_time][:-1]
        chosen = np.concatenate([chosen, by_time[last]])
    return VoteCells(stimulus_pk=stimulus[chosen], rater_pk=rater[chosen],
                     score=columns["score"][chosen].astype(np.float64, copy=False),
                     vote_pk=columns["id"][chosen].astype(np.int64, copy=False))


def _alone(key: np.ndarray, cells: int) -> np.ndarray:
    """Per vote: whether it is the only one of its key. Counted in a table of every possible key where that
    table is not much longer than the votes (linear time), else found by sorting the keys."""
    if cells <= DENSE_TABLE_FACTOR * len(key):
        return np.bincount(key, minlength=cells)[key] == 1
    order = np.argsort(key)
    sorted_key = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_key[1:] != sorted_key[:-1]
    size = np.diff(np.append(np.flatnonzero(first), len(order)))
    alone = np.empty(len(order), dtype=bool)
    alone[order] = np.repeat(size == 1, size)
    return alone


def _combined(stimulus: np.ndarray, rater: np.ndarray) -> tuple[np.ndarray, int]:
    """One int64 per (stimulus, rater), equal only for equal pairs, and how many values it can take: the pair
    of the keys' indexes among their distinct values."""
    stimulus, stimuli = _indexes(stimulus)
    rater, raters = _indexes(rater)
    return stimulus * raters + rater, stimuli * raters


def _indexes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's index among the distinct values (in order), and their number. Through a table over the
    values' span where it is not much longer than the values (linear time), else by sorting."""
    if not len(values):
        return np.zeros(0, dtype=np.int64), 0
    lowest = values.min()
    span = int(values.max() - lowest) + 1
    if span > DENSE_TABLE_FACTOR * len(values):
        distinct, inverse = np.unique(values, return_inverse=True)
        return inverse.astype(np.int64), len(distinct)
    offsets = values - lowest
    seen = np.zeros(span, dtype=bool)
    seen[offsets] = True
    index = np.cumsum(seen) - 1
    return index[offsets], int(index[-1]) + 1


def _copy_binary(sql: str, params, *, split: int | None = None) -> dict[str, np.ndarray]:
    """One aggregated value, streamed by binary COPY: PostgreSQL only scans and concatenates; Python parses
    it with one `np.frombuffer` (a row-per-vote COPY spends more in Python than the database spends).

    With `split` (a stimulus primary key), two database sessions share the work, the votes of stimuli below
    `split` read in a second session while this one reads the rest, both in one snapshot (exported by this
    session, imported by the other), so the halves are exactly the votes one read would see. Only outside a
    transaction: the other session would not see this one's uncommitted writes."""
    if split is None or connection.in_atomic_block:
        return _columns(_copy_aggregate(connection.cursor(), sql, params))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        with ThreadPoolExecutor(max_workers=1) as pool:
            below = pool.submit(_copy_in_snapshot, snapshot, f"SELECT * FROM ({sql}) v WHERE v.stimulus_id < %s",
                                (*params, split))
            above = _copy_aggregate(connection.cursor(), f"SELECT * FROM ({sql}) v WHERE v.stimulus_id >= %s",
                                    (*params, split))
            halves = [_columns(half) for half in (below.result(), above)]
    return {name: np.concatenate([half[name] for half in halves]) for name in COLUMNS}


def _copy_in_snapshot(snapshot: str, sql: str, params) -> bytearray:
    """`_copy_aggregate` in a new database session that reads `snapshot`."""
    session = connection.get_new_connection(connection.get_connection_params())
    try:
        session.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        session.execute(psycopg.sql.SQL("SET TRANSACTION SNAPSHOT {}").format(psycopg.sql.Literal(snapshot)))
        return _copy_aggregate(session.cursor(), sql, params)
    finally:
        session.close()


def _copy_aggregate(cursor, sql: str, params) -> bytearray:
    """Every vote of `sql` as one value of fixed-width records (`_RECORD`), read by binary COPY."""
    record = " || ".join(SEND[name][0].format(f"q.{name}") for name in COLUMNS)
    aggregate = f"SELECT string_agg({record}, ''::bytea) FROM ({sql}) q"
    buffer = bytearray()
    raw = getattr(cursor, "cursor", cursor)  # Django's cursor wraps psycopg's
    with cursor, raw.copy(f"COPY ({aggregate}) TO STDOUT (FORMAT binary)", params) as copy:
        for block in copy:
            buffer += block
    return buffer


def _columns(buffer: bytearray) -> dict[str, np.ndarray]:
    length = int.from_bytes(buffer[_COPY_HEADER:_COPY_HEADER + 4], "big", signed=True)  # -1: no vote (NULL)
    rows = np.frombuffer(buffer, dtype=_RECORD, count=max(length, 0) // _RECORD.itemsize, offset=_COPY_HEADER + 4)
    return {name: rows[name].astype(np.float64 if name == "score" else np.int64) for name in COLUMNS}


def _fetch_chunks(sql: str, params) -> dict[str, np.ndarray]:
    """Rows through the cursor in large chunks, each chunk made one NumPy record array. `created_at` is read as
    the text SQLite stores, cast in SQL so that Django's converter does not parse every vote's time: UTC in ISO
    8601 (with or without fractions and offset) sorts as time, as bytes too."""
    texts = ", ".join(f"CAST(q.{name} AS TEXT)" if name == "created_at" else f"q.{name}" for name in COLUMNS)
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {texts} FROM ({sql}) q", params)
        while chunk := cursor.fetchmany(FETCH_ROWS):
            parts.append(np.array(chunk, dtype=_TEXT_RECORD))
    rows = np.concatenate(parts) if parts else np.zeros(0, dtype=_TEXT_RECORD)
    return {name: rows[name] for name in COLUMNS}
