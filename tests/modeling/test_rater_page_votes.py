"""The rater page shows one computation: its subject reports and agreement over the votes it was computed from."""
import uuid

import pytest
from django.urls import reverse

from moslab_science.charts.raters import agreement_statistics
from studies import services
from studies.models import Membership
from studies.mos_adapter import study_score_matrix
from tests.modeling.test_dashboard_pages import build_rated_study

pytestmark = pytest.mark.django_db


def agreement_rows(client, study, query="") -> dict:
    page = client.get(reverse("modeling:raters", args=[study.pk]) + query)
    assert page.status_code == 200
    charts = {chart.slug: chart for chart, _ in page.context["charts"]}
    return {row[0]: (row[1], row[2]) for row in charts["agreement"].rows}


def test_a_late_vote_changes_neither_the_reports_nor_the_agreement_of_the_computation_shown(
        client, coordinator, make_user, tmp_path):
    study = build_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "rated", slug="late")
    client.force_login(coordinator)
    first = study.mos_computations.get()
    before = agreement_rows(client, study)
    assert before["ICC(2,1)"][1] == "12 stimuli x 6 raters" and first.subject_reports.count() == 6

    late = make_user("late-rater")
    services.membership_add(study=study, user=late, role=Membership.Role.ANNOTATOR)
    for index, stimulus in enumerate(study.stimuli.order_by("name")):
        services.rating_record(study=study, stimulus=stimulus, rater=late, score=float(1 + index % 5),
                               client_id=uuid.uuid4(), details={"verified": True})
    today = agreement_statistics(study_score_matrix(study).matrix.scores)
    live = {row.statistic: (row.value, row.note) for row in today}
    assert live["ICC(2,1)"] != before["ICC(2,1)"], "today's votes differ: the check below can fail"

    assert agreement_rows(client, study) == before, "the page still shows the first computation, as it was computed"
    assert agreement_rows(client, study, f"?computation={first.pk}") == before

    second = services.mos_computation_run(computation_id=services.mos_computation_start(
        study=study, by=coordinator, method="mle").pk)
    assert second.subject_reports.count() == 7
    assert agreement_rows(client, study) == live, "the newer computation is of the seven raters"
    assert agreement_rows(client, study, f"?computation={first.pk}") == before
