"""Checking an import's files in worker processes finds what the one-process check finds, in the same order."""
import pytest

from moslab_science import ingest
from moslab_science.ingest import parallel
from tests.conftest import write_image


@pytest.fixture
def many_images(tmp_path):
    folder = tmp_path / "many"
    for index in range(40):
        write_image(folder / f"p{index:03d}.png", size=(8, 6), seed=index)
    (folder / "p013.png").write_bytes((folder / "p013.png").read_bytes()[:40])  # truncated
    (folder / "p027.png").write_bytes(b"not an image at all")
    return folder


def plan(folder):
    files = ingest.read_source(folder, max_total_bytes=10**9)
    return ingest.plan_import(files, manifest_text=None, existing={}, max_pixels=10**6)


def test_worker_processes_report_the_same_problems(many_images, monkeypatch):
    with pytest.raises(ingest.ImportRejected) as alone:
        plan(many_images)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(parallel, "WINDOW", 16)  # several windows
    if parallel.usable_cores() < 2:
        pytest.skip("one usable core: imports check files in the calling process here")
    with pytest.raises(ingest.ImportRejected) as spread:
        plan(many_images)
    assert spread.value.problems == alone.value.problems
    assert [problem.split(":")[0] for problem in spread.value.problems] == ["p013.png", "p027.png"]


def test_worker_processes_give_the_same_plan(many_images, monkeypatch):
    (many_images / "p013.png").unlink()
    (many_images / "p027.png").unlink()
    alone = plan(many_images)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parallel, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(parallel, "WINDOW", 16)
    progress = []
    files = ingest.read_source(many_images, max_total_bytes=10**9)
    spread = ingest.plan_import(files, manifest_text=None, existing={}, max_pixels=10**6,
                                progress=lambda done, total: progress.append((done, total)))
    assert [(p.name, p.info) for p in spread.new] == [(p.name, p.info) for p in alone.new]
    assert progress == [(16, 38), (32, 38), (38, 38)]


def test_files_stored_as_they_are_read_are_read_once_while_workers_check_them(many_images, monkeypatch):
    if parallel.usable_cores() < 2:
        pytest.skip("one usable core: imports check files in the calling process here")
    files = ingest.read_source(many_images, max_total_bytes=10**9)
    alone = list(parallel.inspect_all(files, max_pixels=10**6, max_seconds=60))
    monkeypatch.setattr(parallel, "OVERLAPPED_FROM", 10)
    monkeypatch.setattr(parallel, "WINDOW", 16)  # several windows, two in flight
    read = []
    spread = list(parallel.inspect_all(files, max_pixels=10**6, max_seconds=60,
                                       on_read=lambda file, data: read.append((file.name, data))))
    assert spread == alone and [found for _, found in spread if isinstance(found, str)] != []
    assert read == [(file.name, (many_images / file.name).read_bytes()) for file in files]  # each once, in order
