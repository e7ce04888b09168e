"""Progress of a long step as a line a person reads: done, total, rate and the time left."""
import time
from collections.abc import Callable


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
        rate = done / elapsed
        left = (total - done) / rate if rate > 0 else float("inf")
        write(f"{label}: {done:,}/{total:,} ({100 * done / max(total, 1):.0f}%), {rate:,.0f}/s, "
              + (f"about {left:,.0f} s left" if done < total else f"done in {elapsed:,.1f} s"))

    return report
