"""Validating an authorization request and building the redirects back to the client."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlencode, urlsplit

from django_civitai_auth.emulator.config import EmulatorConfig, RegisteredApp
from django_civitai_auth.scopes import MAX_SCOPE_MASK, Scope

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


class AuthorizeError(Exception):
    """An error shown to the user as a 400 JSON page, never redirected to the client."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    app: RegisteredApp
    redirect_uri: str
    scope: int  # as granted: the requested mask with UserRead added
    state: str
    code_challenge: str
    nonce: str | None
    params: dict[str, str]  # the request as sent, carried through sign-in and consent


def _single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def parse_authorization_request(
    params: Mapping[str, Sequence[str]], config: EmulatorConfig
) -> AuthorizationRequest:
    """Check every rule /authorize enforces before consent; raise AuthorizeError on the first."""
    client_id = _single(params, "client_id")
    if not client_id:
        raise AuthorizeError("invalid_request", "Missing parameter: `client_id`")
    app = config.apps.get(client_id)
    if app is None:
        raise AuthorizeError("invalid_client", "Invalid client: client is invalid")
    redirect_uri = _single(params, "redirect_uri")
    if not redirect_uri:
        raise AuthorizeError("invalid_request", "Missing parameter: `redirect_uri`")
    if not any(redirect_uri_matches(redirect_uri, uri) for uri in app.redirect_uris):
        raise AuthorizeError(
            "invalid_client", "Invalid client: `redirect_uri` does not match client value"
        )
    response_type = _single(params, "response_type")
    if not response_type:
        raise AuthorizeError("invalid_request", "Missing parameter: `response_type`")
    if response_type != "code":
        raise AuthorizeError(
            "unsupported_response_type", "Unsupported response type: `response_type` is not code"
        )
    state = _single(params, "state")
    if not state:
        raise AuthorizeError("invalid_request", "Missing parameter: `state`")
    if not _PRINTABLE_ASCII.fullmatch(state):
        raise AuthorizeError("invalid_request", "Invalid parameter: `state`")
    scope = _parse_scope(params.get("scope", []), app)
    code_challenge = _single(params, "code_challenge")
    if not code_challenge:
        raise AuthorizeError("invalid_request", "Missing parameter: `code_challenge`")
    if not _PKCE_VALUE.fullmatch(code_challenge):
        raise AuthorizeError("invalid_request", "Invalid parameter: `code_challenge`")
    method = _single(params, "code_challenge_method")
    if method != "S256":
        raise AuthorizeError(
            "invalid_request", "Invalid parameter: `code_challenge_method` must be S256"
        )
    return AuthorizationRequest(
        app=app,
        redirect_uri=redirect_uri,
        scope=scope | int(Scope.UserRead),
        state=state,
        code_challenge=code_challenge,
        nonce=_single(params, "nonce") or None,
        params={name: values[0] for name in AUTHORIZE_PARAMS if (values := params.get(name))},
    )


def _parse_scope(values: Sequence[str], app: RegisteredApp) -> int:
    if len(values) != 1 or not values[0].isascii() or not values[0].isdigit():
        raise AuthorizeError(
            "invalid_scope",
            f"Invalid scope: `scope` must be one decimal integer 0..{MAX_SCOPE_MASK}",
        )
    mask = int(values[0])
    if mask > MAX_SCOPE_MASK:
        raise AuthorizeError("invalid_scope", f"Invalid scope: {mask} is above {MAX_SCOPE_MASK}")
    if mask & ~int(app.allowed_scopes):
        raise AuthorizeError(
            "invalid_scope", "Invalid scope: requested scope is not allowed for this app"
        )
    return mask


def redirect_uri_matches(requested: str, registered: str) -> bool:
    """Exact match, except that a loopback redirect URI matches on any port."""
    if requested == registered:
        return True
    try:
        asked, known = urlsplit(requested), urlsplit(registered)
        asked_port, known_port = asked.port, known.port  # raise on a malformed port
    except ValueError:
        return False
    del asked_port, known_port
    return known.hostname in _LOOPBACK_HOSTS and _without_port(asked) == _without_port(known)


def _without_port(url: SplitResult) -> tuple[str, str | None, str | None, str, str, str]:
    return (url.scheme, url.username, url.hostname, url.path, url.query, url.fragment)


def with_query(uri: str, params: Mapping[str, str]) -> str:
    """Add parameters to a redirect URI, keeping the query it already has."""
    separator = "&" if "?" in uri else "?"
    return uri + separator + urlencode(params)


def approved_location(request: AuthorizationRequest, code: str) -> str:
    return with_query(request.redirect_uri, {"code": code, "state": request.state})


def denied_location(request: AuthorizationRequest) -> str:
    return with_query(
        request.redirect_uri,
        {
            "error": "access_denied",
            "error_description": "Access denied: user denied access to application",
            "state": request.state,
        },
    )
