"""Headless Chromium on the admin's launch form: choosing a preset fills in its values (under the site's CSP)."""
import json

import pytest
from django.contrib.auth.models import Permission

from tests.browser.conftest import screenshot
from tests.modeling.runs.conftest import dataset_version, researcher  # noqa: F401  (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_a_preset_fills_in_its_values(page_for, dataset_version, researcher, live_server):  # noqa: F811
    researcher.is_staff = True
    researcher.save()
    researcher.user_permissions.add(*Permission.objects.filter(codename__in=["add_benchmarkrun",
                                                                             "view_benchmarkrun"]))
    page = page_for(researcher, viewport=(1280, 1000), enforce_csp=True)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(
        f"{message.text} {message.location.get('url', '')}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/modeling/benchmarkrun/add/")
    assert page.locator("#id_version").input_value() == str(dataset_version.pk)
    assert page.locator("#id_device").input_value() == "cpu"
    # the default preset (NTIRE 2024) is shown filled in on arrival
    assert page.locator("#id_ratios").input_value() == "7:1:2"
    assert page.locator("#id_rank_by").input_value() == "ntire2024"

    page.select_option("#id_preset", "vquala2025")
    assert page.locator("#id_ratios").input_value() == "8:1:1"
    assert page.locator("#id_rank_by").input_value() == "vquala2025"
    assert page.locator("#id_scheme").input_value() == "seeded"

    page.select_option("#id_preset", "ma-agiqa")
    hyperparameters = json.loads(page.locator("#id_hyperparameters").input_value())
    assert hyperparameters["train"]["select_metric"] == "srcc_plcc" and hyperparameters["train"]["epochs"] == 30
    assert page.locator("#id_rank_by").input_value() == "srcc"
    checked = page.locator("input[name=models]:checked")
    assert [checked.nth(i).get_attribute("value") for i in range(checked.count())] == ["maniqa"]
    screenshot(page, "launch-form-preset")

    page.select_option("#id_preset", "au-iqa")
    assert page.locator("#id_scheme").input_value() == "zero_shot"
    assert page.locator("#id_hyperparameters").input_value() == ""
    # the admin's pages name no favicon, so Chromium asks for /favicon.ico: nothing of this page
    assert [error for error in errors if not error.endswith("/favicon.ico")] == [], errors
