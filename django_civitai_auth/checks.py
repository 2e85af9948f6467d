"""System checks (filled in by the sign-in work)."""

from __future__ import annotations
