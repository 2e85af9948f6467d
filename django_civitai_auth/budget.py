"""A request budget for Civitai's token endpoint, shared by the threads of one command run.

Civitai allows 20 token-endpoint requests a minute per client IP, counted over a sliding
minute, and says nothing (no Retry-After) when a request is over. Requests are spaced evenly
at slightly under the budget, so any minute holds at most the budget even with network
jitter; a 429 pushes every later slot back. The budget is per process: when several servers
share one outgoing IP, give each a share with ``--rate``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Spacing 2% wider than 60/rate keeps jittered arrivals inside Civitai's window.
_SAFETY = 1.02


class RateBudget:
    """Hands out evenly spaced request slots; ``per_minute <= 0`` means no budget."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute * _SAFETY if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return self.interval == 0.0

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the next slot; False if ``stop`` was set while waiting."""
        with self._lock:
            slot = max(self._next, self._clock())
            if not self.unlimited:
                self._next = slot + self.interval
        while True:
            remaining = slot - self._clock()
            if stop is not None and stop.is_set():
                return False
            if remaining <= 0:
                return True
            self._sleep(min(remaining, 0.25))

    def back_off(self, seconds: float) -> None:
        """After a 429: no slot is handed out for ``seconds`` from now (budget or not)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)
