"""Project hygiene: migrations match the models, production settings refuse to start half-configured."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def check_production(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    dropped = {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL",
               "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the last is set by the browser tests
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=REPO, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("missing", "env"),
    [
        ("SECRET_KEY", {"DATABASE_URL": "postgres://u@127.0.0.1/x", "CELERY_BROKER_URL": "redis://127.0.0.1/0"}),
        ("DATABASE_URL", {"SECRET_KEY": "x" * 50, "CELERY_BROKER_URL": "redis://127.0.0.1/0"}),
        ("CELERY_BROKER_URL", {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u@127.0.0.1/x",
                               "CELERY_BROKER_URL": ""}),
        ("CACHE_URL", {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u@127.0.0.1/x",
                       "CELERY_BROKER_URL": "redis://127.0.0.1/0", "CACHE_URL": ""}),
    ],
)
def test_production_requires_its_settings(missing, env):
    result = check_production(env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_a_cache_url_that_is_not_redis_is_refused_with_an_example():
    result = check_production({"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://u@127.0.0.1/x",
                               "CELERY_BROKER_URL": "redis://127.0.0.1/0", "CACHE_URL": "memcached://127.0.0.1"})
    assert result.returncode != 0
    assert "CACHE_URL must be a Redis URL such as redis://127.0.0.1:6379/1" in result.stderr


@pytest.mark.parametrize("url", ["sqlite:///relative.db", "mysql://u@127.0.0.1/x"])
def test_production_needs_postgresql_or_sqlite_at_an_absolute_path(url):
    result = check_production({"SECRET_KEY": "x" * 50, "DATABASE_URL": url,
                               "CELERY_BROKER_URL": "redis://127.0.0.1/0", "CACHE_URL": "redis://127.0.0.1/1"})
    assert result.returncode != 0 and "Production needs PostgreSQL" in result.stderr
    assert "or SQLite on one machine (DATABASE_URL=sqlite:////absolute/path/moslab.sqlite3)" in result.stderr


def test_production_on_one_machine_with_sqlite_needs_no_broker_or_cache(tmp_path):
    result = check_production({"SECRET_KEY": "q8-Zr2xkPw5vLm0NcY3tJh7uBs9eDg4fAo1iVn6WbKa_RyTe",
                               "DATABASE_URL": f"sqlite:///{tmp_path / 'moslab.sqlite3'}",
                               "ALLOWED_HOSTS": "moslab.example.org"})
    assert result.returncode == 0, result.stderr


def test_production_starts_with_everything_set():
    result = check_production(
        {"SECRET_KEY": "q8-Zr2xkPw5vLm0NcY3tJh7uBs9eDg4fAo1iVn6WbKa_RyTe", "DATABASE_URL": "postgres://u@127.0.0.1/x",
         "CELERY_BROKER_URL": "redis://127.0.0.1/0", "CACHE_URL": "redis://127.0.0.1/1",
         "ALLOWED_HOSTS": "moslab.example.org"}
    )
    assert result.returncode == 0, result.stderr
    assert "DEBUG" not in result.stderr


def test_celery_queues_route_training_to_gpu():
    from config.celery import app

    queues = {queue.name: queue.routing_key for queue in app.conf.task_queues}
    assert queues == {"default": "default", "gpu": "gpu"}
    assert app.amqp.router.route({}, "modeling.tasks.train")["queue"].name == "gpu"
    assert app.amqp.router.route({}, "studies.tasks.mos_computation_run_task")["queue"].name == "default"
