"""The HTTP side: a threaded HTTP/1.1 server that routes to the endpoint handlers.

Order for each call of an endpoint: count it, fire a scheduled fault (before any processing,
so stored state is untouched), apply the rate limit, process, add the configured latency.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django_civitai_auth.emulator.avatars import AVATAR_PATH_PREFIX, handle_avatar
from django_civitai_auth.emulator.clock import EmulatorClock
from django_civitai_auth.emulator.config import EmulatorConfig
from django_civitai_auth.emulator.counters import RequestCounters
from django_civitai_auth.emulator.faults import Fault, FaultPlan
from django_civitai_auth.emulator.flow import (
    AUTHORIZE_PATH,
    FlowContext,
    authorize_get,
    authorize_post,
    login_get,
    login_post,
)
from django_civitai_auth.emulator.grants import TokenContext, handle_token
from django_civitai_auth.emulator.pages import LOGIN_PATH
from django_civitai_auth.emulator.ratelimit import SlidingWindowLimiter
from django_civitai_auth.emulator.replies import (
    Reply,
    error_reply,
    html_reply,
    json_reply,
    rate_limited_reply,
)
from django_civitai_auth.emulator.revocation import handle_revoke
from django_civitai_auth.emulator.state import EmulatorState
from django_civitai_auth.emulator.userinfo import handle_userinfo

TOKEN_PATH = "/api/auth/oauth/token"  # noqa: S105 (a path, not a password)
REVOKE_PATH = "/api/auth/oauth/revoke"
USERINFO_PATH = "/api/auth/oauth/userinfo"
ENDPOINT_PATHS = {
    AUTHORIZE_PATH: "authorize",
    TOKEN_PATH: "token",
    REVOKE_PATH: "revoke",
    USERINFO_PATH: "userinfo",
}
_MAX_BODY = 1 << 20


@dataclass
class EmulatorParts:
    """What every request handler thread shares."""

    config: EmulatorConfig
    state: EmulatorState = field(default_factory=EmulatorState)
    clock: EmulatorClock = field(default_factory=EmulatorClock)
    faults: FaultPlan = field(default_factory=FaultPlan)
    counters: RequestCounters = field(default_factory=RequestCounters)
    stopping: threading.Event = field(default_factory=threading.Event)
    issuer: str = ""  # the base URL: id_token's issuer and the origin of the avatars
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Separate buckets, as on Civitai: token and revoke per client IP, authorize per user.
        self.token_limiter = SlidingWindowLimiter(20, self.clock)
        self.revoke_limiter = SlidingWindowLimiter(20, self.clock)
        self.authorize_limiter = SlidingWindowLimiter(10, self.clock)

    def flow(self) -> FlowContext:
        return FlowContext(self.config, self.state, self.clock, self.authorize_limiter)

    def token_context(self) -> TokenContext:
        return TokenContext(self.config, self.state, self.clock, self.issuer)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], parts: EmulatorParts) -> None:
        self.parts = parts
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, EmulatorRequestHandler)

    def close_open_connections(self) -> None:
        """Close idle keep-alive connections so stop() leaves no client hanging."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's delayed ACK
    # would add 40 ms to every response.
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default: request lines would carry codes and tokens into a test's output.
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = self.server.parts
        url = urlsplit(self.path)
        body = self._read_body()
        try:
            reply = self._route(method, url.path, url.query, body)
        except Exception:  # the emulator must answer like a server, not die with the thread
            parts.errors.append(traceback.format_exc())
            reply = error_reply(500, "server_error", "The emulator failed; see emu.errors")
        if reply is None:
            self._drop()
            return
        if parts.config.latency > 0:
            parts.stopping.wait(parts.config.latency)
        self._write(reply)

    def _route(self, method: str, path: str, query: str, body: bytes) -> Reply | None:
        parts = self.server.parts
        endpoint = ENDPOINT_PATHS.get(path)
        if endpoint is None:
            return self._route_pages(method, path, query, body)
        form = _form(body, self.headers.get("Content-Type", "")) if method == "POST" else {}
        grant = _first(form, "grant_type") if endpoint == "token" else None
        parts.counters.record(endpoint, grant)
        fault = parts.faults.take(endpoint, grant)
        if fault is not None:
            return self._fault_reply(fault)
        if endpoint == "authorize":
            flow, cookie = parts.flow(), self.headers.get("Cookie")
            if method == "POST":
                return authorize_post(form, cookie, flow)
            return authorize_get(parse_qs(query, keep_blank_values=True), query, cookie, flow)
        if endpoint == "userinfo":
            return handle_userinfo(
                self.headers.get("Authorization"),
                parts.config,
                parts.state,
                parts.clock,
                parts.issuer,
            )
        if method != "POST":
            return error_reply(400, "invalid_request", "Invalid request: method must be POST")
        if form is _INVALID_BODY:
            return error_reply(400, "invalid_request", "Invalid request: body is not readable")
        limiter = parts.token_limiter if endpoint == "token" else parts.revoke_limiter
        if parts.config.rate_limit and not limiter.allow(self.client_address[0]):
            return rate_limited_reply(endpoint)
        single = {name: values[0] for name, values in form.items() if values}
        if endpoint == "token":
            return handle_token(single, self.headers.get("Authorization"), parts.token_context())
        return handle_revoke(single, parts.config, parts.state)

    def _route_pages(self, method: str, path: str, query: str, body: bytes) -> Reply:
        flow = self.server.parts.flow()
        if path == LOGIN_PATH:
            if method == "POST":
                return login_post(_form(body, self.headers.get("Content-Type", "")), flow)
            return login_get(parse_qs(query), flow)
        if path.startswith(AVATAR_PATH_PREFIX) and method == "GET":
            # Not an OAuth endpoint (Civitai serves avatars from its CDN): not counted, limited
            # or faulted, so steering the OAuth endpoints never breaks a page's picture.
            return handle_avatar(path, self.server.parts.config)
        if path == "/" and method == "GET":
            return json_reply(
                200,
                {
                    "emulator": "Civitai OAuth",
                    "endpoints": {name: path for path, name in ENDPOINT_PATHS.items()},
                },
            )
        return error_reply(404, "not_found", f"No such endpoint on the emulator: {path}")

    def _fault_reply(self, fault: Fault) -> Reply | None:
        if fault.kind == "server_error":
            return error_reply(503, "server_error", "Service temporarily unavailable")
        if fault.kind == "rate_limited":
            return rate_limited_reply(fault.endpoint)
        if fault.kind == "invalid_grant":
            return error_reply(400, "invalid_grant", "Invalid grant: rejected by a test fault")
        if fault.kind == "non_json":
            return html_reply(200, "<!DOCTYPE html><html><body><h1>Bad gateway</h1></body></html>")
        if fault.kind == "timeout":
            self.server.parts.stopping.wait(fault.delay)
        return None  # "drop", and "timeout" once its delay has passed

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(max(length, 0), _MAX_BODY)) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True


# A marker for a body that could not be parsed: the endpoint answers invalid_request.
_INVALID_BODY: dict[str, list[str]] = {}


def _form(body: bytes, content_type: str) -> dict[str, list[str]]:
    """The POST body as form fields: form-encoded as advertised, JSON as Civitai also reads."""
    if content_type.split(";", maxsplit=1)[0].strip().lower() == "application/json":
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return _INVALID_BODY
        if not isinstance(payload, dict):
            return _INVALID_BODY
        return {
            str(name): [value if isinstance(value, str) else json.dumps(value)]
            for name, value in payload.items()
            if value is not None
        }
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return _INVALID_BODY


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None
