"""Progress of a long step as a line a person reads: done, total, rate and the time left."""
import time
from collections.abc import Callable


def seconds_left(*, fraction: float, elapsed: float) -> float | None:
    """The time a step needs to finish at the rate it has gone so far; None before anything is done."""
    if not 0 < fraction < 1 or elapsed <= 0:
        return None
    return elapsed * (1 - fraction) / fraction


def eta_reporter(label: str, write: Callable[[str], None], *, every: float = 2.0) -> Callable[[int, int], None]:
    """A `progress(done, total)` callback writing e.g. "checking images: 4,096/20,000 (20%), 850/s, about 19 s
    left" at most every `every` seconds, and always at the end."""
    started = time.monotonic()
    last = [float("-inf")]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < every:
            return
        last[0] = now
        elapsed = max(now - started, 1e-9)
        left = seconds_left(fraction=done / max(total, 1), elapsed=elapsed)
        write(f"{label}: {done:,}/{total:,} ({100 * done / max(total, 1):.0f}%), {done / elapsed:,.0f}/s, "
              + (f"done in {elapsed:,.1f} s" if done >= total else
                 f"about {left:,.0f} s left" if left is not None else "starting"))

    return report
