"""Every setting the package reads, with its default.

Settings are read on each access, so ``override_settings`` works without reload hooks.
The ``SOCIAL_AUTH_CIVITAI_*`` names are python-social-auth's own convention for the backend
named ``civitai``; the ``CIVITAI_AUTH_*`` names belong to this package.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_BASE_URL = "https://civitai.com"
BACKEND_PATH = "django_civitai_auth.backends.CivitaiOAuth2"


class CivitaiSettings:
    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, name, default)

    @property
    def key(self) -> str | None:
        """The app's client id (SOCIAL_AUTH_CIVITAI_KEY)."""
        value = self._get("SOCIAL_AUTH_CIVITAI_KEY", None)
        return str(value) if value else None

    @property
    def secret(self) -> str | None:
        """The client secret; None for a public app, which then sends no secret anywhere."""
        value = self._get("SOCIAL_AUTH_CIVITAI_SECRET", None)
        return str(value) if value else None

    @property
    def is_public_client(self) -> bool:
        return self.secret is None

    @property
    def scope(self) -> Any:
        """The raw SOCIAL_AUTH_CIVITAI_SCOPE setting; parse it with scopes.parse_scope."""
        return self._get("SOCIAL_AUTH_CIVITAI_SCOPE", "UserRead")

    @property
    def base_url(self) -> str:
        """Where Civitai's OAuth endpoints live: civitai.com, auth.civitai.com or an emulator."""
        return str(self._get("SOCIAL_AUTH_CIVITAI_BASE_URL", DEFAULT_BASE_URL)).rstrip("/")

    @property
    def api_base_url(self) -> str:
        """Where civitai_session resolves relative API paths (CIVITAI_AUTH_API_BASE_URL).

        Civitai's API lives on civitai.com whichever host serves OAuth, so pointing the OAuth
        base at auth.civitai.com leaves the API on civitai.com; any other base URL (an emulator,
        a proxy) is taken to serve both.
        """
        value = self._get("CIVITAI_AUTH_API_BASE_URL", None)
        if value:
            return str(value).rstrip("/")
        if urlsplit(self.base_url).hostname == "auth.civitai.com":
            return DEFAULT_BASE_URL
        return self.base_url

    @property
    def encryption_keys(self) -> list[str] | None:
        """Fernet keys, newest first; None means derive one from SECRET_KEY (dev only)."""
        keys = self._get("CIVITAI_AUTH_ENCRYPTION_KEYS", None)
        if keys is None:
            return None
        if isinstance(keys, str):
            return [keys]
        return [str(key) for key in keys]

    @property
    def refresh_leeway(self) -> float:
        """Seconds before expiry at which get_access_token refreshes ahead of time."""
        return float(self._get("CIVITAI_AUTH_REFRESH_LEEWAY", 300))

    @property
    def http_timeout(self) -> float:
        """Seconds to wait for Civitai before the call counts as a transient failure."""
        return float(self._get("CIVITAI_AUTH_HTTP_TIMEOUT", 10))

    @property
    def refresh_wait_timeout(self) -> float:
        """Seconds a caller waits for another process's refresh of the same token."""
        return float(self._get("CIVITAI_AUTH_REFRESH_WAIT_TIMEOUT", 30))

    @property
    def revoke_on_logout(self) -> bool:
        return bool(self._get("CIVITAI_AUTH_REVOKE_ON_LOGOUT", True))

    @property
    def rate_budget_per_minute(self) -> float:
        """Token-endpoint calls a minute the refresh command allows itself (Civitai's 20/IP)."""
        return float(self._get("CIVITAI_AUTH_RATE_BUDGET", 20))

    def endpoint(self, name: str) -> str:
        """The URL of one OAuth endpoint: authorize, token, userinfo or revoke."""
        return f"{self.base_url}/api/auth/oauth/{name}"


civitai_settings = CivitaiSettings()
