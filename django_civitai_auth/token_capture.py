"""Captures tokens from social-auth before they reach the database (sign-in work)."""

from __future__ import annotations
