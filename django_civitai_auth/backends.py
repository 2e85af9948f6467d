"""Civitai's OAuth 2.0 server as a python-social-auth backend named ``civitai``.

Civitai's flow is the Authorization Code grant with PKCE (S256 only), described in its developer
documentation's "OAuth Quickstart"; what its server really does is summarised in docs/ of this
repository. What differs from a textbook OAuth 2.0 provider, and so lives here:

- one base URL (``SOCIAL_AUTH_CIVITAI_BASE_URL``) for all four endpoints, so the same code talks
  to civitai.com, auth.civitai.com or the bundled emulator;
- ``scope`` is one decimal bitmask, not a list of words, and token responses carry it as a
  string, a one-element array or a number;
- redirect URIs are compared byte for byte, so nothing is added to ours (no ``redirect_state``);
- client credentials travel in the form body, and a public app sends no secret at all;
- ``/revoke`` reads its parameters from the body only and needs client credentials.

The backend is pure protocol: token_capture moves the tokens it puts in ``extra_data`` into the
encrypted CivitaiToken row before anything is written.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from requests import Response
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.exceptions import AuthConfigurationError, AuthResponseError
from social_django.strategy import DjangoStrategy

from django_civitai_auth.conf import DEFAULT_BASE_URL, civitai_settings
from django_civitai_auth.scopes import Scope, ScopeError, parse_scope
from django_civitai_auth.token_response import MalformedTokenResponse, parse_token_response

DEFAULT_SCOPE_SETTING = "UserRead"


class CivitaiOAuth2(BaseOAuth2PKCE[Any]):
    """Sign in with Civitai: Authorization Code + PKCE (S256) against Civitai's OAuth server."""

    name = "civitai"
    title = "Civitai"
    ID_KEY = "id"
    REDIRECT_STATE = False
    STATE_PARAMETER = True
    PKCE_DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    # Civitai accepts 43-128 characters; the longest verifier costs nothing and guesses worst.
    PKCE_DEFAULT_CODE_VERIFIER_LENGTH = 128
    EXTRA_DATA = [
        ("refresh_token", "refresh_token", True),
        ("id_token", "id_token", True),
        ("expires_in", "expires_in"),
        ("username", "username", True),
    ]

    # -- endpoints -------------------------------------------------------------------------

    def base_url(self) -> str:
        return str(self.setting("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    def endpoint(self, name: str) -> str:
        return f"{self.base_url()}/api/auth/oauth/{name}"

    def authorization_url(self) -> str:
        return self.endpoint("authorize")

    def access_token_url(self) -> str:
        return self.endpoint("token")

    def refresh_token_url(self) -> str:
        return self.endpoint("token")

    def revoke_token_url(self, token: str, uid: str | None) -> str:
        return self.endpoint("revoke")

    def userinfo_url(self) -> str:
        return self.endpoint("userinfo")

    # -- authorize: PKCE is social-core's; only the scope format differs --------------------

    def setting(self, name: str, default: Any = None) -> Any:
        # Civitai rejects everything but S256 and verifiers shorter than 43 characters: a
        # setting asking for "plain" or a short verifier would only produce failed sign-ins.
        if name == "PKCE_CODE_CHALLENGE_METHOD":
            return "S256"
        if name == "USE_PKCE":
            return True
        value = super().setting(name, default)
        if name == "PKCE_CODE_VERIFIER_LENGTH":
            return min(max(int(value), 43), 128)
        return value

    def requested_scope(self) -> Scope:
        """The mask SOCIAL_AUTH_CIVITAI_SCOPE asks for; a bad setting is a configuration error."""
        spec = self.setting("SCOPE", DEFAULT_SCOPE_SETTING)
        try:
            return parse_scope(DEFAULT_SCOPE_SETTING if spec in (None, "", []) else spec)
        except (ScopeError, TypeError) as error:
            raise AuthConfigurationError(
                self,
                f"SOCIAL_AUTH_CIVITAI_SCOPE is invalid: {error}",
                code="invalid_setting",
                parameter="SCOPE",
                stage="begin",
            ) from None

    def get_scope(self) -> list[str]:
        return [str(int(self.requested_scope()))]

    def get_scope_argument(self) -> dict[str, str]:
        # One decimal integer, never a separator-joined list (Civitai answers invalid_scope).
        return {self.SCOPE_PARAMETER_NAME: str(int(self.requested_scope()))}

    # -- error reports ----------------------------------------------------------------------
    # A 500 e-mail (or a logged exc_info) shows every frame's local variables. A frame inherits
    # the sensitive_variables list of its nearest decorated caller, so these two overrides hide
    # the locals of social-core's own frames below them (the token response in auth_complete
    # and do_auth, the pipeline's kwargs), and every method here that holds a token or the
    # client secret hides its own and its callees' (requests, urllib3). Only while DEBUG is
    # False: Django's debug page shows everything (docs/security.rst).

    @sensitive_variables()
    def auth_complete(self, *args: Any, **kwargs: Any) -> Any:
        return super().auth_complete(*args, **kwargs)

    @sensitive_variables()
    def authenticate(self, *args: Any, **kwargs: Any) -> Any:
        return super().authenticate(*args, **kwargs)

    # -- token endpoint: credentials in the body, no secret for a public app ----------------

    @sensitive_variables()
    def client_credentials(self) -> dict[str, str]:
        key, secret = self.get_key_and_secret()
        credentials = {"client_id": str(key)}
        if secret:
            credentials["client_secret"] = str(secret)
        return credentials

    def use_basic_auth(self) -> bool:
        return False

    @sensitive_variables()
    def auth_complete_params(self, state: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = super().auth_complete_params(state)  # type: ignore[no-untyped-call]
        params.pop("client_secret", None)
        params.update(self.client_credentials())
        return params

    @sensitive_variables()
    def refresh_token_params(self, token: str, *args: Any, **kwargs: Any) -> dict[str, str]:
        return {"refresh_token": token, "grant_type": "refresh_token", **self.client_credentials()}

    @sensitive_variables()
    def get_access_token(self, response: dict[str, Any]) -> str:
        # Validate the whole answer before the pipeline runs, so that a malformed one fails
        # sign-in cleanly instead of leaving a user whose tokens could not be stored.
        access_token: str = super().get_access_token(response)
        try:
            parse_token_response(response)
        except MalformedTokenResponse as error:
            raise AuthResponseError(
                self, str(error), code="malformed_response", stage="token_exchange"
            ) from None
        return access_token

    # -- HTTP -----------------------------------------------------------------------------

    @sensitive_variables()
    def request(self, url: str, *, timeout: float | None = None, **kwargs: Any) -> Response:
        # A slow Civitai must not hold a request (or a refresh lease) for requests' forever.
        if timeout is None:
            timeout = civitai_settings.http_timeout
        response: Response = super().request(url, timeout=timeout, **kwargs)
        return response

    # -- the user -------------------------------------------------------------------------

    @sensitive_variables()
    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        data: dict[str, Any] = self.get_json(
            self.userinfo_url(), headers={"Authorization": f"Bearer {access_token}"}
        )
        return data

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> str | None:
        for key in ("id", "sub"):
            value = response.get(key)
            if value is not None and value != "":
                return str(value)
        return None

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        details: dict[str, Any] = {
            "username": response.get("username") or response.get("preferred_username")
        }
        # An unverified address could belong to someone else: never let it reach the user.
        if response.get("email") and response.get("email_verified") is True:
            details["email"] = response["email"]
        if response.get("name"):
            details["fullname"] = response["name"]
        return details

    @sensitive_variables()
    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any],
        pipeline_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        data: dict[str, Any] = super().extra_data(user, uid, response, details, pipeline_kwargs)
        grant = parse_token_response(response)
        if grant.scope is not None:
            data["scope"] = int(grant.scope)
        avatar = response.get("image") or response.get("picture")
        if avatar:
            data["avatar"] = avatar
        return data

    # -- revocation -----------------------------------------------------------------------

    @sensitive_variables()
    def revoke_token_params(self, token: str, uid: str | None) -> dict[str, str]:
        return {"token": token, **self.client_credentials()}

    @sensitive_variables()
    def revoke_token(
        self,
        token: str,
        uid: str | None = None,
        token_type_hint: str = "refresh_token",  # noqa: S107
    ) -> bool:
        """Ask Civitai to revoke a token; False for a public app, which cannot authenticate.

        ``token_type_hint`` defaults to ``refresh_token``: revoking the refresh token also
        revokes the access tokens it minted. Civitai answers ``200 {}`` whether or not anything
        was revoked: the caller must delete its own copy in every case.
        """
        if not self.get_key_and_secret()[1]:
            return False
        params = {**self.revoke_token_params(token, uid), "token_type_hint": token_type_hint}
        # Form body only: Civitai does not read the query string, and a URL ends up in logs.
        response = self.request(
            self.revoke_token_url(token, uid),
            method="POST",
            data=params,
            headers={"Accept": "application/json"},
            stage="disconnect",
        )
        return response.status_code == 200

    # -- the pipeline ---------------------------------------------------------------------

    def pipeline(
        self, pipeline: list[str], pipeline_index: int = 0, *args: Any, **kwargs: Any
    ) -> Any:
        # All or nothing: a step failing after create_user must not leave a half-made user.
        # Only Django's storage has a database to roll back (social-core's harness has none).
        if not isinstance(self.strategy, DjangoStrategy):
            return super().pipeline(pipeline, pipeline_index, *args, **kwargs)
        with transaction.atomic():
            return super().pipeline(pipeline, pipeline_index, *args, **kwargs)
