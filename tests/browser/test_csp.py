"""Under the Content-Security-Policy the main pages load and work, and the browser reports no violation."""
import pytest
from django.urls import reverse

from studies.models import Rating
from tests.browser.test_dashboard_browser import open_dashboard
from tests.challenges.conftest import challenge, dataset_version, team_users  # noqa: F401
from tests.security.studies import staffed_rated_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REPORTER = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => window.__cspViolations.push(
  event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':'
  + event.lineNumber));
"""


@pytest.fixture
def csp_study(coordinator, make_user, tmp_path):
    return staffed_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "rated")


def visit(page, url: str, violations: list) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    violations += [f"{url}: {text}" for text in page.evaluate("window.__cspViolations")]


def watched(page_for, user):
    page = page_for(user, enforce_csp=True)
    page.context.add_init_script(REPORTER)
    console = []
    page.on("console", lambda message: "Content Security Policy" in message.text and console.append(message.text))
    return page, console


def test_main_pages_report_no_csp_violation(page_for, csp_study, live_server, challenge, django_user_model):  # noqa: F811
    study, version = csp_study
    base, violations = live_server.url, []
    page, console = watched(page_for, django_user_model.objects.get(username="coord"))
    for path in ("/", f"/studies/{study.pk}/", f"/studies/{study.pk}/annotation/", f"/studies/{study.pk}/protocol/",
                 f"/studies/{study.pk}/planning/", f"/studies/{study.pk}/datasets/{version.pk}/",
                 f"/studies/{study.pk}/runs/", "/challenges/", f"/challenges/{challenge.slug}/"):
        visit(page, base + path, violations)
    for name in ("modeling:mos", "modeling:raters", "modeling:predictions"):
        open_dashboard(page, base + reverse(name, args=[study.pk]))
        violations += [f"{name}: {text}" for text in page.evaluate("window.__cspViolations")]
    page.goto(base + reverse("modeling:raters", args=[study.pk]))
    page.hover("figure.chart .js-plotly-plot .main-svg")  # plotly's hover labels and mode bar styles
    violations += [f"hover: {text}" for text in page.evaluate("window.__cspViolations")]
    assert violations == [] and console == [], "\n".join(violations + console)


def test_the_rating_page_votes_under_the_policy(page_for, csp_study, live_server, django_user_model):
    study, _ = csp_study
    annotator = django_user_model.objects.get(username="annotator")
    page, console = watched(page_for, annotator)
    page.goto(f"{live_server.url}/studies/{study.pk}/rate/")
    page.wait_for_selector("#stimulus")
    page.wait_for_function("() => window.moslabRating.ready()")
    page.keyboard.press("3")
    if page.is_visible("#reason-row"):
        page.fill("#reason", "csp check")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.moslabRating.queueLength() === 0")
    assert Rating.objects.filter(rater=annotator).count() == 1
    violations = page.evaluate("window.__cspViolations")
    assert violations == [] and console == [], "\n".join(violations + console)


def test_the_login_and_admin_pages_report_no_csp_violation(browser, live_server, make_user):
    make_user("boss", is_staff=True, is_superuser=True)
    context = browser.new_context()
    context.add_init_script(REPORTER)
    page = context.new_page()
    violations: list = []
    visit(page, f"{live_server.url}/accounts/login/", violations)
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "boss-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in ("/admin/", "/admin/studies/study/", "/admin/studies/datasetimport/add/"):
        visit(page, live_server.url + path, violations)
    context.close()
    assert violations == [], "\n".join(violations)
