"""Civitai's rate limits: a sliding one-minute window per key, on the emulator's clock."""

from __future__ import annotations

import threading
from collections import deque

from django_civitai_auth.emulator.clock import EmulatorClock


class SlidingWindowLimiter:
    """Allows ``limit`` requests per key within any ``window`` seconds."""

    def __init__(self, limit: int, clock: EmulatorClock, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record one request for ``key``; False when it is over the limit."""
        now = self._clock.now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
