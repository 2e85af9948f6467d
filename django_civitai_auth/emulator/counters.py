"""Counts of the requests that reached each endpoint, rejected ones included."""

from __future__ import annotations

import threading
from collections import Counter

from django_civitai_auth.emulator.grants import GRANT_TYPES


class RequestCounters:
    """Keys: ``authorize``, ``token``, ``token:<grant_type>``, ``revoke``, ``userinfo``."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, endpoint: str, grant: str | None = None) -> None:
        with self._lock:
            self._counts[endpoint] += 1
            if grant in GRANT_TYPES:
                self._counts[f"{endpoint}:{grant}"] += 1

    def get(self, endpoint: str, grant: str | None = None) -> int:
        key = f"{endpoint}:{grant}" if grant else endpoint
        with self._lock:
            return self._counts[key]

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
