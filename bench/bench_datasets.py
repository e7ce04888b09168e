"""Importing and exporting a 20,000-stimulus dataset: time and peak memory.

Import: a MOS table (image,mos,source_subset) and a folder of small synthetic PNGs through
`dataset_import` (every image checked and decoded by moslab_science.ingest, stored byte for byte, one
transaction). Upload: the same folder of images into a new study of one's own through
`studies.services.stimuli_import` (what the upload page and `manage.py import_stimuli` run), next to the
same peer as the import. Export: a version's zip bundle through `dataset_export_run` (original bytes, table,
ratings, datasheet, checksums). Each step runs next to its peer, round after round (`--rounds`, 3): the
kernel's file creation, most of both sides' time, varies from minute to minute on a shared disk, so one pair
says little. Then once more each under tracemalloc for the peak of Python allocations. Runs on a throwaway
test database (SQLite file by default, or DATABASE_URL).

    python bench/bench_datasets.py [--stimuli 20000] [--rounds 3]
    TMPDIR=/dev/shm python bench/bench_datasets.py   # both sides on tmpfs: their own costs, not the disk's

Prints a table row per round (wall time, with this process's user + system CPU and the whole machine's busy CPU
seconds, of moslab and of the peer, and their ratio; the upload's ratio is to the import's peer), the median
ratios, the peak memory and the load average before and after. The import's image checks run in a worker from
2,000 images on 2+ cores: its CPU is in the machine's figure only. Each step starts after a `sync`, so the
write-back of what the step before wrote is not charged to it.

Peers, timed in the same run on the same files: for the import, reading the CSV with `csv`,
hashing every image with `hashlib` and copying it with `shutil` (the upload too); for the export, a plain
`zipfile` (stored) of the same image files plus the table written with `csv`.
"""

import argparse
import csv
import hashlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("MOSLAB_VAR_DIR", "/tmp/moslab-bench-var")

import django  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def make_dataset(folder: Path, count: int) -> Path:
    rng = np.random.default_rng(0)
    images = folder / "images"
    images.mkdir(parents=True)
    with (folder / "mos.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "mos", "source_subset"])
        for index in range(count):
            name = f"img{index:05d}.png"
            Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(images / name)
            writer.writerow([name, round(float(rng.uniform(1, 5)), 4), f"ss{index % 3}"])
    return folder / "mos.csv"


def timed(call) -> tuple[object, float, float, float, float]:
    """(result, wall seconds, user CPU seconds, system CPU seconds of this process, busy CPU seconds of the whole
    machine). The files the step before wrote are flushed to disk first (`sync`), so that their write-back is not
    charged to this step."""
    os.sync()
    start, before, busy = time.perf_counter(), os.times(), machine_busy()
    result = call()
    after = os.times()
    return (result, time.perf_counter() - start, after.user - before.user, after.system - before.system,
            machine_busy() - busy)


def machine_busy() -> float:
    """CPU seconds the machine spent busy so far (/proc/stat: every state but idle and I/O wait); 0 elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(field) for field in fields]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def cell(timing: list[float]) -> str:
    wall, user, system, busy = timing
    return f"{wall:.2f} s ({user:.2f} + {system:.2f} s; {busy:.2f} s)"


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def traced_peak(call) -> float:
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def peer_import(table: Path, images: Path, out: Path) -> None:
    out.mkdir()
    with table.open(newline="") as handle:
        for row in csv.DictReader(handle):
            hashlib.sha256((images / row["image"]).read_bytes()).hexdigest()
            shutil.copyfile(images / row["image"], out / row["image"])


def peer_export(table: Path, images: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(images.iterdir()):
            archive.writestr(f"images/{path.name}", path.read_bytes(), compress_type=zipfile.ZIP_STORED)
        with table.open(newline="") as handle:
            rows = list(csv.reader(handle))
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        archive.writestr("dataset.csv", text.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stimuli", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each step next to its peer")
    args = parser.parse_args()
    django.setup()  # here, not at import: the import's image-checking processes start from this module, as from
    # manage.py, and must not set Django up again
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from studies import services as study_services
    from studies.datasets import services as dataset_services
    from studies.datasets.imports import dataset_import
    from studies.models import Study

    print(f"python {' '.join(sys.argv)}  # DATABASE_URL={os.environ.get('DATABASE_URL', '(SQLite test file)')}, "
          f"{os.cpu_count()} CPUs", flush=True)
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    work = Path(tempfile.mkdtemp(prefix="bench-datasets-"))
    settings.MEDIA_ROOT = work / "media"
    try:
        user = get_user_model().objects.create_user("bench", password="x")
        table = make_dataset(work / "data", args.stimuli)
        images = table.parent / "images"

        def run_import(slug):
            return dataset_import(name=slug, slug=slug, by=user, source_format="mos_table", source=table,
                                  images=images, scale=(1, 5), options={"group_columns": ["source_subset"]})

        def run_upload(slug):
            study = Study.objects.create(name=slug, slug=slug, created_by=user)
            return study_services.stimuli_import(study=study, source=images)

        version = None

        def run_export():
            export = dataset_services.dataset_export_start(version=version, export_format="bundle", by=user,
                                                           enqueue=False)
            done = dataset_services.dataset_export_run(export_id=export.pk)
            assert done.status == "succeeded", done.error
            return done

        print(f"stimuli: {args.stimuli} small PNGs ({sum(p.stat().st_size for p in images.iterdir()) / 2**20:.1f} MiB)"
              f"; database: {django.db.connection.vendor}; load average {load_average()}")
        print("| round | import (user + system CPU; machine) | csv + hashlib + shutil | ratio | upload | ratio "
              "| export bundle | zipfile + csv | ratio |")
        ratios: dict[str, list[float]] = {"import": [], "upload": [], "export": []}
        for number in range(1, args.rounds + 1):  # each step next to its peer, round after round
            report, *moslab_import = timed(lambda: run_import(f"bench-{number}"))  # noqa: B023
            _, *peer_import_ = timed(lambda: peer_import(table, images, work / f"peer-copy-{number}"))  # noqa: B023
            _, *moslab_upload = timed(lambda: run_upload(f"upload-{number}"))  # noqa: B023
            if version is None:
                version = dataset_services.dataset_version_create(study=report.study, by=user)
            export, *moslab_export = timed(run_export)
            _, *peer_export_ = timed(lambda: peer_export(table, images, work / f"peer-{number}.zip"))  # noqa: B023
            ratios["import"].append(moslab_import[0] / peer_import_[0])
            ratios["upload"].append(moslab_upload[0] / peer_import_[0])
            ratios["export"].append(moslab_export[0] / peer_export_[0])
            print(f"| {number} | {cell(moslab_import)} | {cell(peer_import_)} | {ratios['import'][-1]:.1f}x "
                  f"| {cell(moslab_upload)} | {ratios['upload'][-1]:.1f}x "
                  f"| {cell(moslab_export)} | {cell(peer_export_)} | {ratios['export'][-1]:.1f}x |", flush=True)
        print(f"median ratio to the peer: import {statistics.median(ratios['import']):.2f}x, upload "
              f"{statistics.median(ratios['upload']):.2f}x, export bundle "
              f"{statistics.median(ratios['export']):.2f}x ({export.size_bytes / 2**20:.1f} MiB zip)")
        import_mib = traced_peak(lambda: run_import("bench-traced"))
        export_mib = traced_peak(run_export)
        print(f"peak Python memory (tracemalloc, one more run each): import {import_mib:.0f} MiB, export "
              f"{export_mib:.0f} MiB; load average at the end {load_average()}")
    finally:
        teardown_databases(old, verbosity=0)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
