"""Placeholder so settings load; the sign-in work replaces it."""

from __future__ import annotations

from social_core.backends.oauth import BaseOAuth2PKCE


class CivitaiOAuth2(BaseOAuth2PKCE):  # type: ignore[misc]
    name = "civitai"
