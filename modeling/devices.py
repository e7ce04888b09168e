"""The workers' device inventory: each Celery worker reports its name, queues and CUDA devices when it is ready and
on every heartbeat; the launch form and the launch API read which devices a live worker has.

A worker is live while it reported in the last ``LIVE_SECONDS``. PyTorch is optional (a web-only or default-queue
install has none): without it a worker reports no CUDA device.
"""
import importlib
from contextlib import ExitStack
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from common.jobs import heartbeat
from modeling.models import Device, WorkerDevice

HEARTBEAT_SECONDS = 30
LIVE_SECONDS = 120
GPU_QUEUE = "gpu"
_reporting = ExitStack()  # the running worker's heartbeat, closed when it stops


def cuda_devices() -> list[dict]:
    """This process's CUDA devices as ``{"name", "memory_bytes"}``; [] without PyTorch or a GPU."""
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return []
    if not torch.cuda.is_available():
        return []
    return [{"name": torch.cuda.get_device_name(index),
             "memory_bytes": int(torch.cuda.get_device_properties(index).total_memory)}
            for index in range(torch.cuda.device_count())]


def worker_device_report(*, worker: str, queues: list[str], devices: list[dict]) -> WorkerDevice:
    """Record (or refresh) what a worker has, seen now."""
    row, _ = WorkerDevice.objects.update_or_create(
        worker=worker, defaults={"queues": sorted(queues), "cuda_devices": devices, "last_seen": timezone.now()})
    return row


def worker_reporting_start(*, worker: str, queues: list[str]) -> None:
    """Report the worker's devices now and every HEARTBEAT_SECONDS until ``worker_reporting_stop``."""
    _reporting.close()  # ready again after a lost broker connection: one heartbeat only
    devices = cuda_devices()
    worker_device_report(worker=worker, queues=queues, devices=devices)
    _reporting.enter_context(heartbeat(
        lambda: worker_device_report(worker=worker, queues=queues, devices=devices),
        every=HEARTBEAT_SECONDS, name=f"devices of {worker}"))


def worker_reporting_stop(*, worker: str) -> None:
    """The worker stops: end its heartbeat and take it out of the inventory."""
    _reporting.close()
    WorkerDevice.objects.filter(worker=worker).delete()


def live_workers() -> QuerySet[WorkerDevice]:
    return WorkerDevice.objects.filter(last_seen__gte=timezone.now() - timedelta(seconds=LIVE_SECONDS))


def live_cuda_workers() -> list[WorkerDevice]:
    """The live workers of the gpu queue that have a CUDA device."""
    return [row for row in live_workers() if GPU_QUEUE in row.queues and row.cuda_devices]


def default_device() -> str:
    """CUDA when a live gpu worker has it, else CPU."""
    return Device.CUDA if live_cuda_workers() else Device.CPU


def device_problem(device: str) -> str | None:
    """Why a benchmark cannot run on ``device`` now (CUDA with no live gpu worker that has one), or None."""
    if device != Device.CUDA or live_cuda_workers():
        return None
    gpu = [row.worker for row in live_workers() if GPU_QUEUE in row.queues]
    seen = (f"the live gpu worker(s) {', '.join(gpu)} report no CUDA device" if gpu
            else f"no worker of the gpu queue reported in the last {LIVE_SECONDS} s")
    return (f"CUDA is not available: {seen}. Choose the CPU device, or start the gpu queue's worker on a machine "
            "with a GPU and PyTorch built for CUDA.")


def memory_text(memory_bytes: int) -> str:
    return f"{memory_bytes / 2**30:.1f} GiB"
