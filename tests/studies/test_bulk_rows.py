"""Rows written in bulk hold what was given: converted values (times, JSON) right on every row, a column of one
time object included (its conversion is reused), on SQLite and PostgreSQL alike."""
import datetime as dt

import pytest

from studies.bulk_rows import rows_insert, with_defaults
from studies.models import Stimulus

pytestmark = pytest.mark.django_db


def test_times_and_json_are_stored_row_by_row_whether_shared_or_not(study):
    shared = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    other = dt.datetime(2025, 6, 7, 8, 9, 10, tzinfo=dt.UTC)
    times = [shared, shared, other, shared, dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)]
    given = [(study.pk, f"s{index}.png", {"level": index}, when) for index, when in enumerate(times)]
    fields, rows = with_defaults(model=Stimulus, fields=("study_id", "name", "groups", "created_at"), rows=given)
    assert rows_insert(model=Stimulus, fields=fields, rows=rows) == len(given)
    stored = dict(((name, (groups, created)) for name, groups, created in
                   Stimulus.objects.filter(study=study).values_list("name", "groups", "created_at")))
    assert stored == {f"s{index}.png": ({"level": index}, when) for index, when in enumerate(times)}
