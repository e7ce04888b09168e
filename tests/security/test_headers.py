"""Content-Security-Policy on every page, HSTS and the proxy's HTTPS header configurable in production."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = {"SECRET_KEY": "q8-Zr2xkPw5vLm0NcY3tJh7uBs9eDg4fAo1iVn6WbKa_RyTe", "DATABASE_URL": "postgres://u@127.0.0.1/x",
              "CELERY_BROKER_URL": "redis://127.0.0.1/0", "CACHE_URL": "redis://127.0.0.1/1",
              "ALLOWED_HOSTS": "moslab.example.org", "DJANGO_SETTINGS_MODULE": "config.settings.production"}


# Variables of the test process a production process must not see (the browser tests allow async-unsafe ORM calls).
NOT_INHERITED = {"SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_page_says_load_only_from_this_site(rated, client_for):
    response = client_for("researcher").get(f"/studies/{rated.pk}/dashboards/mos/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    nonce = re.search(r"'nonce-([^']+)'", " ".join(policy["style-src"])).group(1)
    page = response.content.decode()
    assert re.search(f'<style[^>]* nonce="{nonce}"', page), "the page's style elements carry this response's nonce"
    assert "<script>" not in page and not re.search(r"\son[a-z]+=", page), "no inline script or handler"
    again = client_for("researcher").get(f"/studies/{rated.pk}/dashboards/mos/")
    assert again["Content-Security-Policy"] != response["Content-Security-Policy"], "a new nonce each time"


@pytest.mark.django_db
def test_the_login_page_and_the_api_carry_the_policy_too():
    assert "default-src 'self'" in Client().get("/accounts/login/")["Content-Security-Policy"]
    assert "default-src 'self'" in Client().get("/api/challenges/")["Content-Security-Policy"]


def production_setting(names: list[str], **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update({**PRODUCTION, **environment})
    code = ("import django; django.setup(); from django.conf import settings; "
            f"print([getattr(settings, name) for name in {names!r}])")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)


def test_production_sends_hsts_by_default():
    result = production_setting(["SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[31536000, None, False]"


def test_production_reads_the_proxys_https_header_and_hsts_from_the_environment():
    result = production_setting(
        ["SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT"],
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https", SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_SSL_REDIRECT="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('HTTP_X_FORWARDED_PROTO', 'https'), 600, True, True]"


def test_a_malformed_proxy_header_is_refused_with_an_example():
    result = production_setting(["SECURE_PROXY_SSL_HEADER"], SECURE_PROXY_SSL_HEADER="https")
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https'" in result.stderr


def test_the_deploy_check_finds_no_hsts_gap():
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=REPO, capture_output=True,
                            text=True, env={**env, **PRODUCTION})
    assert result.returncode == 0, result.stderr
    assert "security.W004" not in result.stderr + result.stdout


@pytest.mark.django_db
def test_hsts_is_sent_on_https_seen_through_the_proxy(settings):
    settings.SECURE_HSTS_SECONDS = 600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/")
    secure = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=600"
