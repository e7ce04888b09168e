from pathlib import Path

import pytest


@pytest.fixture
def weight_registry(tmp_path, monkeypatch) -> Path:
    """An empty weight registry folder for this test: official checkpoints are registered into it."""
    monkeypatch.setenv("MOSLAB_WEIGHTS", str(tmp_path / "registry" / "weights.toml"))
    return tmp_path / "registry"
