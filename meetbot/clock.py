"""Session time: seconds since the session started, from a monotonic clock.

Edges stamp events with it; domain code only ever sees the numbers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class MonotonicClock:
    def __init__(self, started_at: datetime | None = None) -> None:
        """From now, or from `started_at` (aware): continuing a session begun elsewhere."""
        now = datetime.now(UTC)
        self.started_at = started_at or now
        self._t0 = time.monotonic() - (now - self.started_at).total_seconds()

    def __call__(self) -> float:
        return time.monotonic() - self._t0


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.started_at = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
