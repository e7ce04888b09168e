"""Benchmark runs end to end on real data: the run system's overhead, and the dashboard screenshots.

In a fresh SQLite database under ``--var`` (default /tmp/moslab-bench-runs) it builds the demo study
and runs the demo benchmarks (``demo_benchmark --inline``). It then imports BIQ2021's 3,000 dev images
from ../shared/data and runs one VQualA 2025 benchmark (8:1:1 split grouped by image, seed 0) with
EfficientNet-Lite0 (ImageNet weights, a short fine-tune) and NIQE, through the same code the gpu worker
runs. The peer is the same EfficientNet-Lite training called directly (``moslab_science.iqa.train_run`` on
the same table, images and configuration). It prints both times and their ratio: what the run system
adds (the table, progress rows, heartbeats, evaluation). With ``--screenshots`` it then serves the
pages and saves headless Chromium screenshots of every dashboard into docs/screenshots/.

    python bench/bench_runs.py [--var DIR] [--steps 60] [--screenshots]
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIQ = REPO.parent / "shared" / "data" / "biq2021-dev"
SHOTS = REPO / "docs" / "screenshots"
PORT = 8765


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", type=Path, default=Path("/tmp/moslab-bench-runs"))
    parser.add_argument("--steps", type=int, default=60, help="training steps per epoch (batch 8), 2 epochs")
    parser.add_argument("--screenshots", action="store_true")
    args = parser.parse_args()
    if not (BIQ / "mos.csv").exists():
        sys.exit(f"BIQ2021 dev set not found at {BIQ.resolve()}: it lives outside the repository")
    shutil.rmtree(args.var, ignore_errors=True)
    os.environ.update(MOSLAB_VAR_DIR=str(args.var), DJANGO_SETTINGS_MODULE="config.settings.local",
                      OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo_study")
    call_command("simulate_raters", "au-iqa-demo", "--raters", "12", "--careless-share", "0.15",
                 "--coordinator", "coordinator")
    started = time.perf_counter()
    call_command("demo_benchmark", "au-iqa-demo", "--inline")
    print(f"demo benchmarks: {time.perf_counter() - started:.0f} s")
    biq = run_biq(args.steps)
    if args.screenshots:
        take_screenshots(args.var, biq)


def training_overrides(steps: int) -> dict:
    return {"train": {"epochs": 2, "batch_size": 8, "max_steps_per_epoch": steps},
            "input": {"train_crop": 224, "eval_crop": 384}}


def run_biq(steps: int):
    import torch
    from django.contrib.auth import get_user_model

    from modeling.runs import execution as run_execution
    from modeling.runs import services as run_services
    from moslab_science.benchmarks import PRESETS, Protocol
    from moslab_science.iqa import train_run
    from studies import services
    from studies.datasets import services as dataset_services
    from studies.datasets.imports import dataset_import
    from studies.models import Membership

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    users = get_user_model().objects
    coordinator, researcher = users.get(username="coordinator"), users.get(username="researcher")
    started = time.perf_counter()
    report = dataset_import(name="BIQ2021 dev set", slug="biq2021-dev", by=coordinator, source_format="mos_table",
                            source=BIQ / "mos.csv", images=BIQ / "images", scale=(0, 1),
                            options={"name": "image", "mos": "mos", "group_columns": ["source_subset"]})
    services.membership_add(study=report.study, user=researcher, role=Membership.Role.RESEARCHER)
    version = dataset_services.dataset_version_create(study=report.study, by=coordinator)
    print(f"BIQ2021 import and version: {time.perf_counter() - started:.0f} s, {len(version.items)} items")
    protocol = Protocol(**{**PRESETS["vquala2025"].protocol.as_dict(), "group_column": "source_subset"})
    benchmark = run_services.benchmark_launch(
        version=version, by=researcher, models=["effnet-lite", "niqe"], protocol=protocol,
        hyperparameters=training_overrides(steps), device="cpu", preset="vquala2025", name="VQualA 2025 on BIQ2021")
    times = {}
    for run in benchmark.training_runs.order_by("pk"):
        started = time.perf_counter()
        run_execution.training_run_execute(run_id=run.pk, attempt=run.attempt, worker="bench")
        times[run.model] = time.perf_counter() - started
        run.refresh_from_db()
        figure = f"SRCC {run.result['srcc']:.3f}, PLCC {run.result['plcc']:.3f}" if run.result else run.error
        print(f"{run.model} through the run system: {times[run.model]:.0f} s, test {figure}")
    trained = benchmark.training_runs.get(model="effnet-lite")
    from django.conf import settings

    table = Path(settings.MEDIA_ROOT) / trained.run_dir / "data" / "table.csv"
    direct = Path(settings.MEDIA_ROOT) / "bench-direct"
    shutil.rmtree(direct, ignore_errors=True)
    started = time.perf_counter()
    summary = train_run(config=trained.config, table=table, images=Path(settings.MEDIA_ROOT), out=direct,
                        log=lambda _line: None)
    peer = time.perf_counter() - started
    print(f"effnet-lite called directly (peer): {peer:.0f} s, test SRCC {summary['test']['srcc']:.3f}")
    print(f"run system / direct: {times['effnet-lite'] / peer:.2f}x")
    return benchmark


def take_screenshots(var: Path, biq) -> None:
    from playwright.sync_api import sync_playwright

    from modeling.models import BenchmarkRun
    from studies.models import Study

    demo = Study.objects.get(slug="au-iqa-demo")
    pages = {
        "demo-mos": f"/studies/{demo.pk}/dashboards/mos/",
        "demo-raters": f"/studies/{demo.pk}/dashboards/raters/",
        "demo-progress": f"/studies/{demo.pk}/annotation/",
        "demo-runs": f"/studies/{demo.pk}/runs/",
    }
    for benchmark in BenchmarkRun.objects.filter(version__study=demo):
        pages[f"demo-benchmark-{benchmark.preset}"] = f"/studies/{demo.pk}/runs/{benchmark.pk}/"
    trained = BenchmarkRun.objects.get(preset="ntire2024", version__study=demo).training_runs.filter(
        model="effnet-lite").first()
    pages["demo-training-run"] = f"/studies/{demo.pk}/runs/{trained.benchmark_id}/training/{trained.pk}/"
    study = biq.version.study
    pages["biq2021-benchmark"] = f"/studies/{study.pk}/runs/{biq.pk}/"
    for run in biq.training_runs.all():
        pages[f"biq2021-training-{run.model}"] = f"/studies/{study.pk}/runs/{biq.pk}/training/{run.pk}/"
    pages["biq2021-mos"] = f"/studies/{study.pk}/dashboards/mos/"
    env = {**os.environ, "MOSLAB_VAR_DIR": str(var)}
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"http://127.0.0.1:{PORT}/accounts/login/")
            page.fill("input[name=username]", "researcher")
            page.fill("input[name=password]", "researcher-demo-pass")
            page.click("button[type=submit]")
            page.wait_for_url(f"http://127.0.0.1:{PORT}/")
            for name, path in pages.items():
                page.goto(f"http://127.0.0.1:{PORT}{path}")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(800)  # plotly draws after load
                page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
                print(f"screenshot {name}.png <- {path}")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
