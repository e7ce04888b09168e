"""GPU check: every IQA and video architecture trains a few steps; images (or clips) per second and peak memory.

On CUDA each architecture runs its paper configuration (random initialisation: throughput does not depend on the
weights, and nothing is downloaded) under bf16 autocast, with the paper's batch size. With 2 or more GPUs the same
steps also run as 2-process DistributedDataParallel (NCCL), reported as the sum over the processes. pyiqa's
EfficientNet-Lite and HyperIQA training step is timed as the peer when pyiqa is installed; otherwise the line says
it was skipped. ``--device cpu --steps 1`` runs the tiny configurations in float32 (CI: tests/test_gpu_check.py)
so the script cannot rot.

    python bench/gpu_check.py [--device cuda|cpu] [--steps 10] [--preset paper|tiny] [--arch NAME ...] [--json OUT]

An architecture that cannot be built without its own files (LMM folders, tokenizers) is reported as skipped,
with the reason. The first step is a warm-up and is not timed when more than one step runs.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from moslab_science.iqa import registry as iqa_registry  # noqa: E402
from moslab_science.iqa.scoring import run_model, takes_text, uses_names  # noqa: E402
from moslab_science.vqa import registry as vqa_registry  # noqa: E402

PEER_ARCHS = {"effnet-lite": "pyiqa has no EfficientNet-Lite IQA model", "hyperiqa": "hyperiqa"}  # moslab -> pyiqa


def iqa_batch(config: dict, device: torch.device) -> tuple[torch.Tensor, list[str]]:
    side = config["input"]["train_crop"] or (config["input"]["resize"] or [224, 224])[0]
    batch = config["train"]["batch_size"]
    return torch.randn(batch, 3, side, side, device=device), ["a photo of a cat"] * batch


def video_batch(name: str, config: dict, device: torch.device) -> tuple[dict[str, torch.Tensor], list[str]]:
    cfg, batch = config["input"], config["train"]["batch_size"]
    if name == "aigc-vqa":
        side = cfg["fragment_grid"] * cfg["fragment_patch"]
        aesthetic, alignment = cfg["aesthetic_size"], cfg["alignment_size"]
        inputs = {"fragments": torch.randn(batch, 3, cfg["technical_frames"], side, side),
                  "aesthetic": torch.randn(batch, cfg["aesthetic_frames"], 3, aesthetic, aesthetic),
                  "alignment": torch.randn(batch, cfg["alignment_frames"], 3, alignment, alignment)}
    else:
        inputs = {"frames": torch.randn(batch, cfg["frames"], 3, cfg["size"], cfg["size"])}
    return {key: value.to(device) for key, value in inputs.items()}, ["a cat walking"] * batch


def build(kind: str, name: str, preset: str) -> tuple[nn.Module, dict]:
    registry = iqa_registry if kind == "iqa" else vqa_registry
    config = registry.resolve_config(name, {"preset": preset, "pretrained": False})
    return registry.build_model(name, config), config


def loss_of(kind: str, model: nn.Module, name: str, config: dict, device: torch.device) -> tuple[Callable, int]:
    """A closure computing one batch's loss, and the batch's image (clip) count."""
    if kind == "iqa":
        views, texts = iqa_batch(config, device)
        return (lambda: run_model(model, views, texts, prompted=takes_text(model)).float().square().mean()), len(views)
    inputs, prompts = video_batch(name, config, device)
    return (lambda: sum(score.float().square().mean() for score in model(inputs, prompts).values())), len(prompts)


def time_steps(model: nn.Module, loss: Callable, images: int, *, steps: int, device: torch.device) -> dict:
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-6)
    cuda = device.type == "cuda"
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else torch.autocast("cpu", enabled=False)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    timed, start = 0, None
    for step in range(steps):
        if step == min(1, steps - 1):  # the first of several steps warms up (kernels, allocator)
            _synchronise(device)
            start, timed = time.perf_counter(), steps - step
        with autocast:
            value = loss()
        optimiser.zero_grad(set_to_none=True)
        value.backward()
        optimiser.step()
    _synchronise(device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return {"images_per_s": round(images * timed / seconds, 2), "seconds_per_step": round(seconds / timed, 4),
            "peak_gib": round(peak, 2) if peak is not None else None, "batch": images, "timed_steps": timed}


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def check(kind: str, name: str, args, device: torch.device) -> dict:
    try:
        model, config = build(kind, name, args.preset)
        if kind == "iqa" and uses_names(model):
            return {"skipped": "needs per-image LMM features computed from image files (time it with iqa train)"}
        model = model.to(device)
        loss, images = loss_of(kind, model, name, config, device)
        return time_steps(model, loss, images, steps=args.steps, device=device)
    except Exception as error:  # noqa: BLE001 (one architecture's failure is reported, the others still run)
        return {"skipped": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()


def ddp_worker(rank: int, name: str, args, results) -> None:
    """One of 2 DDP processes (NCCL): the same steps on its own GPU; rank 0 records the timing."""
    from torch.nn.parallel import DistributedDataParallel

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29533")
    torch.distributed.init_process_group("nccl", rank=rank, world_size=2)
    device = torch.device("cuda", rank)
    torch.cuda.set_device(device)
    model, config = build("iqa", name, args.preset)
    prompted = takes_text(model)
    model = DistributedDataParallel(model.to(device), device_ids=[rank])
    views, texts = iqa_batch(config, device)
    timing = time_steps(model, lambda: run_model(model, views, texts, prompted=prompted).float().square().mean(),
                        len(views), steps=args.steps, device=device)
    if rank == 0:
        results[name] = {**timing, "images_per_s": timing["images_per_s"] * 2, "processes": 2}
    torch.distributed.destroy_process_group()


def pyiqa_peer(args, device: torch.device) -> dict:
    try:
        import pyiqa  # noqa: F401  (optional peer, not a moslab dependency)
    except ImportError:
        return {"skipped": "pyiqa is not installed (offline machine: nothing is downloaded); no peer figures"}
    results = {}
    for arch, metric in PEER_ARCHS.items():
        if arch == "effnet-lite":
            results[arch] = {"skipped": metric}
            continue
        try:
            model = pyiqa.create_metric(metric, as_loss=True, pretrained=False, device=device)
            views = torch.rand(iqa_registry.resolve_config(arch)["train"]["batch_size"], 3, 224, 224, device=device)
            results[arch] = time_steps(model.net, lambda net=model, x=views: net(x).float().square().mean(),
                                       len(views), steps=args.steps, device=device)
        except Exception as error:  # noqa: BLE001
            results[arch] = {"skipped": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--preset", choices=("paper", "tiny"), help="default: paper on CUDA, tiny on CPU")
    parser.add_argument("--arch", nargs="*", help="only these architectures (default: every one)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1 is fastest on a shared CPU)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.preset = args.preset or ("paper" if args.device == "cuda" else "tiny")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("CUDA is not available here: run with --device cpu")
    device = torch.device(args.device)
    torch.manual_seed(0)
    names = [("iqa", name) for name in iqa_registry.ARCHITECTURES]
    names += [("vqa", name) for name in vqa_registry.ARCHITECTURES]
    names = [(kind, name) for kind, name in names if not args.arch or name in args.arch]
    label = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
    report = {"device": label, "threads": args.threads if device.type == "cpu" else None, "preset": args.preset,
              "steps": args.steps, "torch": torch.__version__,
              "amp": "bf16" if device.type == "cuda" else "float32", "single": {}, "ddp": {}, "pyiqa": {}}
    for kind, name in names:
        report["single"][name] = check(kind, name, args, device)
        print(name, json.dumps(report["single"][name]), flush=True)
    if device.type == "cuda" and torch.cuda.device_count() >= 2:
        results = torch.multiprocessing.Manager().dict()
        for kind, name in names:
            if kind == "iqa" and "skipped" not in report["single"][name]:
                torch.multiprocessing.spawn(ddp_worker, args=(name, args, results), nprocs=2)
                report["ddp"][name] = dict(results.get(name, {"skipped": "the DDP run reported nothing"}))
                print(name, "DDP x2", json.dumps(report["ddp"][name]), flush=True)
    report["pyiqa"] = pyiqa_peer(args, device)
    print("pyiqa", json.dumps(report["pyiqa"]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
