"""A client generated from the live schema (openapi-python-client) runs a researcher's script against a live server
with a personal token and a real worker: a schema change that breaks the generated client fails here."""
import importlib
import importlib.util
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from accounts.services import api_token_create
from studies import services
from studies.models import Membership

pytestmark = [pytest.mark.worker]
SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "examples" / "researcher.py"
GENERATOR = shutil.which("openapi-python-client", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                                        os.environ.get("PATH", "")]))


def generated_client(schema: bytes, folder: Path) -> None:
    """Generate the package moslab_client from the schema into `folder` and put it on sys.path."""
    (folder / "schema.json").write_bytes(schema)
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    done = subprocess.run([GENERATOR, "generate", "--path", str(folder / "schema.json"), "--meta", "none",
                           "--output-path", str(folder / "moslab_client")], capture_output=True, text=True, env=env,
                          cwd=folder, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    package = importlib.import_module("moslab_client")
    broken = []
    for module in pkgutil.walk_packages(package.__path__, "moslab_client."):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # noqa: BLE001  (every module of the client must import)
            broken.append(f"{module.name}: {error!r}")
    assert not broken, broken


def test_a_researcher_script_runs_through_the_generated_client(
        live_server, celery_worker_process, dataset_version, researcher, tmp_path):
    assert GENERATOR, "openapi-python-client is a dev dependency (pyproject.toml)"
    services.membership_add(study=dataset_version.study, user=researcher, role=Membership.Role.COORDINATOR)
    token = api_token_create(user=researcher, name="generated client", days=1).secret
    schema = httpx.get(f"{live_server.url}/api/schema/?format=json",
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert schema.status_code == 200
    generated_client(schema.content, tmp_path)
    try:
        spec = importlib.util.spec_from_file_location("researcher_script", SCRIPT)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        result = script.run(live_server.url, token, dataset_version.study.slug)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == "moslab_client" or name.startswith("moslab_client.")]:
            del sys.modules[name]
    assert result["benchmark"] == "succeeded" and result["export_bytes"] > 0
    assert [(rank, model) for rank, model, _ in result["leaderboard"]] == [(1, "niqe")]
