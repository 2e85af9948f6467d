"""A plain one-line progress bar for management commands, shown only on a terminal."""

from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """Redraws ``[#####.....] done/total`` in place; prints nothing when not on a terminal."""

    def __init__(self, stream: TextIO, total: int, *, width: int = 30, every: float = 0.2) -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and total > 0
        self._stream = stream
        self._total = total
        self._width = width
        self._every = every
        self._last = 0.0

    def update(self, done: int, detail: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < self._total and now - self._last < self._every:
            return
        self._last = now
        filled = int(self._width * done / self._total)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r[{bar}] {done}/{self._total} {detail}".rstrip())
        self._stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self._stream.write("\n")
            self._stream.flush()
