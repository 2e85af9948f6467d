"""CivitaiEmulator: start, steer and inspect a local Civitai OAuth server from Python."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from types import TracebackType

from django_civitai_auth.emulator.clock import EmulatorClock
from django_civitai_auth.emulator.config import (
    DEFAULT_USERS,
    SCOPE_SHAPES,
    DemoUser,
    EmulatorConfig,
    RegisteredApp,
    ScopeShape,
)
from django_civitai_auth.emulator.server import EmulatorHTTPServer, EmulatorParts
from django_civitai_auth.emulator.state import IssuedToken, TokenKind, TokenPair
from django_civitai_auth.scopes import Scope


class CivitaiEmulator:
    """A Civitai OAuth server on 127.0.0.1 that follows Civitai's real rules.

    Use it as a context manager or call ``start()`` and ``stop()``. Everything else steers or
    inspects it while it runs: counters, issued tokens, faults, latency, the clock.
    """

    def __init__(
        self,
        apps: Iterable[RegisteredApp] = (),
        users: Iterable[DemoUser] = DEFAULT_USERS,
        *,
        rate_limit: bool = True,
        auto_approve: bool = False,
        access_token_lifetime: float = 3600,
        refresh_token_lifetime: float = 30 * 86400,
        code_lifetime: float = 300,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        config = EmulatorConfig(
            apps={app.client_id: app for app in apps},
            users={user.id: user for user in users},
            access_token_lifetime=access_token_lifetime,
            refresh_token_lifetime=refresh_token_lifetime,
            code_lifetime=code_lifetime,
            rate_limit=rate_limit,
            auto_approve=auto_approve,
        )
        self._parts = EmulatorParts(config)
        self._host, self._port = host, port
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> CivitaiEmulator:
        """Bind (port 0 picks a free port) and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._parts.stopping.clear()
        server = EmulatorHTTPServer((self._host, self._port), self._parts)
        self._server = server
        self._parts.issuer = self.base_url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"civitai-emulator-{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and join the server thread."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._parts.stopping.set()  # wakes handlers sleeping on latency or a timeout fault
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> CivitaiEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``; the endpoints are under ``/api/auth/oauth/``."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    def endpoint(self, name: str) -> str:
        """The full URL of ``authorize``, ``token``, ``userinfo`` or ``revoke``."""
        return f"{self.base_url}/api/auth/oauth/{name}"

    # Configuration and switches

    @property
    def apps(self) -> dict[str, RegisteredApp]:
        return self._parts.config.apps

    @property
    def users(self) -> dict[int, DemoUser]:
        return self._parts.config.users

    @property
    def clock(self) -> EmulatorClock:
        return self._parts.clock

    @property
    def rate_limit(self) -> bool:
        return self._parts.config.rate_limit

    @rate_limit.setter
    def rate_limit(self, value: bool) -> None:
        self._parts.config.rate_limit = bool(value)

    @property
    def auto_approve(self) -> bool:
        return self._parts.config.auto_approve

    @auto_approve.setter
    def auto_approve(self, value: bool) -> None:
        self._parts.config.auto_approve = bool(value)

    @property
    def scope_shape(self) -> ScopeShape:
        return self._parts.config.scope_shape

    @scope_shape.setter
    def scope_shape(self, value: ScopeShape) -> None:
        if value not in SCOPE_SHAPES:
            raise ValueError(f"scope_shape must be one of {SCOPE_SHAPES}")
        self._parts.config.scope_shape = value

    @property
    def latency(self) -> float:
        """Seconds added to every response."""
        return self._parts.config.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self._parts.config.latency = float(seconds)

    # Counters

    def count(self, endpoint: str, grant: str | None = None) -> int:
        """Requests that reached an endpoint (or one grant of /token), rejected ones included."""
        return self._parts.counters.get(endpoint, grant)

    @property
    def counters(self) -> dict[str, int]:
        return self._parts.counters.as_dict()

    def reset_counters(self) -> None:
        self._parts.counters.reset()

    @property
    def errors(self) -> list[str]:
        """Tracebacks of unexpected failures inside the emulator; empty in a healthy run."""
        return list(self._parts.errors)

    # Tokens

    def issued_tokens(
        self, user_id: int | None = None, kind: TokenKind | None = None
    ) -> list[IssuedToken]:
        """Copies of the tokens issued so far, oldest first, with their current state."""
        return self._parts.state.snapshot(user_id, kind)

    def is_token_active(self, value: str) -> bool:
        """True while a token is known, not revoked, not rotated away and not expired."""
        state = self._parts.state
        with state.lock:
            token = state.tokens.get(value)
            return token is not None and token.is_active(self.clock.now())

    def issue_token_pair(
        self,
        user_id: int,
        *,
        client_id: str | None = None,
        scope: int = Scope.UserRead,
        add_user_read: bool = True,
    ) -> TokenPair:
        """Mint tokens as a completed sign-in would, without the browser steps.

        ``add_user_read=False`` makes a token Civitai itself never issues (no UserRead), for
        testing the 403 of /userinfo.
        """
        if user_id not in self.users:
            raise ValueError(f"no demo user with id {user_id}")
        app_id = client_id or next(iter(self.apps), None)
        if app_id is None or app_id not in self.apps:
            raise ValueError("register the app first: no such client_id")
        mask = int(scope) | (int(Scope.UserRead) if add_user_read else 0)
        config, state = self._parts.config, self._parts.state
        with state.lock:
            return state.issue_pair(
                client_id=app_id,
                user_id=user_id,
                scope=mask,
                family=secrets.token_hex(8),
                now=self.clock.now(),
                access_lifetime=config.access_token_lifetime,
                refresh_lifetime=config.refresh_token_lifetime,
            )

    def remove_app(self, user_id: int, client_id: str | None = None) -> None:
        """The user removes the app on civitai.com: all their tokens for it die at once."""
        self._parts.state.remove_app(user_id, client_id)

    # Faults

    def add_fault(
        self,
        endpoint: str,
        kind: str,
        times: int = 1,
        *,
        grant: str | None = None,
        delay: float = 0,
    ) -> None:
        """Make the next ``times`` calls of an endpoint fail.

        Kinds: ``server_error`` (503 JSON), ``rate_limited`` (429 like the real limit),
        ``timeout`` (wait ``delay`` seconds, 5 by default, then close the connection),
        ``drop`` (close the connection with no response), ``non_json`` (200 text/html),
        ``invalid_grant`` (400 invalid_grant). A fault fires before the request is processed,
        so the stored state is untouched: no code spent, no token issued, rotated or revoked.
        ``grant`` limits a token fault to one grant type.
        """
        self._parts.faults.add(endpoint, kind, times, grant=grant, delay=delay)

    def clear_faults(self) -> None:
        self._parts.faults.clear()

    # Browser steps

    def sign_in_and_authorize(
        self,
        authorize_url: str,
        *,
        username: str = "ada",
        approve: bool = True,
        remember: bool = False,
    ) -> str:
        """Drive sign-in and consent over HTTP like a browser; return the final redirect."""
        from django_civitai_auth.emulator.browser import drive_authorization

        return drive_authorization(
            authorize_url, username=username, approve=approve, remember=remember
        )
