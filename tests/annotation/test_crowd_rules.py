"""The crowd rules in plain Python: captured platform ids, the completion address, the environment check."""
import pytest

from moslab_science.errors import DomainError
from moslab_science.rating.crowd import (
    Environment,
    completion_url,
    completion_url_check,
    environment_problems,
    parameter_names_parse,
    platform_ids_capture,
)

NAMES = ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID")


def test_parameter_names_keep_order_drop_repeats_and_refuse_bad_names():
    assert parameter_names_parse(" workerId, assignmentId hitId,workerId ") == ("workerId", "assignmentId", "hitId")
    with pytest.raises(DomainError, match="participant id"):
        parameter_names_parse("  ")
    with pytest.raises(DomainError, match="fix 1st, a-b"):
        parameter_names_parse("ok 1st a-b")


def test_capture_needs_the_participant_id_and_refuses_odd_values():
    assert platform_ids_capture({"PROLIFIC_PID": "5f3a", "SESSION_ID": "s1", "other": "x"}, names=NAMES) == {
        "PROLIFIC_PID": "5f3a", "SESSION_ID": "s1"}
    with pytest.raises(DomainError) as missing:
        platform_ids_capture({"STUDY_ID": "st"}, names=NAMES)
    assert "lacks PROLIFIC_PID" in str(missing.value)
    with pytest.raises(DomainError) as odd:
        platform_ids_capture({"PROLIFIC_PID": "<script>" + "x" * 500}, names=NAMES)
    assert "PROLIFIC_PID must be" in str(odd.value) and len(str(odd.value)) < 300, "the value is cut, not echoed"


def test_completion_address_needs_https_and_a_host_and_fills_in_the_code():
    template = "https://app.prolific.com/submissions/complete?cc={code}"
    assert completion_url_check(f"  {template} ") == template
    assert completion_url(template, code="AB 12") == "https://app.prolific.com/submissions/complete?cc=AB%2012"
    assert completion_url_check("") == "" and completion_url("", code="X") == ""
    fixed = "https://app.prolific.com/submissions/complete?cc=C1A2B3"
    assert completion_url(completion_url_check(fixed), code="X") == fixed, "a study-wide code stays as it is"
    for bad, words in (("javascript:alert(1)//{code}", "https://"), ("//x.org/{code}", "https://"),
                       ("https://x.org/?cc={code}&p={pid}", "Only {code}")):
        with pytest.raises(DomainError, match=words.replace("{", r"\{").replace("}", r"\}")):
            completion_url_check(bad)


def env(screen=(1920, 1080), window=(1900, 950), ratio=1.0, zoom=1.0, agent="Chrome"):
    return Environment(user_agent=agent, screen=screen, window=window, device_pixel_ratio=ratio, zoom=zoom)


def test_environment_fits_counts_device_pixels():
    assert environment_problems(env(), needed_px=(1024, 768)) == []
    assert environment_problems(env(screen=(800, 600), window=(800, 560), ratio=2), needed_px=(1024, 768)) == [], \
        "a 2x screen of 800 CSS px shows 1600 device px"
    assert env(window=(390, 700), ratio=3).as_dict()["window_device_px"] == [1170, 2100]


def test_environment_refuses_small_screens_small_windows_zoom_and_no_browser():
    small = environment_problems(env(screen=(390, 844), window=(390, 700)), needed_px=(1024, 768))
    assert len(small) == 1 and "Your screen shows 390 x 844 pixels" in small[0] and "1024 x 768" in small[0]
    window = environment_problems(env(window=(900, 700)), needed_px=(1024, 768))
    assert len(window) == 1 and "Maximise the window" in window[0]
    zoomed = environment_problems(env(zoom=1.25), needed_px=(100, 100))
    assert len(zoomed) == 1 and "zoomed to 125%" in zoomed[0]
    assert "did not say what it is" in environment_problems(env(agent=""), needed_px=(1, 1))[0]
