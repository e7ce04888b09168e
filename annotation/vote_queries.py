"""The queries every vote makes, as SQL written once instead of built by the ORM on each request.

A vote runs four reads (its task with the study and image, the annotator's enrolment, the image's
task counts for the cross-check, the next tasks) and two updates (task, enrolment counters); the
vote that empties a queue also asks whether any image is still open to the annotator. Built
by the ORM, each read cost 1-2.5 ms of Python and each update about 0.5 ms,
several times what PostgreSQL takes to run it (docs/benchmarks.md); written once, they cost a
fraction of that. Rows become the model instances the ORM would build (`common.rows`); what a query
reads beyond the rows comes back beside them in a typed record. Row locks (FOR NO KEY UPDATE) are
taken where the database has them, as `select_for_update(no_key=True)` would.
"""
import functools
import uuid
from typing import NamedTuple

from django.db import connection
from django.db.models import Model

from annotation.models import Enrolment, QualityItem, RatingTask
from annotation.places import places_sql
from common.rows import columns, instance, table
from studies.models import Membership, Rating, Stimulus, Study, StudyProtocol

Kind = RatingTask.Kind


def _lock(*aliases: str) -> str:
    """FOR NO KEY UPDATE [OF ...] where the database has row locks (PostgreSQL); SQLite locks on write."""
    if not connection.features.has_select_for_no_key_update:
        return ""
    return "FOR NO KEY UPDATE" + (f" OF {', '.join(aliases)}" if aliases else "")


class TaskForVote(NamedTuple):
    task: RatingTask  # with its study and stimulus loaded
    client_id_used: bool  # whether the user has a vote with the client id asked about


class EnrolmentForVote(NamedTuple):
    enrolment: Enrolment
    protocol_id: int | None  # the study's latest protocol version (None if none was published)
    protocol_stamp: object  # that version's creation time as stored: with the id, a cache key


# The annotator's own progress is counted per group of task kinds: what the page calls "image n of N"
# (gold and repeated images look like any other study image, a relabel is one more image to rate).
PROGRESS_GROUPS = {"training": (Kind.TRAINING,), "qualification": (Kind.QUALIFICATION,),
                   "rating": (Kind.RATING, Kind.RELABEL, Kind.GOLD, Kind.REPEAT)}


class Count(NamedTuple):
    done: int
    total: int


class PendingTasks(NamedTuple):
    tasks: list[RatingTask]  # each with its stimulus loaded
    study_done: int | None  # the study's votes so far (summed enrolment counters); None when no task is pending
    yours: dict[str, Count] | None = None  # the user's tasks done and assigned per PROGRESS_GROUPS; None as above


