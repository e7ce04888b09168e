"""Every page people use fits the window: no sideways scroll at 1440, 1024 and 390 px (Chromium's scrollWidth)."""
import pytest
from django.urls import reverse

from annotation.models import StimulusReview
from studies.models import Rating
from tests.browser.conftest import screenshot
from tests.challenges.conftest import challenge, dataset_version, team_users  # noqa: F401
from tests.security.studies import staffed_rated_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = (1440, 1024, 390)
PICTURED = {"study", "reviews", "mos-detail", "protocol", "dashboard-raters"}  # screenshots at every width, to look at
LONG_REASON = ("The ringing around the roof edges and the blocky sky are clearly visible at native size, "
               "so I deducted a full point for compression artefacts and half a point for noise")


def flag_for_review(study):
    """One stimulus flagged by the cross-check, its votes carrying long reasons and deductions."""
    stimulus = study.stimuli.order_by("name").first()
    votes = list(Rating.objects.filter(stimulus=stimulus))
    Rating.objects.filter(pk__in=[vote.pk for vote in votes]).update(
        reason=LONG_REASON, deductions={"noise": "slight", "compression": "clearly visible"})
    return StimulusReview.objects.create(
        study=study, stimulus=stimulus, round=0, status=StimulusReview.Status.OPEN,
        reasons=[f"the votes span {2.0} points, more than the 1.5 allowed: {LONG_REASON}"],
        scores={str(vote.pk): vote.score for vote in votes}, deviating=[votes[0].rater_id])


@pytest.fixture
def wide_study(coordinator, make_user, tmp_path):
    study, version = staffed_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "rated")
    flag_for_review(study)
    return study, version


def coordinator_pages(study, version, challenge):  # noqa: F811
    computation = study.mos_computations.order_by("-pk").first()
    args = [study.pk]
    return {
        "home": reverse("studies:home"),
        "study": reverse("studies:detail", args=args),
        "annotation": reverse("annotation:overview", args=args),
        "protocol": reverse("annotation:protocol", args=args),
        "reviews": reverse("annotation:reviews", args=args),
        "planning": reverse("annotation:planning", args=args),
        "mos-detail": reverse("studies:mos-detail", args=[study.pk, computation.pk]),
        "dataset-version": reverse("studies:dataset-version", args=[study.pk, version.pk]),
        "dashboard-mos": reverse("modeling:mos", args=args),
        "dashboard-raters": reverse("modeling:raters", args=args),
        "dashboard-predictions": reverse("modeling:predictions", args=args),
        "runs": reverse("modeling:runs", args=args),
        "challenges": reverse("challenges:list"),
        "challenge": reverse("challenges:detail", args=[challenge.slug]),
        "tokens": reverse("accounts:tokens"),
    }


OFFENDERS = """() => Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1
    && !(el.parentElement && el.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 4).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))"""


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    page.wait_for_load_state("networkidle")
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(width, page_for, wide_study, challenge, live_server, django_user_model):  # noqa: F811
    study, version = wide_study
    users = {name: django_user_model.objects.get(username=name) for name in ("coord", "researcher", "annotator")}
    visits = [("coord", name, path) for name, path in coordinator_pages(study, version, challenge).items()]
    visits += [("researcher", "researcher-study", reverse("studies:detail", args=[study.pk])),
               ("annotator", "annotator-home", reverse("studies:home")),
               ("annotator", "rate", reverse("annotation:rate", args=[study.pk]))]
    pages, wider = {}, []
    for who, name, path in visits:
        if who not in pages:
            pages[who] = page_for(users[who], viewport=(width, 800))
        page = pages[who]
        page.goto(live_server.url + path)
        extra = overflow(page)
        if name == "mos-detail" and width >= 1024:  # the rater table, Override column included, fits its card
            inner = page.evaluate("(box => box.scrollWidth - box.clientWidth)"
                                  "(document.querySelector('#subject-reports').parentElement)")
            if inner > 0:
                wider.append(f"{name}: the rater table is {inner} px wider than its card at {width}")
        if name in PICTURED:
            screenshot(page, f"{name}-{width}")
        if extra > 0:
            screenshot(page, f"overflow-{width}-{name}")
            wider.append(f"{name} ({path}): {extra} px wider than {width}, by {page.evaluate(OFFENDERS)}")
    assert wider == [], "\n".join(wider)
