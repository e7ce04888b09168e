"""When a run stops before its schedule ends: a signal (SIGTERM, SIGINT), a cancel, or its time limit.

The training loop asks `Stops.reason(...)` at every step boundary; a reason means: write a resumable checkpoint
now and stop. The time limit keeps room for what must follow the stop (saving, scoring the test part with the
best model), so that the run ends within the limit rather than after it.
"""
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from moslab_science.iqa.errors import IqaError

SIGNALS = (signal.SIGTERM, signal.SIGINT)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")


def parse_duration(text: str) -> float:
    """Seconds in "5400", "90m", "1.5h" or "1h30m"; an IqaError says what is accepted."""
    compact = text.strip().lower().replace(" ", "")
    pieces = DURATION.findall(compact)
    if not compact or "".join(number + unit for number, unit in pieces) != compact or not pieces:
        raise IqaError(f"time limit {text!r}: give seconds (5400) or a duration such as 90m, 1.5h or 1h30m")
    seconds = sum(float(number) * UNITS[unit or "s"] for number, unit in pieces)
    if seconds <= 0:
        raise IqaError(f"time limit {text!r} must be longer than zero")
    return seconds


class Stops:
    """The reasons to stop a run early, checked between steps."""

    def __init__(self, *, time_limit: float | None, should_stop: Callable[[], bool]):
        self.started = time.monotonic()
        self.time_limit, self.should_stop = time_limit, should_stop
        self.signal_name: str | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def reason(self, *, next_seconds: float = 0.0, reserve: float = 0.0) -> str | None:
        """Why to stop now, or None: a signal, a cancel, or the time limit if `next_seconds` more work and
        `reserve` seconds of closing work would pass it."""
        if self.signal_name:
            return self.signal_name
        if self.should_stop():
            return "cancelled"
        if self.time_limit is not None and self.elapsed + next_seconds + reserve > self.time_limit:
            return "time limit"
        return None

    @contextmanager
    def catching_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT ask for a clean stop while the run trains (main thread only; the previous
        handlers come back afterwards). A second SIGINT still interrupts at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {number: signal.getsignal(number) for number in SIGNALS}

        def ask_to_stop(number, _frame) -> None:
            if self.signal_name and number == signal.SIGINT:
                raise KeyboardInterrupt
            self.signal_name = signal.Signals(number).name

        for number in SIGNALS:
            signal.signal(number, ask_to_stop)
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
