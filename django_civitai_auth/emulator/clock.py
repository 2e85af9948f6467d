"""The emulator's clock: wall time plus an offset that tests move forward."""

from __future__ import annotations

import threading
import time


class EmulatorClock:
    """Code and token expiry and the rate-limit windows all read this clock."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees it."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward, e.g. past an access token's expiry."""
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        with self._lock:
            self._offset += seconds
