"""The answers the emulator's handlers build; server.py writes them to the socket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(status: int, payload: object, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json", headers or [])


def error_reply(status: int, error: str, description: str) -> Reply:
    """Civitai's error body: ``{"error": NAME, "error_description": TEXT}``."""
    return json_reply(status, {"error": error, "error_description": description})


def html_reply(status: int, page: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, page.encode(), "text/html; charset=utf-8", headers or [])


def redirect_reply(location: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    """Civitai answers every redirect of the authorization flow with 303 See Other."""
    return Reply(303, b"", "text/plain", [("Location", location), *(headers or [])])


RATE_LIMIT_TEXT = {
    "authorize": "Too many authorization requests",
    "token": "Too many token requests",
    "revoke": "Too many revoke requests",
    "userinfo": "Too many requests",
}


def rate_limited_reply(endpoint: str) -> Reply:
    """429 as Civitai sends it: no Retry-After and no rate-limit headers."""
    return error_reply(429, "rate_limited", RATE_LIMIT_TEXT[endpoint])
