"""Fixtures for the plain-Python dataset library tests: no database, no Django settings."""

import pytest


@pytest.fixture(autouse=True)
def media_root() -> None:
    """The dataset library writes no media: this replaces, for these tests only, tests/conftest.py's
    autouse fixture of the same name, which needs pytest-django."""
    return None
