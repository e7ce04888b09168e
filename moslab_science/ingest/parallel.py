"""Checking many media files at once: decoding spread over worker processes, memory bounded.

Each file is checked by `inspect_media` (decoded and hashed) and, when the caller gives a `store`, its bytes are
stored once they pass: each file is read once. The files are read in the calling
process (a zip's entries cannot be shared) and their bytes sent to the workers; at most two windows of `WINDOW`
files are in flight, and small files travel in batches (one message per batch, not per file). With a store, the
calling process stores each window's files as their results come back while the workers check the next window,
so the pool gets one core fewer and pays from STORED_FROM files (on the 2-core VM this split beat workers that read,
check and store the files themselves: 2.0-2.2 s against 3.3-3.5 s of CPU for 20,000 small PNGs, each process
doing one kind of work). Without a store it pays from PARALLEL_FROM files and PARALLEL_FROM_BYTES (small images
decode faster than they travel to a worker: 3,000 small PNGs were checked in 6.8 s in one process against 18 s
through the pool on the loaded 2-core VM). Otherwise, or with one usable core, everything runs in the calling
process. Workers start from a fork server (or are spawned), never forked from the caller, so a web or Celery
process's database connections stay its own.
"""
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver

from moslab_science.ingest.media import MediaInfo, MediaProblem, inspect_media
from moslab_science.ingest.sources import SourceFile

PARALLEL_FROM = 200  # files; below this a pool costs more than it saves
PARALLEL_FROM_BYTES = 64 << 20  # ... and bytes: small images decode faster than they travel to a worker
WINDOW = 256  # files whose bytes may be in flight at once
STORED_FROM = 2_000  # files; when the caller stores them too (the fork server is started early: `warm_up`)
BATCH_BYTES = 4 << 20  # small files go to a worker several at a time (one message each way), up to about this much

Store = Callable[[str, MediaInfo, bytes], str]  # keeps a file that passed (its name, its check, its bytes); the
# name it is stored under


def usable_cores() -> int:
    """The cores this process may use for worker processes: 1 in a daemonic process (a Celery prefork child),
    which may not start any."""
    if multiprocessing.current_process().daemon:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def inspect_all(files: list[SourceFile], *, max_pixels: int, max_seconds: float,
                progress: Callable[[int, int], None] | None = None,
                store: Store | None = None) -> Iterator[tuple[SourceFile, MediaInfo | str, str]]:
    """(file, its MediaInfo or the problem found, the name `store` kept it under or "") for every file, in order;
    `progress(done, total)` as it goes. A file with a problem is not stored.

    If the caller stops early or anything fails, the queued checks are dropped and the running ones finish before
    the exception reaches the caller: no worker is left running."""
    workers = _workers(len(files), sum(file.size_bytes for file in files), storing=store is not None)
    if not workers:
        for done, file in enumerate(files, start=1):
            data = file.read_bytes()
            yield file, *_stored(file.name, _inspect(file.name, data, max_pixels, max_seconds), data, store)
            if progress:
                progress(done, len(files))
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=start_workers()) as pool:
        try:
            in_flight: deque = deque()  # two windows: the next one is read while the workers check this one
            for start in range(0, len(files), WINDOW):
                window = files[start:start + WINDOW]
                in_flight.append((start + len(window), _submit(pool, window, workers, max_pixels, max_seconds)))
                while len(in_flight) == 2 or (in_flight and start + WINDOW >= len(files)):
                    done, batches = in_flight.popleft()
                    for batch, read, future in batches:
                        for file, data, found in zip(batch, read, future.result(), strict=True):
                            yield file, *_stored(file.name, found, data, store)
                    if progress:
                        progress(done, len(files))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _workers(count: int, size_bytes: int, *, storing: bool) -> int:
    """How many worker processes check `count` files (0: the calling process checks them)."""
    cores = min(usable_cores(), 8)
    if cores < 2:
        return 0
    if storing:
        return cores - 1 if count >= STORED_FROM else 0
    return cores if count >= PARALLEL_FROM and size_bytes >= PARALLEL_FROM_BYTES else 0


def start_workers() -> multiprocessing.context.BaseContext:
    """The context worker processes start from, its fork server started (it imports the decoders once, and each
    pool's workers then start in milliseconds, not 0.3-2 s each). Calling it early, before a long read, hides that
    start; calling it again costs nothing."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    forkserver.ensure_running()
    return context


def warm_up(count: int) -> None:
    """Start the workers' server now (see start_workers) when checking and storing `count` files will use it."""
    if _workers(count, 0, storing=True):
        start_workers()


def _submit(pool: ProcessPoolExecutor, window: list[SourceFile], workers: int, max_pixels: int,
            max_seconds: float) -> list[tuple[list[SourceFile], list[bytes], object]]:
    """The window's batches: (files, their bytes, read here, the future of their checks there)."""
    size = _batch_size(window, workers)
    batches = []
    for at in range(0, len(window), size):
        batch = window[at:at + size]
        read = [file.read_bytes() for file in batch]
        batches.append((batch, read, pool.submit(_inspect_batch, [file.name for file in batch], read, max_pixels,
                                                 max_seconds)))
    return batches


def _batch_size(window: list[SourceFile], workers: int) -> int:
    """Files per message: about four batches per worker in a window, and no batch much above BATCH_BYTES."""
    by_bytes = BATCH_BYTES // max(1, max(file.size_bytes for file in window))
    return max(1, min(by_bytes, -(-len(window) // (4 * workers))))


def _inspect_batch(names: list[str], read: list[bytes], max_pixels: int, max_seconds: float) -> list[MediaInfo | str]:
    return [_inspect(name, data, max_pixels, max_seconds) for name, data in zip(names, read, strict=True)]


def _inspect(name: str, data: bytes, max_pixels: int, max_seconds: float) -> MediaInfo | str:
    try:
        return inspect_media(name, data, max_pixels=max_pixels, max_seconds=max_seconds)
    except MediaProblem as problem:
        return str(problem)


def _stored(name: str, found: MediaInfo | str, data: bytes, store: Store | None) -> tuple[MediaInfo | str, str]:
    if store is None or isinstance(found, str):
        return found, ""
    return found, store(name, found, data)
