"""What the profile page shows about a signed-in user: read from the database, never a token."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from social_django.models import UserSocialAuth

from django_civitai_auth.models import CivitaiToken
from django_civitai_auth.scopes import Scope

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class GrantedScope:
    name: str
    label: str


@dataclass(frozen=True)
class TokenSummary:
    """The parts of a CivitaiToken a person may see: status and expiry, not the secrets."""

    status: str
    status_label: str
    is_active: bool
    expires_at: dt.datetime
    is_expired: bool
    scopes: list[GrantedScope]


@dataclass(frozen=True)
class CivitaiProfile:
    username: str
    civitai_id: str
    avatar_url: str | None
    initials: str
    token: TokenSummary | None


def avatar_url(url: object, *, allow_remote: bool) -> str | None:
    """The avatar to put in an <img>, or None to show initials instead.

    The emulator's demo avatars live on a remote host; the demo must neither depend on the
    network nor leak the visitor's address, so only data: URIs and loopback URLs are shown
    unless the site talks to the real Civitai.
    """
    if not isinstance(url, str) or not url:
        return None
    if url.startswith("data:image/"):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    if parts.hostname in LOOPBACK_HOSTS:
        return url
    return url if allow_remote and parts.scheme == "https" else None


def initials(username: str) -> str:
    return (username[:2] or "?").upper()


def granted_scopes(mask: int) -> list[GrantedScope]:
    return [
        GrantedScope(name=single.name or str(int(single)), label=single.label)
        for single in Scope.single_scopes()
        if single & mask
    ]


def summarize_token(token: CivitaiToken) -> TokenSummary:
    return TokenSummary(
        status=token.status,
        status_label=token.get_status_display(),
        is_active=token.is_active,
        expires_at=token.expires_at,
        is_expired=token.is_expired(),
        scopes=granted_scopes(token.scope),
    )


def civitai_profile(user: AbstractBaseUser, last_userinfo: dict[str, Any] | None) -> CivitaiProfile:
    """The signed-in user's Civitai identity and token state, for the profile page."""
    social = UserSocialAuth.objects.filter(user_id=user.pk, provider="civitai").first()
    extra: dict[str, Any] = dict(social.extra_data or {}) if social else {}
    # A fresh answer from "Call the Civitai API" wins over what sign-in stored.
    info = last_userinfo or {}
    username = str(info.get("username") or extra.get("username") or user.get_username())
    image = info.get("image") or info.get("picture") or extra.get("avatar")
    token = CivitaiToken.objects.filter(user_id=user.pk).order_by("-updated_at").first()
    return CivitaiProfile(
        username=username,
        civitai_id=social.uid if social else "",
        avatar_url=avatar_url(
            image, allow_remote=bool(getattr(settings, "EXAMPLE_ALLOW_REMOTE_AVATARS", False))
        ),
        initials=initials(username),
        token=summarize_token(token) if token else None,
    )
