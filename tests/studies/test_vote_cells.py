"""The one-pass read of the current votes equals the ORM's `current()` on generated vote histories.

Histories mix relabels (newer votes that supersede older ones, verified or still pending), unverified votes,
quality-control votes (training, qualification, gold, repeat), several dimensions and votes made in the same
instant (the newer primary key then wins). Runs on whichever back-end the suite uses (SQLite: the chunked
cursor; PostgreSQL: binary COPY).
"""
import uuid
from datetime import UTC, datetime, timedelta
from itertools import count

import numpy as np
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studies import services
from studies.bulk_rows import rows_insert
from studies.models import Rating, Stimulus
from studies.mos_adapter import study_score_matrix
from studies.vote_cells import _alone, _copy_binary, _newest_per_key, counted_votes_query, current_vote_cells

pytestmark = pytest.mark.django_db
PURPOSES = [Rating.Purpose.RATING] * 4 + [Rating.Purpose.GOLD, Rating.Purpose.TRAINING, Rating.Purpose.REPEAT,
                                          Rating.Purpose.QUALIFICATION]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STUDIES = count()

vote = st.tuples(
    st.integers(0, 4),  # stimulus
    st.integers(0, 3),  # rater
    st.sampled_from(["", "technical"]),  # dimension
    st.sampled_from(PURPOSES),
    st.booleans(),  # verified
    st.integers(0, 6),  # instant (half seconds): equal instants make ties that the primary key breaks
    st.integers(1, 5),  # score
    st.booleans(),  # a relabel: supersedes the rater's previous vote on the stimulus
)


@pytest.fixture
def people(make_user, coordinator):
    return coordinator, [make_user(f"history-rater{index}") for index in range(4)]


