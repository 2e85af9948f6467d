"""CivitaiOAuth2 on its own: URLs, scope, credentials, user details, refresh and revoke."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.test import RequestFactory
from social_core.exceptions import AuthConfigurationError, AuthCredentialError
from social_django.utils import load_strategy

from django_civitai_auth.backends import CivitaiOAuth2
from django_civitai_auth.emulator import CivitaiEmulator
from django_civitai_auth.scopes import Scope


def backend() -> CivitaiOAuth2:
    request = RequestFactory().get("/")
    request.session = {}  # type: ignore[assignment]
    return CivitaiOAuth2(load_strategy(request), redirect_uri="/complete/civitai/")


def test_endpoints_follow_the_base_url(settings: Any) -> None:
    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = "https://auth.civitai.com/"
    civitai = backend()

    assert civitai.authorization_url() == "https://auth.civitai.com/api/auth/oauth/authorize"
    assert civitai.access_token_url() == "https://auth.civitai.com/api/auth/oauth/token"
    assert civitai.revoke_token_url("t", "1") == "https://auth.civitai.com/api/auth/oauth/revoke"


def test_default_base_url_is_civitai(settings: Any) -> None:
    del settings.SOCIAL_AUTH_CIVITAI_BASE_URL

    assert backend().userinfo_url() == "https://civitai.com/api/auth/oauth/userinfo"


@pytest.mark.parametrize(
    ("setting", "mask"),
    [
        ("UserRead", 1),
        (["UserRead", "AIServicesRead"], 16385),
        (Scope.ReadOnly, 10701093),
        ([Scope.UserRead, 4, "BuzzRead"], 65541),
        ("114689", 114689),
        (None, 1),
    ],
)
def test_scope_is_one_decimal_mask(settings: Any, setting: Any, mask: int) -> None:
    settings.SOCIAL_AUTH_CIVITAI_SCOPE = setting

    assert backend().get_scope_argument() == {"scope": str(mask)}


def test_unknown_scope_name_is_a_configuration_error(settings: Any) -> None:
    settings.SOCIAL_AUTH_CIVITAI_SCOPE = ["UserRead", "ModelRead"]

    with pytest.raises(AuthConfigurationError) as error:
        backend().get_scope_argument()
    assert "ModelRead" in error.value.detail


@pytest.mark.django_db  # social-core records each state in its Nonce table
def test_pkce_is_s256_with_a_long_verifier_whatever_the_settings(settings: Any) -> None:
    settings.SOCIAL_AUTH_CIVITAI_PKCE_CODE_CHALLENGE_METHOD = "plain"
    settings.SOCIAL_AUTH_CIVITAI_PKCE_CODE_VERIFIER_LENGTH = 10
    civitai = backend()
    query = dict(parse_qsl(urlsplit(civitai.auth_url()).query))

    assert query["code_challenge_method"] == "S256"
    transaction = civitai.strategy.session_get(civitai.transaction_key(query["state"]))
    assert len(transaction["code_verifier"]) == 43
    assert query["redirect_uri"] == "http://testserver/complete/civitai/"


def test_user_details_use_only_a_verified_email() -> None:
    civitai = backend()

    verified = {"id": 1, "username": "ada", "email": "a@x.example", "email_verified": True}
    unverified = {"id": 2, "username": "grace", "email": "g@x.example", "email_verified": False}
    assert civitai.get_user_details(verified)["email"] == "a@x.example"
    assert "email" not in civitai.get_user_details(unverified)
    assert civitai.get_user_details({"sub": "3"}) == {"username": None}


def test_user_id_is_civitai_id_then_sub() -> None:
    civitai = backend()

    assert civitai.get_user_id({}, {"id": 12345, "sub": "x"}) == "12345"
    assert civitai.get_user_id({}, {"sub": "678"}) == "678"
    assert civitai.get_user_id({}, {}) is None


def test_requests_get_the_configured_timeout(settings: Any, monkeypatch: Any) -> None:
    settings.CIVITAI_AUTH_HTTP_TIMEOUT = 2.5
    seen: dict[str, Any] = {}

    def spy(method: str, url: str, **kwargs: Any) -> requests.Response:
        # Stops before the network: only the arguments matter here.
        seen.update(kwargs)
        raise requests.ConnectionError("not sent")

    monkeypatch.setattr(requests, "request", spy)
    with pytest.raises(Exception):  # noqa: B017, PT011 - social-core's connection_failed
        backend().user_data("civitai_x")
    assert seen["timeout"] == 2.5


def test_refresh_token_returns_civitai_answer(civitai_site: CivitaiEmulator) -> None:
    pair = civitai_site.issue_token_pair(12345, scope=Scope.AIServicesRead)

    answer = backend().refresh_token(pair.refresh.value)

    assert answer["access_token"].startswith("civitai_")
    assert answer["refresh_token"] != pair.refresh.value
    assert civitai_site.count("token", grant="refresh_token") == 1


def test_refresh_with_a_dead_token_raises(civitai_site: CivitaiEmulator) -> None:
    with pytest.raises(AuthCredentialError) as error:
        backend().refresh_token("civitai_" + "0" * 36)
    assert error.value.provider_code == "invalid_grant"


def test_revoke_sends_everything_in_the_body(
    civitai_site: CivitaiEmulator, monkeypatch: Any
) -> None:
    pair = civitai_site.issue_token_pair(12345)
    calls: list[dict[str, Any]] = []
    real = requests.request

    def spy(method: str, url: str, **kwargs: Any) -> requests.Response:
        # Records what leaves the site; the call still reaches the emulator.
        calls.append({"url": url, **kwargs})
        return real(method, url, **kwargs)

    monkeypatch.setattr(requests, "request", spy)

    assert backend().revoke_token(pair.refresh.value, "12345") is True

    (call,) = calls
    assert urlsplit(call["url"]).query == ""
    assert not call.get("params")
    assert call["data"]["token"] == pair.refresh.value
    assert call["data"]["token_type_hint"] == "refresh_token"
    assert call["data"]["client_secret"]
    assert not civitai_site.is_token_active(pair.refresh.value)
    assert not civitai_site.is_token_active(pair.access.value)


def test_public_app_revoke_makes_no_call(settings: Any, civitai_site: CivitaiEmulator) -> None:
    settings.SOCIAL_AUTH_CIVITAI_SECRET = None

    assert backend().revoke_token("civitai_" + "1" * 36, "12345") is False
    assert civitai_site.count("revoke") == 0