def task_for_vote(
    *, task_id: int, user_id: int, client_id: uuid.UUID, study_id: int | None = None,
) -> TaskForVote | None:
    """The task with its study and image, task and image rows locked, and whether the user has a vote with
    `client_id`. With `study_id`, only a task of that study assigned to the user, who must be an annotator
    there (None otherwise)."""
    task_sql, task_loaders = columns(RatingTask, "t")
    study_sql, study_loaders = columns(Study, "st")
    stimulus_sql, stimulus_loaders = columns(Stimulus, "s")
    client = Rating._meta.get_field("client_id").get_db_prep_value(client_id, connection)
    params = [user_id, client, task_id]
    scope = ""
    if study_id is not None:
        scope = (f"AND t.study_id = %s AND t.annotator_id = %s AND EXISTS (SELECT 1 FROM {table(Membership)} m "
                 "WHERE m.study_id = t.study_id AND m.user_id = %s AND m.role = %s)")
        params += [study_id, user_id, user_id, Membership.Role.ANNOTATOR]
    sql = (
        f"SELECT {task_sql}, {study_sql}, {stimulus_sql}, "
        f"EXISTS (SELECT 1 FROM {table(Rating)} r WHERE r.rater_id = %s AND r.client_id = %s) "
        f"FROM {table(RatingTask)} t JOIN {table(Study)} st ON st.id = t.study_id "
        f"JOIN {table(Stimulus)} s ON s.id = t.stimulus_id WHERE t.id = %s {scope} {_lock('t', 's')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    ends = (len(task_loaders), len(task_loaders) + len(study_loaders), -1)
    task = instance(RatingTask, task_loaders, row[: ends[0]])
    task.study = instance(Study, study_loaders, row[ends[0]: ends[1]])
    task.stimulus = instance(Stimulus, stimulus_loaders, row[ends[1]: ends[2]])
    return TaskForVote(task, bool(row[-1]))


def enrolment_for_vote(*, study_id: int, user_id: int) -> EnrolmentForVote | None:
    """The user's enrolment in the study, locked, with the study's latest protocol version (id and stamp)."""
    enrolment_sql, loaders = columns(Enrolment, "e")
    latest = (f"FROM {table(StudyProtocol)} p WHERE p.study_id = e.study_id ORDER BY p.version DESC LIMIT 1")
    sql = (
        f"SELECT {enrolment_sql}, (SELECT p.id {latest}), (SELECT p.created_at {latest}) "
        f"FROM {table(Enrolment)} e WHERE e.study_id = %s AND e.user_id = %s {_lock()}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [study_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return EnrolmentForVote(instance(Enrolment, loaders, row[:-2]), *row[-2:])


class StimulusTaskCounts(NamedTuple):
    pending: int  # study and relabel tasks not voted yet
    claimed: int  # study places taken
    places: int  # study places there are (`places.places_sql`)
    last_round: int | None  # the last relabel round


def stimulus_task_counts(*, stimulus_id: int, raters_per_stimulus: int) -> StimulusTaskCounts:
    """The image's study and relabel tasks and its rater places, for the cross-check."""
    sql = (
        "SELECT COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END), 0), {places_sql('%s')}, MAX(round) "
        f"FROM {table(RatingTask)} WHERE stimulus_id = %s AND kind IN (%s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [RatingTask.Status.PENDING, Kind.RATING, raters_per_stimulus, stimulus_id, stimulus_id,
                             Kind.RATING, Kind.RELABEL])
        pending, claimed, places, last_round = cursor.fetchone()
    return StimulusTaskCounts(int(pending), int(claimed), int(places), last_round)


def _open_places_sql(*, study_id: int, user_id: int, raters_per_stimulus: int) -> tuple[str, list]:
    """The images of a study still short of raters and open to a user (no place of theirs on it, not a quality
    item), and the query's parameters."""
    return (
        f"SELECT 1 FROM {table(Stimulus)} s WHERE s.study_id = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {table(QualityItem)} q WHERE q.stimulus_id = s.id) "
        f"AND NOT EXISTS (SELECT 1 FROM {table(RatingTask)} h WHERE h.stimulus_id = s.id AND h.annotator_id = %s "
        "AND h.kind = %s) "
        f"AND (SELECT COUNT(*) FROM {table(RatingTask)} t WHERE t.stimulus_id = s.id AND t.kind = %s) < "
        f"{places_sql('s.id')}"
    ), [study_id, user_id, Kind.RATING, Kind.RATING, raters_per_stimulus]


def open_place_exists(*, study_id: int, user_id: int, raters_per_stimulus: int) -> bool:
    """Whether an image of the study still short of raters is open to the user (no place of theirs on it,
    not a quality item). Stops at the first one; the vote that empties a queue asks it before claiming."""
    sql, params = _open_places_sql(study_id=study_id, user_id=user_id, raters_per_stimulus=raters_per_stimulus)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT 1", params)
        return cursor.fetchone() is not None


def open_places_count(*, study_id: int, user_id: int, raters_per_stimulus: int) -> int:
    """How many images of the study are still open to the user (see `open_place_exists`): with the images they
    hold, the most they may rate. Reads the whole study: for page loads, not for votes."""
    sql, params = _open_places_sql(study_id=study_id, user_id=user_id, raters_per_stimulus=raters_per_stimulus)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) o", params)
        return int(cursor.fetchone()[0])


