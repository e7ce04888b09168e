"""The whole loop on a small study: annotators rate in the app, the worker computes MOS, the CSV is right."""
import csv
import io
import uuid

import numpy as np
import pytest
from scipy import stats

from annotation import assignment_services
from annotation.models import RatingTask
from studies.models import MosComputation
from tests.worker import wait_for

pytestmark = [pytest.mark.worker]


def test_ratings_to_mos_csv_through_a_real_worker(client, open_study, annotators, coordinator, celery_worker_process):
    assignment_services.assignment_create(study=open_study, seed=3)
    votes: dict[str, list[float]] = {}
    for user in annotators:
        client.force_login(user)
        for task in RatingTask.objects.filter(study=open_study, annotator=user).select_related("stimulus"):
            page = client.get(f"/studies/{open_study.pk}/rate/")
            assert page.status_code == 200 and page.context["task"] == task
            score = 1 + task.stimulus_id % 4 + user.pk % 2  # raters agree within a point: the cross-check passes
            response = client.post(
                f"/studies/{open_study.pk}/rate/",
                {"task_id": task.pk, "client_id": str(uuid.uuid4()), "score": score, "response_time_ms": 1500},
            )
            assert response.status_code == 302
            votes.setdefault(task.stimulus.name, []).append(score)
        assert "You have rated all" in client.get(f"/studies/{open_study.pk}/rate/").content.decode()

    client.force_login(coordinator)
    response = client.post(f"/studies/{open_study.pk}/mos/", {"method": "mean"})
    computation = MosComputation.objects.get(study=open_study)
    assert response.status_code == 302

    def finished() -> bool:
        computation.refresh_from_db()
        return computation.status in {MosComputation.Status.SUCCEEDED, MosComputation.Status.FAILED}

    wait_for(finished, what="the MOS computation")
    assert computation.status == MosComputation.Status.SUCCEEDED, computation.error
    assert computation.worker and computation.started_at <= computation.finished_at
    assert computation.num_ratings == sum(len(v) for v in votes.values())

    body = client.get(f"/studies/{open_study.pk}/mos/{computation.pk}.csv").content.decode()
    rows = {row["stimulus"]: row for row in csv.DictReader(io.StringIO(body))}
    assert sorted(rows) == sorted(votes)
    for name, scores in votes.items():
        n = len(scores)
        std = np.std(scores, ddof=1)
        assert float(rows[name]["mos"]) == pytest.approx(np.mean(scores), abs=1e-12)
        assert float(rows[name]["std"]) == pytest.approx(std, abs=1e-12)
        assert float(rows[name]["ci95"]) == pytest.approx(stats.t.ppf(0.975, n - 1) * std / np.sqrt(n), abs=1e-12)
        assert int(rows[name]["n"]) == n == open_study.raters_per_stimulus


def test_failing_computation_is_recorded_on_its_row(open_study, coordinator, celery_worker_process):
    from studies import services

    computation = services.mos_computation_start(study=open_study, by=coordinator, method="mean")

    def finished() -> bool:
        computation.refresh_from_db()
        return computation.status in {MosComputation.Status.SUCCEEDED, MosComputation.Status.FAILED}

    wait_for(finished, what="the MOS computation")
    # No votes at all: the engine refuses an empty study and the row says why.
    assert computation.status == MosComputation.Status.FAILED
    assert "no" in computation.error.lower()
