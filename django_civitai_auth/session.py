"""``civitai_session(user)``: a requests.Session that calls Civitai's API as the user.

The bearer token is fetched with ``get_access_token`` for every request (so it is refreshed
ahead of expiry) and is sent only to Civitai: the origins of CIVITAI_AUTH_API_BASE_URL and
SOCIAL_AUTH_CIVITAI_BASE_URL, never another host, scheme or port, including on redirects.
Relative paths resolve against the API base URL. A 401 triggers one forced refresh and one
retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables
from requests.auth import AuthBase

from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.tokens import get_access_token

if TYPE_CHECKING:
    from django_civitai_auth.tokens import UserLike

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of ``url``, with default ports made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


class _CivitaiBearer(AuthBase):
    """Adds the user's current access token, but only to requests bound for Civitai."""

    def __init__(self, session: CivitaiSession) -> None:
        self._session = session

    @sensitive_variables()
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.url and self._session.is_civitai(request.url):
            token = get_access_token(self._session.user)
            if token == self._session.refused_token:
                # Civitai refused this very token: rotate now, unless another caller already
                # has since the 401 (then the stored token is newer and one rotation is enough).
                token = get_access_token(self._session.user, force_refresh=True)
            self._session.refused_token = None
            request.headers["Authorization"] = f"Bearer {token}"
        else:
            request.headers.pop("Authorization", None)
        return request


class CivitaiSession(requests.Session):
    """A session whose requests to Civitai carry the user's bearer token."""

    def __init__(self, user: UserLike) -> None:
        super().__init__()
        self.user = user
        self.base_url = civitai_settings.api_base_url
        self._civitai_origins = {origin(self.base_url), origin(civitai_settings.base_url)}
        # The access token Civitai just answered 401 to, until the retry has been prepared.
        self.refused_token: str | None = None
        self.auth = _CivitaiBearer(self)
        # No ~/.netrc or proxy environment: credentials come from us alone.
        self.trust_env = False

    def is_civitai(self, url: str) -> bool:
        return origin(url) in self._civitai_origins

    # The frames below (requests, urllib3, http.client) hold the bearer header under names we
    # do not control and inherit this list: every local is hidden from error reports.
    @sensitive_variables()
    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request; relative URLs are resolved against the Civitai base URL."""
        text_url = url.decode() if isinstance(url, bytes) else url
        if text_url.startswith("/"):
            text_url = urljoin(self.base_url + "/", text_url.lstrip("/"))
        response = super().request(method, text_url, *args, **kwargs)
        if (
            response.status_code == 401
            and self.is_civitai(response.url or text_url)
            and _replayable(kwargs)
        ):
            response.close()
            sent = response.request.headers.get("Authorization", "")
            self.refused_token = sent.removeprefix("Bearer ") or None
            response = super().request(method, text_url, *args, **kwargs)
        return response

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """On a redirect, keep the bearer token only while the target is still Civitai."""
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        if not (prepared_request.url and self.is_civitai(prepared_request.url)):
            prepared_request.headers.pop("Authorization", None)


def _replayable(kwargs: dict[str, Any]) -> bool:
    """Whether the request body can be sent a second time (not a stream or open file)."""
    for name in ("data", "files"):
        body = kwargs.get(name)
        if body is not None and not isinstance(body, str | bytes | dict | list | tuple):
            return False
    return True


def civitai_session(user: UserLike) -> CivitaiSession:
    """A requests.Session for Civitai's API as ``user``; close it (or use ``with``) when done."""
    return CivitaiSession(user)
