"""Helpers for the token-lifecycle tests: real emulator tokens in CivitaiToken rows.

Tokens come from the emulator's ``issue_token_pair`` (what a completed sign-in mints) and are
written straight into a CivitaiToken row, so a test can start from any state (expired, several
accounts, thousands of users) without driving the browser flow each time.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from social_django.models import UserSocialAuth

from django_civitai_auth.models import CivitaiToken

if TYPE_CHECKING:
    from django_civitai_auth.emulator import CivitaiEmulator

ADA = 12345


def token_for(
    emulator: CivitaiEmulator,
    *,
    civitai_user_id: int = ADA,
    user: Any = None,
    username: str | None = None,
    expires_in: float = 3600,
) -> CivitaiToken:
    """A Django user (created unless given) linked to a Civitai account with live tokens."""
    pair = emulator.issue_token_pair(civitai_user_id)
    if user is None:
        name = username or emulator.users[civitai_user_id].username
        user = get_user_model().objects.create_user(
            username=name, email=f"{name}@example.com", password="x"
        )
    social = UserSocialAuth.objects.create(
        user=user, provider="civitai", uid=str(civitai_user_id), extra_data={}
    )
    return CivitaiToken.objects.create(
        user=user,
        social_auth=social,
        access_token=pair.access.value,
        refresh_token=pair.refresh.value,
        expires_at=timezone.now() + dt.timedelta(seconds=expires_in),
        refresh_token_issued_at=timezone.now(),
        scope=pair.access.scope,
    )


def expire(token: CivitaiToken, seconds_ago: float = 1) -> None:
    """Make the stored access token look expired to the site (Civitai still knows it)."""
    CivitaiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=seconds_ago)
    )
    token.refresh_from_db()


def age_refresh_token(token: CivitaiToken, days: float | None, *, dead_for: float = 0) -> None:
    """Make the stored refresh token ``days`` old (None: age unknown), as an idle user's is.

    ``dead_for`` > 0 also makes the access token look expired that many seconds ago.
    """
    now = timezone.now()
    changes: dict[str, Any] = {
        "refresh_token_issued_at": None if days is None else now - dt.timedelta(days=days)
    }
    if dead_for:
        changes["expires_at"] = now - dt.timedelta(seconds=dead_for)
    CivitaiToken.objects.filter(pk=token.pk).update(**changes)
    token.refresh_from_db()


def stored_pair(token: CivitaiToken) -> tuple[str, str, str | None, str | None]:
    """(access, refresh) plaintext and their raw ciphertexts, read fresh from the database."""
    row = CivitaiToken.objects.get(pk=token.pk)
    return (
        row.access_token,
        row.refresh_token,
        row.__dict__.get("access_token"),
        row.__dict__.get("refresh_token"),
    )


def live_tokens(emulator: CivitaiEmulator, civitai_user_id: int = ADA) -> list[str]:
    """The kinds of the tokens Civitai would still accept for this account (none is the goal)."""
    return [
        token.kind
        for token in emulator.issued_tokens(civitai_user_id)
        if emulator.is_token_active(token.value)
    ]
