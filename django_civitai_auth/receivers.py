"""Signal receivers (filled in by the lifecycle work)."""

from __future__ import annotations
