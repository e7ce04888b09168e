"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live test server."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Screenshots go to a scratch folder; `bin/screenshots` points MOSLAB_SCREENSHOTS at docs/screenshots to refresh them
# (tests never rewrite tracked files).
SCREENSHOTS = Path(os.environ.get("MOSLAB_SCREENSHOTS") or Path(tempfile.gettempdir()) / "moslab-screenshots")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; Django must still allow ORM calls here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI needs it (Debian packages chromium, chromium-driver)")
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page_for(browser, live_server):
    """page_for(user, device_scale_factor=1): a logged-in page on the live server.

    Playwright evaluates a string predicate of wait_for_function with eval, which the site's CSP forbids, so
    pages bypass the policy unless enforce_csp=True (tests/browser/test_csp.py checks the pages under it).
    """
    contexts = []

    def open_page(user, *, device_scale_factor: float = 1, viewport=(1280, 900), enforce_csp: bool = False):
        context = browser.new_context(
            device_scale_factor=device_scale_factor, viewport={"width": viewport[0], "height": viewport[1]},
            bypass_csp=not enforce_csp,
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", f"{user.username}-pw")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
