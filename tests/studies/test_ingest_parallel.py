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


def test_files_that_pass_are_stored_once_with_their_check_while_workers_check_the_next(
        many_images, monkeypatch):
    if parallel.usable_cores() < 2:
        pytest.skip("one usable core: imports check files in the calling process here")
    files = ingest.read_source(many_images, max_total_bytes=10**9)
    alone = [(file, found) for file, found, _ in parallel.inspect_all(files, max_pixels=10**6, max_seconds=60)]
    monkeypatch.setattr(parallel, "STORED_FROM", 10)
    monkeypatch.setattr(parallel, "WINDOW", 16)  # several windows, two in flight
    kept = {}

    def store(name, info, data):
        kept[name] = kept.get(name, b"") + data
        return f"kept/{info.sha256}.png"

    spread = list(parallel.inspect_all(files, max_pixels=10**6, max_seconds=60, store=store))
    assert [(file, found) for file, found, _ in spread] == alone
    assert [found for _, found in alone if isinstance(found, str)] != []
    for file, found, stored in spread:
        if isinstance(found, str):
            assert stored == ""  # a file with a problem is not stored
        else:
            assert stored == f"kept/{found.sha256}.png"
            assert kept[file.name] == (many_images / file.name).read_bytes()  # stored once
    assert len(kept) == 38
