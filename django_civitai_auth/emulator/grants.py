"""POST /token: client authentication and the authorization_code and refresh_token grants."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from django_civitai_auth.emulator.clock import EmulatorClock
from django_civitai_auth.emulator.config import EmulatorConfig, RegisteredApp
from django_civitai_auth.emulator.idtoken import make_id_token
from django_civitai_auth.emulator.replies import Reply, error_reply, json_reply
from django_civitai_auth.emulator.state import EmulatorState, TokenPair

GRANT_TYPES = ("authorization_code", "refresh_token")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True)
class TokenContext:
    config: EmulatorConfig
    state: EmulatorState
    clock: EmulatorClock
    issuer: str


class _TokenError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.reply = error_reply(status, error, description)


def handle_token(
    form: Mapping[str, str], authorization: str | None, context: TokenContext
) -> Reply:
    """Answer one token request as Civitai does."""
    try:
        app = _authenticate_client(form, authorization, context.config)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise _TokenError("invalid_request", "Missing parameter: `grant_type`")
        if grant_type == "authorization_code":
            return _exchange_code(form, app, context)
        if grant_type == "refresh_token":
            return _refresh(form, app, context)
        raise _TokenError(
            "unsupported_grant_type", "Unsupported grant type: `grant_type` is invalid"
        )
    except _TokenError as failure:
        return failure.reply


def _authenticate_client(
    form: Mapping[str, str], authorization: str | None, config: EmulatorConfig
) -> RegisteredApp:
    """Client credentials from HTTP Basic (a failure is 401) or else from the body (400)."""
    basic = authorization is not None and authorization[:6].lower() == "basic "
    if basic and authorization is not None:
        client_id, client_secret = _decode_basic(authorization[6:])
    else:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    status = 401 if basic else 400
    if not client_id:
        raise _TokenError("invalid_request", "Missing parameter: `client_id`")
    app = config.apps.get(client_id)
    if app is None:
        raise _TokenError("invalid_client", "Invalid client: client is invalid", status)
    if app.client_secret and not hmac.compare_digest(
        client_secret.encode(), app.client_secret.encode()
    ):
        raise _TokenError(
            "invalid_client", "Invalid client: client credentials are invalid", status
        )
    return app


def _decode_basic(encoded: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _TokenError("invalid_client", "Invalid client: cannot read Basic auth", 401) from None
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise _TokenError("invalid_client", "Invalid client: cannot read Basic auth", 401)
    # RFC 6749 2.3.1: both halves are form-urlencoded before base64.
    return unquote(client_id.replace("+", " ")), unquote(client_secret.replace("+", " "))


def _exchange_code(form: Mapping[str, str], app: RegisteredApp, context: TokenContext) -> Reply:
    code = form.get("code")
    if not code:
        raise _TokenError("invalid_request", "Missing parameter: `code`")
    state, now = context.state, context.clock.now()
    with state.lock:
        # Civitai spends the code as it reads it: any failure below still burns it.
        record = state.codes.pop(code, None)
        if record is None or record.client_id != app.client_id:
            raise _TokenError("invalid_grant", "Invalid grant: authorization code is invalid")
        if now >= record.expires_at:
            raise _TokenError("invalid_grant", "Invalid grant: authorization code has expired")
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise _TokenError("invalid_request", "Missing parameter: `code_verifier`")
        if not _VERIFIER.fullmatch(verifier):
            raise _TokenError("invalid_request", "Invalid parameter: `code_verifier`")
        if not hmac.compare_digest(_s256(verifier), record.code_challenge):
            raise _TokenError("invalid_grant", "Invalid grant: code verifier is invalid")
        if form.get("redirect_uri") != record.redirect_uri:
            raise _TokenError("invalid_request", "Invalid request: `redirect_uri` is invalid")
        pair = _issue(
            state,
            client_id=app.client_id,
            user_id=record.user_id,
            scope=record.scope,
            family=None,
            context=context,
            now=now,
        )
    body = _token_body(pair, context)
    user = context.config.users.get(record.user_id)
    if record.nonce and user is not None:
        body["id_token"] = make_id_token(
            issuer=context.issuer,
            app=app,
            user=user,
            nonce=record.nonce,
            now=now,
            lifetime=context.config.access_token_lifetime,
        )
    return json_reply(200, body)


def _refresh(form: Mapping[str, str], app: RegisteredApp, context: TokenContext) -> Reply:
    value = form.get("refresh_token")
    if not value:
        raise _TokenError("invalid_request", "Missing parameter: `refresh_token`")
    state, now = context.state, context.clock.now()
    with state.lock:
        old = state.tokens.get(value)
        if old is None or old.kind != "refresh" or old.revoked or old.rotated:
            raise _TokenError("invalid_grant", "Invalid grant: refresh token is invalid")
        if old.client_id != app.client_id:
            raise _TokenError("invalid_grant", "Invalid grant: refresh token is invalid")
        if now >= old.expires_at:
            raise _TokenError("invalid_grant", "Invalid grant: refresh token has expired")
        # Rotation: the old refresh token dies; access tokens issued earlier live on.
        # A `scope` parameter is ignored: the new pair has the grant's scope.
        old.rotated = True
        pair = _issue(
            state,
            client_id=app.client_id,
            user_id=old.user_id,
            scope=old.scope,
            family=old.family,
            context=context,
            now=now,
        )
    return json_reply(200, _token_body(pair, context))


def _issue(
    state: EmulatorState,
    *,
    client_id: str,
    user_id: int,
    scope: int,
    family: str | None,
    context: TokenContext,
    now: float,
) -> TokenPair:
    return state.issue_pair(
        client_id=client_id,
        user_id=user_id,
        scope=scope,
        family=family or secrets.token_hex(8),
        now=now,
        access_lifetime=context.config.access_token_lifetime,
        refresh_lifetime=context.config.refresh_token_lifetime,
    )


def _token_body(pair: TokenPair, context: TokenContext) -> dict[str, object]:
    return {
        "access_token": pair.access.value,
        "token_type": "Bearer",
        "expires_in": round(pair.access.expires_at - pair.access.issued_at),
        "refresh_token": pair.refresh.value,
        "scope": shape_scope(pair.access.scope, context.config.scope_shape),
    }


def shape_scope(scope: int, shape: str) -> object:
    """``scope`` as Civitai has been seen to send it: string, one-element array or number."""
    if shape == "array":
        return [str(scope)]
    if shape == "number":
        return scope
    return str(scope)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
