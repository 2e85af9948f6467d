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


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased, as a Content-Security-Policy compares it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def avatar_url(url: object, *, allow_remote: bool, emulator_url: str = "") -> str | None:
    """The avatar to put in an <img>, or None to show initials instead.

    The demo must neither depend on the network nor leak the visitor's address, so offline it
    shows only data: URIs and the emulator's own avatars (a loopback URL on the emulator's
    origin: the one origin besides this site that csp.py lets images come from; an avatar saved
    by an emulator that ran on another port would be blocked, and show as a broken image).
    Remote HTTPS avatars only when the site talks to the real Civitai.
    """
    if not isinstance(url, str) or not url:
        return None
    if url.startswith("data:image/"):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    if parts.hostname in LOOPBACK_HOSTS:
        return url if emulator_url and origin_of(url) == origin_of(emulator_url) else None
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
            image,
            allow_remote=bool(getattr(settings, "EXAMPLE_ALLOW_REMOTE_AVATARS", False)),
            emulator_url=str(getattr(settings, "CIVITAI_EMULATOR_URL", "")),
        ),
        initials=initials(username),
        token=summarize_token(token) if token else None,
    )
