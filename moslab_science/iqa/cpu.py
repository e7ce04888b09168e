"""CPU settings the commands apply before training or scoring on a CPU, and the line saying what was set.

One torch thread: on a shared CPU OpenMP threads spin-wait for cores other work holds (docs/models.md, "CPU
threads"). glibc's allocator: a fixed 32 MiB mmap threshold and a high trim threshold keep the large tensor
buffers of each step in the heap instead of mapping and unmapping them every time, what
MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 do at start-up (docs/benchmarks.md). Values the
user set (the environment variables, OMP_NUM_THREADS, --threads) win.
"""
import ctypes
import ctypes.util
import os

import torch

M_TRIM_THRESHOLD = -1  # mallopt parameters of glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest accepted mmap threshold on 64-bit
TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int: the largest one (the variable at start-up allows 4 GiB)
ALLOCATOR_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def apply_cpu_defaults(*, threads: int | None = None) -> str:
    """Set torch's thread count and glibc's allocator thresholds; returns one line saying what was set."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
        thread_text = f"torch threads {threads} (--threads; was {before})"
    elif os.environ.get("OMP_NUM_THREADS"):
        thread_text = f"torch threads {before} (OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']})"
    else:
        torch.set_num_threads(1)
        thread_text = f"torch threads 1 (was {before}; --threads N to change)"
    return f"CPU settings: {thread_text}; {_allocator()}"


def _allocator() -> str:
    if any(os.environ.get(name) for name in ALLOCATOR_VARIABLES):
        return "allocator as set by " + ", ".join(name for name in ALLOCATOR_VARIABLES if os.environ.get(name))
    path = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(path)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return "allocator left as it is (not glibc)"
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1 or mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        return "allocator left as it is (glibc refused the thresholds)"
    return f"glibc malloc mmap threshold {MMAP_THRESHOLD // 2**20} MiB, trim threshold {TRIM_THRESHOLD // 2**20} MiB"
