"""The API tokens page in Chromium: a token is made and shown once, the page fits a phone, and revoking works."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_token_is_made_shown_once_and_revoked(page_for, make_user, live_server, width):
    from accounts.models import ApiToken

    user = make_user(f"tok{width}")
    page = page_for(user, viewport=(width, 900))
    page.goto(f"{live_server.url}/account/tokens/")
    page.fill("input[name=name]", "cluster")
    page.click("#new-token-form button[type=submit], form button.primary")
    secret = page.inner_text("#token-secret").strip()
    token = ApiToken.objects.get(user=user)
    assert secret.startswith("mlt_") and secret[:12] == token.prefix and page.evaluate(NO_SIDEWAYS_SCROLL)
    page.goto(f"{live_server.url}/account/tokens/")
    assert secret not in page.content() and page.locator("#tokens").inner_text().count("active") == 1
    page.click("#tokens button")
    assert "revoked" in page.locator("#tokens").inner_text() and page.evaluate(NO_SIDEWAYS_SCROLL)
    token.refresh_from_db()
    assert token.revoked_at is not None
