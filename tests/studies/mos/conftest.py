"""Fixtures for the MOS engine tests: no database, no Django settings."""

import pytest
from mos_shared_data import ORACLE_STUDIES, Oracle


@pytest.fixture(autouse=True)
def media_root() -> None:
    """The MOS engine writes no media and needs no Django settings: this replaces, for these
    tests only, tests/conftest.py's autouse fixture of the same name, which needs pytest-django."""
    return None


@pytest.fixture(params=ORACLE_STUDIES, scope="session")
def oracle(request: pytest.FixtureRequest) -> Oracle:
    return Oracle(request.param)
