"""Reading Civitai's token-endpoint answers, for sign-in and refresh alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from django_civitai_auth.exceptions import CivitaiUnavailable
from django_civitai_auth.scopes import Scope, ScopeError, parse_granted_scope

# Civitai's documented access-token lifetime, used only if an answer omits expires_in.
DEFAULT_EXPIRES_IN = 3600


class MalformedTokenResponse(CivitaiUnavailable):
    """Civitai's answer is not a token response; the stored tokens stay as they were."""


@dataclass(frozen=True, repr=False)
class TokenGrant:
    """The tokens one token-endpoint answer carries, with an absolute expiry."""

    access_token: str
    refresh_token: str | None
    expires_at: dt.datetime
    scope: Scope | None

    def __repr__(self) -> str:
        return f"<TokenGrant expires_at={self.expires_at.isoformat()} scope={self.scope!r}>"


def parse_token_response(data: Mapping[str, Any], *, now: dt.datetime | None = None) -> TokenGrant:
    """Validate a token response; raise MalformedTokenResponse for anything unusable.

    ``scope`` may be a decimal string, a one-element array of one, or a number: Civitai has been
    seen sending each. A response without a refresh token yields ``refresh_token=None`` so that
    callers keep the one they have.
    """
    if not isinstance(data, Mapping):
        raise MalformedTokenResponse("Civitai's token answer is not a JSON object.")
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise MalformedTokenResponse("Civitai's token answer has no access_token.")
    refresh_token = data.get("refresh_token")
    if refresh_token is not None and (not isinstance(refresh_token, str) or not refresh_token):
        raise MalformedTokenResponse("Civitai's token answer has an unusable refresh_token.")
    expires_in = data.get("expires_in", DEFAULT_EXPIRES_IN)
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        raise MalformedTokenResponse(
            "Civitai's token answer has a non-numeric expires_in."
        ) from None
    scope: Scope | None = None
    if data.get("scope") is not None:
        try:
            scope = parse_granted_scope(data["scope"])
        except ScopeError as error:
            raise MalformedTokenResponse(str(error)) from None
    moment = now or timezone.now()
    return TokenGrant(
        access_token=access_token,
        refresh_token=refresh_token or None,
        expires_at=moment + dt.timedelta(seconds=seconds),
        scope=scope,
    )
