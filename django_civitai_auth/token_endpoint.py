"""Calls to Civitai's token and revoke endpoints through the social-core backend.

Every failure is sorted into one of three outcomes the lifecycle code acts on:
``InvalidGrant`` (only a new sign-in helps), ``CivitaiRateLimited`` (a 429: try later, slower)
and ``CivitaiUnavailable`` (anything else transient, the stored pair stays as it was).
A token never appears in an exception message raised from here.
"""

from __future__ import annotations

from typing import Any

import requests
from django.views.decorators.debug import sensitive_variables
from social_core.exceptions import (
    AuthConfigurationError,
    AuthCredentialError,
    SocialAuthBaseException,
)

from django_civitai_auth.exceptions import CivitaiUnavailable
from django_civitai_auth.token_response import TokenGrant, parse_token_response

# Provider error codes that mean "this refresh token is dead": the user must sign in again.
_DEAD_GRANT_CODES = frozenset({"invalid_grant", "invalid_token", "bad_refresh_token"})
# Provider error codes that mean this site's client registration is wrong: not the user's fault.
_CLIENT_CODES = frozenset(
    {"invalid_client", "unauthorized_client", "invalid_request", "unsupported_grant_type"}
)


class InvalidGrant(Exception):
    """Civitai refused the refresh token; raised only inside the lifecycle code."""


class CivitaiRateLimited(CivitaiUnavailable):
    """Civitai answered 429: the token endpoint's budget (20 a minute per IP) is spent."""


def load_backend() -> Any:
    """A CivitaiOAuth2 backend with a fresh Django strategy; built only when a call is due."""
    from social_django.utils import load_strategy

    from django_civitai_auth.backends import CivitaiOAuth2

    return CivitaiOAuth2(load_strategy())  # type: ignore[no-untyped-call]


# Every local is hidden from error reports, also in social-core's and requests' frames below.
@sensitive_variables()
def refresh_grant(refresh_token: str, *, backend: Any = None) -> TokenGrant:
    """Spend ``refresh_token`` at Civitai and return the new pair; raises as described above."""
    backend = backend or load_backend()
    try:
        data = backend.refresh_token(refresh_token)
    except Exception as error:
        raise classify_error(error) from None
    return parse_token_response(data)


def classify_error(error: BaseException) -> Exception:
    """The lifecycle exception for a failure of the backend's token-endpoint call."""
    status, code = _status_and_code(error)
    if code in _DEAD_GRANT_CODES or _is_reauth(error):
        return InvalidGrant(code or "invalid_grant")
    if status == 429 or code == "rate_limited":
        return CivitaiRateLimited("Civitai is rate-limiting token requests; try again shortly.")
    if code in _CLIENT_CODES or isinstance(error, AuthConfigurationError):
        return CivitaiUnavailable(
            "Civitai rejected this site's client credentials or request "
            f"({code or 'configuration error'}); check SOCIAL_AUTH_CIVITAI_KEY and "
            "SOCIAL_AUTH_CIVITAI_SECRET. The stored tokens are unchanged."
        )
    if isinstance(error, requests.Timeout) or code == "timeout":
        return CivitaiUnavailable("Civitai did not answer in time; try again later.")
    if isinstance(error, requests.ConnectionError) or code == "connection_failed":
        return CivitaiUnavailable("Civitai could not be reached; try again later.")
    if status is not None:
        return CivitaiUnavailable(f"Civitai answered HTTP {status}; try again later.")
    return CivitaiUnavailable("Civitai's token endpoint gave an unusable answer; try again later.")


def _is_reauth(error: BaseException) -> bool:
    return isinstance(error, AuthCredentialError) and error.code in {
        "reauthentication_required",
        "credential_rejected",
        "token_revoked",
    }


def _status_and_code(error: BaseException) -> tuple[int | None, str | None]:
    """The HTTP status and OAuth error code of a failure, from social-core or requests."""
    if isinstance(error, SocialAuthBaseException):
        provider_code = error.provider_code
        code = str(provider_code) if provider_code else None
        if code is None and error.code in {"rate_limited", "timeout", "connection_failed"}:
            code = error.code
        return error.status_code, code
    response = getattr(error, "response", None)
    if isinstance(error, requests.HTTPError) and response is not None:
        try:
            data = response.json()
        except ValueError:
            data = None
        code = data.get("error") if isinstance(data, dict) else None
        return response.status_code, code if isinstance(code, str) else None
    return None, None


@sensitive_variables()
def revoke_refresh_token(refresh_token: str, uid: str, *, backend: Any = None) -> bool:
    """Ask Civitai to revoke ``refresh_token``; True when a call was made and answered 2xx.

    Civitai answers ``200 {}`` whether or not anything was revoked, so True proves only that
    the request arrived. False for a public app, which the backend does not let call /revoke.
    Raises CivitaiRateLimited / CivitaiUnavailable on failure.
    """
    backend = backend or load_backend()
    try:
        result = backend.revoke_token(refresh_token, uid)
    except Exception as error:
        raised = classify_error(error)
        if isinstance(raised, InvalidGrant):
            # A revoke endpoint has nothing to refuse: Civitai returns 200 for unknown tokens.
            return True
        raise raised from None
    return bool(result)
