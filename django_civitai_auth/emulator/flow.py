"""The browser side of /authorize: sign-in session, consent and the redirect with a code."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django_civitai_auth.emulator.authorize import (
    AuthorizationRequest,
    AuthorizeError,
    approved_location,
    denied_location,
    parse_authorization_request,
)
from django_civitai_auth.emulator.clock import EmulatorClock
from django_civitai_auth.emulator.config import DemoUser, EmulatorConfig
from django_civitai_auth.emulator.pages import LOGIN_PATH, consent_page, sign_in_page
from django_civitai_auth.emulator.ratelimit import SlidingWindowLimiter
from django_civitai_auth.emulator.replies import (
    Reply,
    error_reply,
    html_reply,
    rate_limited_reply,
    redirect_reply,
)
from django_civitai_auth.emulator.state import AuthorizationCode, EmulatorState, new_code

AUTHORIZE_PATH = "/api/auth/oauth/authorize"
SESSION_COOKIE = "civitai_emulator_session"


@dataclass(frozen=True)
class FlowContext:
    config: EmulatorConfig
    state: EmulatorState
    clock: EmulatorClock
    limiter: SlidingWindowLimiter


def session_user(cookie_header: str | None, context: FlowContext) -> DemoUser | None:
    """The demo user signed in by this browser's cookie, if any."""
    if not cookie_header:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(cookie_header)
    except Exception:  # a malformed Cookie header just means "not signed in"
        return None
    morsel = cookie.get(SESSION_COOKIE)
    if morsel is None:
        return None
    with context.state.lock:
        user_id = context.state.sessions.get(morsel.value)
    return context.config.users.get(user_id) if user_id is not None else None


def _error_page(error: AuthorizeError) -> Reply:
    return error_reply(400, error.error, error.description)


def authorize_get(
    params: Mapping[str, Sequence[str]], raw_query: str, cookie: str | None, context: FlowContext
) -> Reply:
    """Validate, then sign-in page, consent page or straight back to the client."""
    try:
        request = parse_authorization_request(params, context.config)
    except AuthorizeError as error:
        return _error_page(error)
    user = session_user(cookie, context)
    if user is None and context.config.auto_approve:
        user = context.config.first_user()
    sign_in_url = f"{LOGIN_PATH}?{urlencode({'returnUrl': f'{AUTHORIZE_PATH}?{raw_query}'})}"
    if user is None:
        return redirect_reply(sign_in_url)
    if context.config.rate_limit and not context.limiter.allow(f"user:{user.id}"):
        return rate_limited_reply("authorize")
    if context.config.auto_approve or _remembered(user, request, context):
        return redirect_reply(approved_location(request, _issue_code(user, request, context)))
    page = consent_page(
        request.app,
        user,
        request.scope,
        request.params,
        action=AUTHORIZE_PATH,
        switch_account_url=sign_in_url,
    )
    return html_reply(200, page)


def authorize_post(
    form: Mapping[str, Sequence[str]], cookie: str | None, context: FlowContext
) -> Reply:
    """The consent form: ``decision`` is approve or deny; ``remember`` is 1 or absent."""
    try:
        request = parse_authorization_request(form, context.config)
    except AuthorizeError as error:
        return _error_page(error)
    user = session_user(cookie, context)
    if user is None:
        return error_reply(400, "invalid_request", "Sign in before answering the consent page")
    decision = (form.get("decision") or [""])[0]
    if decision == "deny":
        return redirect_reply(denied_location(request))
    if decision != "approve":
        return error_reply(400, "invalid_request", "Missing parameter: `decision`")
    if (form.get("remember") or [""])[0]:
        with context.state.lock:
            key = (user.id, request.app.client_id)
            context.state.consents[key] = context.state.consents.get(key, 0) | request.scope
    return redirect_reply(approved_location(request, _issue_code(user, request, context)))


def _remembered(user: DemoUser, request: AuthorizationRequest, context: FlowContext) -> bool:
    with context.state.lock:
        remembered = context.state.consents.get((user.id, request.app.client_id), 0)
    return (request.scope & ~remembered) == 0


def _issue_code(user: DemoUser, request: AuthorizationRequest, context: FlowContext) -> str:
    record = AuthorizationCode(
        value=new_code(),
        client_id=request.app.client_id,
        user_id=user.id,
        scope=request.scope,
        redirect_uri=request.redirect_uri,
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        expires_at=context.clock.now() + context.config.code_lifetime,
    )
    with context.state.lock:
        context.state.codes[record.value] = record
    return record.value


def login_get(params: Mapping[str, Sequence[str]], context: FlowContext) -> Reply:
    return_url = _safe_return_url((params.get("returnUrl") or ["/"])[0])
    return html_reply(200, sign_in_page(context.config.users.values(), return_url))


def login_post(form: Mapping[str, Sequence[str]], context: FlowContext) -> Reply:
    """Sign in as the chosen demo user (``user_id``) and go back to ``return_url``."""
    raw_id = (form.get("user_id") or [""])[0]
    user = context.config.users.get(int(raw_id)) if raw_id.isdigit() else None
    if user is None:
        return error_reply(400, "invalid_request", "Choose one of the demo users")
    session = secrets.token_urlsafe(24)
    with context.state.lock:
        context.state.sessions[session] = user.id
    cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
    return_url = _safe_return_url((form.get("return_url") or ["/"])[0])
    return redirect_reply(return_url, [("Set-Cookie", cookie)])


def _safe_return_url(url: str) -> str:
    # Only paths on the emulator itself: the sign-in page must not become an open redirect.
    # Browsers read a backslash as a slash, so "/\\evil.example" is "//evil.example" to them.
    on_this_host = url.startswith("/") and not url.startswith("//") and "\\" not in url
    return url if on_this_host else "/"
