"""Rows written in bulk hold what was given: converted values (times, JSON) right on every row, a column of one
time object included (its conversion is reused), and number columns with NULLs, on SQLite and PostgreSQL alike."""
import datetime as dt

import numpy as np
import pytest

from studies.bulk_rows import columns_insert, rows_insert, with_defaults
from studies.models import MosComputation, Stimulus, StimulusMos

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


def test_number_columns_are_stored_with_nan_as_null_in_every_pattern(study, coordinator):
    """Rows of every combination of NULL fields (each pattern is its own binary layout on PostgreSQL) come back
    as given, integers past 32 bits included."""
    stimuli = Stimulus.objects.bulk_create([Stimulus(study=study, name=f"s{index}.png") for index in range(16)])
    computation = MosComputation.objects.create(study=study, method="mean", requested_by=coordinator)
    rng = np.random.default_rng(3)
    mos, std, ci95 = (rng.uniform(1, 5, 16) for _ in range(3))
    for index in range(16):  # 8 NULL patterns of (mos, std, ci95), twice
        for bit, column in enumerate((mos, std, ci95)):
            if index >> bit & 1:
                column[index] = np.nan
    count = np.arange(16) * 2**31 // 16 + 1  # up to 2**31 - 2**27 + 1: an integer field's range
    written = columns_insert(model=StimulusMos, columns={
        "computation_id": np.full(16, computation.pk), "stimulus_id": np.array([s.pk for s in stimuli]),
        "position": np.arange(16), "mos": mos, "std": std, "ci95": ci95, "count": count})
    assert written == 16
    stored = sorted(StimulusMos.objects.filter(computation=computation).values_list(
        "position", "stimulus_id", "mos", "std", "ci95", "count"))
    nullable = lambda value: None if np.isnan(value) else float(value)  # noqa: E731
    assert stored == [(index, stimuli[index].pk, nullable(mos[index]), nullable(std[index]), nullable(ci95[index]),
                       int(count[index])) for index in range(16)]
