"""Faults a test schedules for the next calls of an endpoint.

A fault fires before the request is processed: no code is spent, no token issued or revoked,
no rate-limit slot used. Only the endpoint's counter records the call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

ENDPOINTS = ("authorize", "token", "revoke", "userinfo")
FAULT_KINDS = ("server_error", "rate_limited", "timeout", "drop", "non_json", "invalid_grant")
DEFAULT_TIMEOUT_DELAY = 5.0


@dataclass
class Fault:
    endpoint: str
    kind: str
    remaining: int
    grant: str | None = None
    delay: float = 0.0


class FaultPlan:
    """Pending faults, used first-added first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self, endpoint: str, kind: str, times: int = 1, *, grant: str | None, delay: float
    ) -> None:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; choose one of {ENDPOINTS}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if grant is not None and endpoint != "token":
            raise ValueError("only token faults can be limited to one grant type")
        if kind == "timeout" and not delay:
            delay = DEFAULT_TIMEOUT_DELAY
        with self._lock:
            self._faults.append(Fault(endpoint, kind, times, grant, delay))

    def take(self, endpoint: str, grant: str | None) -> Fault | None:
        """The fault for this call, if one is pending; each use counts down its ``times``."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint == endpoint and fault.grant in (None, grant):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
