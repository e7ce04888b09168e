"""Screening made readable: raters with a negative or very low correlation with the others are flagged
whatever the method, and BT.500 says when it has little power."""
import numpy as np
import pytest
from django.urls import reverse

from moslab_science.mos.rater_flags import bt500_power_warnings, correlation_concern, disagreeing_raters_warning
from tests.modeling.test_dashboard_pages import build_rated_study

pytestmark = pytest.mark.django_db


def test_concerns_and_the_warning_name_each_disagreeing_rater():
    assert [correlation_concern(r) for r in (-0.29, 0.1, 0.3, 0.9, None, float("nan"))] == [
        "negative", "very low", "", "", "", ""]
    warning = disagreeing_raters_warning(["a", "b", "c"], np.array([0.9, -0.29, 0.1]), np.array([False, False, True]))
    assert warning.subjects == ("b", "c")
    assert "'b' r = -0.29 (negative, kept)" in warning.message
    assert "'c' r = 0.10 (very low, rejected)" in warning.message
    assert "1 of them kept by the method" in warning.message
    assert disagreeing_raters_warning(["a"], np.array([0.8]), None) is None


def test_bt500_power_is_low_with_few_votes_per_stimulus_or_rater():
    codes = [w.code for w in bt500_power_warnings(np.array([5, 5, 0, 8]), np.array([12, 10, 0]))]
    assert codes == ["bt500_low_power_stimuli", "bt500_low_power_raters"]
    assert bt500_power_warnings(np.array([6, 7]), np.array([20, 40])) == []


@pytest.mark.parametrize("method", ["bt500", "mean", "mle"])
def test_the_mos_page_flags_the_reversed_rater_whatever_the_method(method, client, coordinator, make_user, tmp_path):
    study = build_rated_study(coordinator=coordinator, make_user=make_user, folder=tmp_path, slug=method, method=method)
    computation = study.mos_computations.get()
    warnings = {warning["code"]: warning for warning in computation.warnings}
    reversed_rater = f"{method}-rater5"  # build_rated_study's last rater inverts the quality
    assert reversed_rater in warnings["raters_disagree"]["subjects"]
    assert f"'{reversed_rater}' r = -" in warnings["raters_disagree"]["message"]
    if method == "bt500":
        assert "bt500_low_power_raters" in warnings  # 12 votes each
        assert "bt500_low_power_stimuli" not in warnings  # 6 votes on each stimulus
    else:
        assert not any(code.startswith("bt500_low_power") for code in warnings)
    client.force_login(coordinator)
    html = client.get(reverse("studies:mos-detail", args=[study.pk, computation.pk])).content.decode()
    row = html[html.index(f"<td>{reversed_rater}"):]
    assert row[:row.index("</td>")].endswith('<span class="flag" title="correlation with the other raters">'
                                              'negative correlation</span>')
    assert html.count("negative correlation</span>") == 1
