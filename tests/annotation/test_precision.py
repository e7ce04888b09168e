"""Study planning: raters needed for a target CI, and allocation of more ratings to the widest intervals."""
import uuid

import numpy as np
import pytest
from scipy import stats

from annotation.models import RatingTask
from annotation.precision import assignment_extend_for_precision, precision_plan
from common.errors import DomainError
from studies import services
from studies.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def study_with_votes(open_study, annotators, make_user):
    """4 stimuli rated by 3 annotators: img0 unanimous, img3 spread wide."""
    more = [make_user(f"extra{index}") for index in range(5)]
    for user in more:
        services.membership_add(study=open_study, user=user, role=Membership.Role.ANNOTATOR)
    pattern = {"img0.png": [3, 3, 3], "img1.png": [3, 4, 3], "img2.png": [2, 4, 3], "img3.png": [1, 5, 3]}
    for stimulus in open_study.stimuli.all():
        for user, score in zip(annotators, pattern[stimulus.name], strict=True):
            task = RatingTask.objects.create(study=open_study, stimulus=stimulus, annotator=user,
                                             position=stimulus.pk)
            rating, _ = services.rating_record(study=open_study, stimulus=stimulus, rater=user, score=score,
                                               client_id=uuid.uuid4())
            task.rating, task.status = rating, RatingTask.Status.DONE
            task.save()
    return open_study, pattern


def test_plan_reports_width_and_raters_needed(study_with_votes):
    study, pattern = study_with_votes
    plan = {item.stimulus.name: item for item in precision_plan(study=study, target_half_width=1.0)}
    for name, votes in pattern.items():
        std = np.std(votes, ddof=1)
        assert plan[name].votes == 3 and plan[name].std == pytest.approx(std)
        if std > 0:
            assert plan[name].half_width == pytest.approx(stats.t.ppf(0.975, 2) * std / np.sqrt(3))
            n = plan[name].raters_needed
            width = stats.t.ppf(0.975, n - 1) * std / np.sqrt(n)
            one_fewer = stats.t.ppf(0.975, n - 2) * std / np.sqrt(n - 1)
            assert width <= 1.0 < one_fewer
    assert plan["img0.png"].raters_needed == 2
    with pytest.raises(DomainError, match="positive"):
        precision_plan(study=study, target_half_width=0)


def test_allocation_goes_to_the_widest_interval_first(study_with_votes):
    study, _ = study_with_votes
    # img3 (std 2) has the widest interval and keeps it for two more votes; at n=5 its half-width
    # (2.776 * 2 / sqrt 5 = 2.483) falls just under img2's at n=3 (4.303 * 1 / sqrt 3 = 2.484).
    result = assignment_extend_for_precision(study=study, target_half_width=0.8, max_new=3, seed=1)
    assert result.created == 3
    new = RatingTask.objects.filter(study=study, status=RatingTask.Status.PENDING)
    assert sorted(task.stimulus.name for task in new) == ["img2.png", "img3.png", "img3.png"]
    assert new.filter(stimulus__name="img3.png").values("annotator").distinct().count() == 2


def test_allocation_stops_when_annotators_run_out(study_with_votes):
    study, _ = study_with_votes
    result = assignment_extend_for_precision(study=study, target_half_width=0.2, max_new=1000, seed=1)
    assert not result.target_met and "img3.png" in result.unplaceable
    per_stimulus = RatingTask.objects.filter(study=study, stimulus__name="img3.png").count()
    assert per_stimulus == 8, "every annotator of the study got it once, nobody twice"


def test_planning_page_is_for_coordinators(client, study_with_votes, coordinator, annotators):
    study, _ = study_with_votes
    client.force_login(annotators[0])
    assert client.get(f"/studies/{study.pk}/planning/?target=0.5").status_code == 404
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/planning/?target=0.5")
    assert page.status_code == 200 and "precision-plan" in page.content.decode()
    response = client.post(f"/studies/{study.pk}/planning/", {"target": 0.8, "max_new": 2})
    assert response.status_code == 302
    assert RatingTask.objects.filter(study=study, status=RatingTask.Status.PENDING).count() == 2


@pytest.mark.parametrize("target, problem", [("-1", "Ensure this value is greater than or equal to 0.01."),
                                             ("abc", "Enter a number."), ("", "This field is required.")])
def test_a_bad_target_says_what_to_fix(client, study_with_votes, coordinator, target, problem):
    study, _ = study_with_votes
    client.force_login(coordinator)
    html = client.get(f"/studies/{study.pk}/planning/", {"target": target}).content.decode()
    assert 'id="planning-problems"' in html and f"Target 95% CI half-width: {problem}" in html
    assert "precision-plan" not in html
    html = client.post(f"/studies/{study.pk}/planning/", {"target": target, "max_new": 2}).content.decode()
    assert f"Target 95% CI half-width: {problem}" in html