@functools.cache
def _update_sql(model: type[Model], names: tuple[str, ...]) -> tuple[str, list]:
    fields = [model._meta.get_field(name) for name in names]
    sets = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    return f"UPDATE {table(model)} SET {sets} WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s", fields


def row_update(row: Model, names: tuple[str, ...]) -> None:
    """`row.save(update_fields=names)` in one prepared statement: auto_now fields are stamped as save()
    would; no signals are sent (none of the models a vote writes has receivers)."""
    sql, fields = _update_sql(type(row), names)
    values = [field.get_db_prep_save(field.pre_save(row, False), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, row.pk])


PENDING_TASK_FIELDS = ("id", "kind", "study", "stimulus")
PENDING_STIMULUS_FIELDS = ("id", "width", "height", "media_type", "duration_seconds", "prompt")


def pending_tasks(*, study_id: int, user_id: int, limit: int) -> PendingTasks:
    """The user's next pending tasks in queue order (only the fields the rating page needs, the rest loaded
    on access), each with its image, and the study's votes so far, read in the same query.

    The counts are one row computed once (a MATERIALIZED common table expression): joined as a subquery,
    PostgreSQL counted the user's tasks again for every pending task and summed the votes for every row."""
    task_sql, task_loaders = columns(RatingTask, "t", PENDING_TASK_FIELDS)
    stimulus_sql, stimulus_loaders = columns(Stimulus, "s", PENDING_STIMULUS_FIELDS)
    yours_sql, yours_params = _yours_sql()
    sql = (
        f"WITH y AS MATERIALIZED (SELECT (SELECT SUM(e.study_votes) FROM {table(Enrolment)} e "
        f"WHERE e.study_id = %s) AS study_done, yours.* FROM ({yours_sql}) yours) "
        f"SELECT {task_sql}, {stimulus_sql}, y.* FROM {table(RatingTask)} t JOIN {table(Stimulus)} s "
        "ON s.id = t.stimulus_id CROSS JOIN y "
        "WHERE t.study_id = %s AND t.annotator_id = %s AND t.status = %s ORDER BY t.priority, t.position LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [study_id, *yours_params, study_id, user_id, study_id, user_id, RatingTask.Status.PENDING,
                             limit])
        rows = cursor.fetchall()
    tasks = []
    counts = 2 * len(PROGRESS_GROUPS)
    for row in rows:
        task = instance(RatingTask, task_loaders, row[: len(task_loaders)])
        task.stimulus = instance(Stimulus, stimulus_loaders, row[len(task_loaders): -1 - counts])
        tasks.append(task)
    if not rows:
        return PendingTasks([], None, None)
    values = [int(value or 0) for value in rows[0][-counts:]]
    yours = {group: Count(*values[2 * index: 2 * index + 2]) for index, group in enumerate(PROGRESS_GROUPS)}
    return PendingTasks(tasks, int(rows[0][-1 - counts] or 0), yours)


@functools.cache
def _yours_sql() -> tuple[str, list]:
    """One row: the user's tasks done and assigned per PROGRESS_GROUPS (the study and user are the query's
    first two parameters after these)."""
    sums, params = [], []
    for group, kinds in PROGRESS_GROUPS.items():
        among = f"kind IN ({', '.join(['%s'] * len(kinds))})"
        sums.append(f"SUM(CASE WHEN {among} AND status = %s THEN 1 ELSE 0 END) AS {group}_done, "
                    f"SUM(CASE WHEN {among} THEN 1 ELSE 0 END) AS {group}_total")
        params += [*kinds, RatingTask.Status.DONE, *kinds]
    sql = f"SELECT {', '.join(sums)} FROM {table(RatingTask)} WHERE study_id = %s AND annotator_id = %s"
    return sql, params