def write_history(people, history) -> tuple:
    coordinator, raters = people
    study = services.study_create(name="History", slug=f"history-{next(STUDIES)}", created_by=coordinator)
    stimuli = Stimulus.objects.bulk_create([Stimulus(study=study, name=f"s{index}.png") for index in range(5)])
    last: dict[tuple, int] = {}
    next_pk = (Rating.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    rows = []
    for stimulus, rater, dimension, purpose, verified, instant, score, relabel in history:
        key = (stimulus, rater, dimension)
        supersedes = last.get(key) if relabel else None
        created = EPOCH + timedelta(milliseconds=500 * instant)
        rows.append((next_pk, study.pk, stimuli[stimulus].pk, raters[rater].pk, float(score), dimension,
                     uuid.uuid4(), created, purpose, 1 if supersedes else 0, supersedes, verified, {}, {}, "", ""))
        last[key] = next_pk
        next_pk += 1
    rows_insert(model=Rating, rows=rows, fields=(
        "id", "study_id", "stimulus_id", "rater_id", "score", "dimension", "client_id", "created_at", "purpose",
        "round", "supersedes_id", "verified", "deductions", "display", "reason", "change_reason"))
    return study


def cells_as_set(cells) -> set:
    return set(zip(cells.stimulus_pk.tolist(), cells.rater_pk.tolist(), cells.score.tolist(), strict=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(vote, max_size=60))
def test_one_pass_equals_the_orm_rule(people, history):
    study = write_history(people, history)
    for dimension in ("", "technical"):
        votes = Rating.objects.filter(study=study, dimension=dimension)
        orm_current = set(votes.current().values_list("stimulus_id", "rater_id", "score"))
        orm_latest = set(votes.latest_per_rater().values_list("stimulus_id", "rater_id", "score"))
        cells = current_vote_cells(study, dimension=dimension)
        assert cells_as_set(cells) == orm_current
        assert set(cells.vote_pk.tolist()) == set(votes.current().values_list("pk", flat=True))  # the same votes
        assert cells_as_set(current_vote_cells(study, dimension=dimension, verified_only=False)) == orm_latest


def test_relabels_pending_checks_and_quality_votes(people):
    """A hand-made history whose answer is known: what counts is the newest verified study rating."""
    history = [
        (0, 0, "", Rating.Purpose.RATING, True, 0, 2, False),  # replaced by the verified relabel below
        (0, 0, "", Rating.Purpose.RATING, True, 1, 4, True),
        (0, 1, "", Rating.Purpose.RATING, True, 0, 3, False),  # still counts: its relabel is pending
        (0, 1, "", Rating.Purpose.RATING, False, 1, 1, True),
        (1, 0, "", Rating.Purpose.GOLD, True, 2, 5, False),  # quality control never counts
        (1, 1, "", Rating.Purpose.RATING, False, 0, 5, False),  # never verified
        (2, 2, "", Rating.Purpose.RATING, True, 3, 1, False),  # a tie in time: the newer row wins
        (2, 2, "", Rating.Purpose.RATING, True, 3, 5, False),
    ]
    study = write_history(people, history)
    stimuli = list(Stimulus.objects.filter(study=study).order_by("name").values_list("pk", flat=True))
    raters = [user.pk for user in people[1]]
    assert cells_as_set(current_vote_cells(study)) == {(stimuli[0], raters[0], 4.0), (stimuli[0], raters[1], 3.0),
                                                       (stimuli[2], raters[2], 5.0)}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(vote, min_size=1, max_size=60))
def test_score_matrix_equals_the_one_built_from_the_orm(people, history):
    study = write_history(people, history)
    votes = list(Rating.objects.filter(study=study, dimension="").current()
                 .values_list("stimulus__name", "rater__username", "score"))
    if not votes:
        return
    matrix = study_score_matrix(study).matrix
    raters = sorted({username for _, username, _ in votes})
    names = sorted(Stimulus.objects.filter(study=study).values_list("name", flat=True))
    expected = np.full((len(names), len(raters), 1), np.nan)
    for name, username, score in votes:
        expected[names.index(name), raters.index(username), 0] = score
    assert list(matrix.stimulus_ids) == names and list(matrix.subject_ids) == raters
    np.testing.assert_array_equal(matrix.scores, expected)


def test_newest_vote_per_key_with_keys_too_far_apart_for_a_table():
    """Primary keys spread far wider than the votes are indexed by sorting, not through a table: the same choice."""
    big = 2**40
    columns = {"stimulus_id": np.array([big, 1, big, 1, big]), "rater_id": np.array([big, big, 1, big, big]),
               "created_at": np.array([5, 1, 1, 1, 5]), "id": np.array([10, 11, 12, 13, 14]),
               "score": np.array([1.0, 2.0, 3.0, 4.0, 5.0])}
    cells = _newest_per_key(columns)
    assert sorted(zip(cells.stimulus_pk.tolist(), cells.rater_pk.tolist(), cells.vote_pk.tolist(), strict=True)) == [
        (1, big, 13), (big, 1, 12), (big, big, 14)]  # same instant: the higher id wins


@given(keys=st.lists(st.integers(min_value=0, max_value=40), max_size=200))
def test_lone_votes_found_by_counting_equal_those_found_by_sorting(keys):
    """The linear count over a table of every key and the sort (taken for keys too sparse for a table) agree."""
    key = np.array(keys, dtype=np.int64)
    counted = _alone(key, cells=41)
    sorted_out = _alone(key, cells=10**9)  # far more keys than a table may hold: found by sorting
    expected = [keys.count(value) == 1 for value in keys]
    assert counted.tolist() == expected and sorted_out.tolist() == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two database sessions sharing a snapshot: PostgreSQL")
def test_reading_in_two_sessions_gives_the_votes_of_one_read(people):
    """A large study's votes are read in two PostgreSQL sessions (split at a stimulus) in one exported snapshot:
    the same cells as one session's read, with votes on both sides of the split and relabels among them."""
    rng = np.random.default_rng(11)
    history = [(int(rng.integers(5)), int(rng.integers(4)), "", Rating.Purpose.RATING, bool(rng.random() < 0.9),
                int(rng.integers(7)), int(rng.integers(1, 6)), bool(rng.random() < 0.3)) for _ in range(80)]
    study = write_history(people, history)
    stimuli = sorted(Stimulus.objects.filter(study=study).values_list("pk", flat=True))
    sql, params = counted_votes_query(study, dimension="").query.sql_with_params()
    one = _newest_per_key(_copy_binary(sql, params))
    two = _newest_per_key(_copy_binary(sql, params, split=stimuli[2]))
    assert {*zip(one.vote_pk.tolist(), one.score.tolist(), strict=True)} == {
        *zip(two.vote_pk.tolist(), two.score.tolist(), strict=True)}
    assert cells_as_set(one) == set(Rating.objects.filter(study=study, dimension="").current()
                                    .values_list("stimulus_id", "rater_id", "score"))
    assert {pk < stimuli[2] for pk in two.stimulus_pk.tolist()} == {True, False}
