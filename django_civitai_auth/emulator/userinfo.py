"""GET /userinfo: the signed-in user's profile, for an access token holding UserRead."""

from __future__ import annotations

from django_civitai_auth.emulator.avatars import avatar_path
from django_civitai_auth.emulator.clock import EmulatorClock
from django_civitai_auth.emulator.config import DemoUser, EmulatorConfig
from django_civitai_auth.emulator.replies import Reply, error_reply, json_reply
from django_civitai_auth.emulator.state import EmulatorState
from django_civitai_auth.scopes import Scope


def handle_userinfo(
    authorization: str | None,
    config: EmulatorConfig,
    state: EmulatorState,
    clock: EmulatorClock,
    base_url: str,
) -> Reply:
    # The prefix is matched exactly, as Civitai does: "bearer x" or "Bearer  x" is refused.
    if not authorization or not authorization.startswith("Bearer "):
        return error_reply(401, "invalid_token", "Missing or malformed Bearer token")
    value = authorization[len("Bearer ") :]
    with state.lock:
        token = state.tokens.get(value)
        active = token is not None and token.kind == "access" and token.is_active(clock.now())
        user = config.users.get(token.user_id) if token is not None else None
    if token is None or not active or user is None:
        return error_reply(401, "invalid_token", "The access token is invalid or has expired")
    if not token.scope & Scope.UserRead:
        return error_reply(403, "insufficient_scope", "The access token lacks the UserRead scope")
    return json_reply(200, profile(user, base_url))


def image_url(user: DemoUser, base_url: str) -> str | None:
    """The avatar URL userinfo reports: the user's own, or the one this emulator serves."""
    if user.local_avatar:
        return base_url + avatar_path(user.id)
    return user.image or None


def profile(user: DemoUser, base_url: str) -> dict[str, object]:
    """Civitai's userinfo fields; values the account does not have are left out."""
    image = image_url(user, base_url)
    body: dict[str, object] = {
        "sub": str(user.id),
        "id": user.id,
        "username": user.username,
        "preferred_username": user.username,
        "name": user.username,
    }
    if image:
        body["picture"] = image
    # `image` is the one field Civitai sends as null rather than leaving it out.
    body["image"] = image
    body["roles"] = list(user.roles)
    body["isModerator"] = user.is_moderator
    if user.tier:
        body["tier"] = user.tier
    if user.email:
        body["email"] = user.email
        body["email_verified"] = user.email_verified
    return body
