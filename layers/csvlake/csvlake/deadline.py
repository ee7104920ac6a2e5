"""The invocation's deadline on a clock the caller gives (Lambda's remaining time, a fake in tests),
and the reason a file that does not fit in it is rejected with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MB = 1024**2
# A file that starts this close to its invocation's start has (nearly) all of its time.
FIRST_FILE_SECONDS = 2.0


@dataclass(frozen=True)
class Deadline:
    """When the work on a file must stop, so that its report can still be written."""

    at: float  # a clock() value
    started: float  # the clock() value when the file's time began
    clock: Callable[[], float]
    # The file has the whole invocation: a retry would run out the same way, so running out is final.
    # A file after others in one invocation (an SQS batch) is retried instead, with time of its own.
    final: bool = True

    @classmethod
    def counting_down(cls, remaining: Callable[[], float], margin: float, budget: float | None = None) -> Deadline:
        """A deadline on a clock that counts down, as Lambda's remaining time does: it passes when
        `margin` seconds are left. `budget`: the seconds the invocation had when it began, if it may
        hold several files; a file that starts with less than nearly all of them is not final."""

        def clock() -> float:
            return -remaining()

        started = clock()
        return cls(-margin, started, clock, budget is None or -started >= budget - FIRST_FILE_SECONDS)

    def remaining(self) -> float:
        return self.at - self.clock()

    def passed(self) -> bool:
        return self.clock() > self.at

    def too_long(self, size: int | None, mb_per_s: float) -> str | None:
        """Why a file of `size` bytes cannot finish in the time left even at `mb_per_s`, the fastest
        rate measured; None if it may (the check per chunk stops it if it does not)."""
        left = max(self.remaining(), 0.0)
        if size is None or size / MB / mb_per_s <= left:
            return None
        return (
            f"too large for one invocation: {size / MB:,.1f} MB would take at least {size / MB / mb_per_s:,.0f} s "
            f"at {mb_per_s:g} MB/s, the fastest rate measured (docs/benchmarks.md), and {left:,.0f} s are left, "
            f"enough for about {left * mb_per_s:,.0f} MB"
        )

    def ran_out(self, size: int | None, mb_per_s: float) -> str:
        """Why a file whose work was still going when the deadline passed is rejected."""
        budget = self.at - self.started
        what = f"{size / MB:,.1f} MB" if size is not None else "the file"
        return (
            f"too large for one invocation: {what} not finished in the {budget:,.0f} s this invocation had, "
            f"in which {mb_per_s:g} MB/s, the fastest rate measured (docs/benchmarks.md), reads about "
            f"{budget * mb_per_s:,.0f} MB: it ran slower (a gzip, wide or oddly quoted rows, no room to spill)"
        )
