"""Sign in with Civitai end to end: Django's test client against the emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from social_django.models import UserSocialAuth

from django_civitai_auth.emulator import CivitaiEmulator, RegisteredApp
from django_civitai_auth.models import CivitaiToken, TokenStatus
from django_civitai_auth.scopes import Scope
from tests.plaintext import assert_no_plaintext
from tests.signin import begin_sign_in, complete_sign_in, sign_in, signed_in_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

User = get_user_model()
REQUESTED = int(Scope.UserRead | Scope.AIServicesRead)


def latest_pair(emulator: CivitaiEmulator, user_id: int = 12345) -> tuple[str, str]:
    access = emulator.issued_tokens(user_id=user_id, kind="access")[-1].value
    refresh = emulator.issued_tokens(user_id=user_id, kind="refresh")[-1].value
    return access, refresh


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_failed_cleanly(client: Client, response: Any, message: str) -> None:
    """Sign-in failed: redirected to the error page with a message, nobody signed in."""
    assert response.status_code == 302
    assert response["Location"] == "/login-error/"
    page = client.get("/login-error/")
    assert message in page.content.decode()
    assert signed_in_user(client) is None


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the backend handed to requests for each call (the calls still go to the emulator).

    A spy rather than a mock: the emulator keeps no log of request bodies, and the test must
    see exactly which credentials left the site.
    """
    calls: list[dict[str, Any]] = []
    real = requests.request

    def spy(method: str, url: str, **kwargs: Any) -> requests.Response:
        calls.append({"method": method, "url": url, **kwargs})
        return real(method, url, **kwargs)

    monkeypatch.setattr(requests, "request", spy)
    return calls


def test_new_user_signs_in_and_tokens_are_stored_encrypted(
    client: Client, civitai_site: CivitaiEmulator
) -> None:
    user = sign_in(client, civitai_site)

    access, refresh = latest_pair(civitai_site)
    social = UserSocialAuth.objects.get(provider="civitai")
    assert (social.uid, social.user_id) == ("12345", user.pk)
    assert user.get_username() == "ada"
    assert user.email == "ada@example.com"  # type: ignore[attr-defined]
    token = CivitaiToken.objects.get(social_auth=social)
    assert token.access_token == access
    assert token.refresh_token == refresh
    assert token.scope == REQUESTED
    assert token.status == TokenStatus.ACTIVE
    assert token.refresh_token_issued_at is not None
    assert not {"access_token", "refresh_token", "id_token"} & set(social.extra_data)
    assert social.extra_data["scope"] == REQUESTED
    assert social.extra_data["avatar"]
    assert_no_plaintext(access, refresh)
    assert civitai_site.count("token", grant="authorization_code") == 1


def test_returning_user_updates_the_same_rows(
    civitai_site: CivitaiEmulator, django_user_model: Any
) -> None:
    first = sign_in(Client(), civitai_site)
    CivitaiToken.objects.update(status=TokenStatus.REAUTH_REQUIRED)

    second = sign_in(Client(), civitai_site)

    access, refresh = latest_pair(civitai_site)
    assert second.pk == first.pk
    assert django_user_model.objects.count() == 1
    assert UserSocialAuth.objects.count() == 1
    token = CivitaiToken.objects.get()
    assert (token.access_token, token.refresh_token) == (access, refresh)
    assert token.status == TokenStatus.ACTIVE
    assert token.generation == 1
    assert_no_plaintext(*(issued.value for issued in civitai_site.issued_tokens()))


@pytest.mark.parametrize("order", ["first_tab_first", "second_tab_first"])
def test_two_tabs_started_in_one_session_both_complete(
    client: Client, civitai_site: CivitaiEmulator, order: str
) -> None:
    # social-core 7 keeps one transaction per state, so each tab's callback finds its own.
    redirects = [civitai_site.sign_in_and_authorize(begin_sign_in(client)) for _tab in range(2)]
    if order == "second_tab_first":
        redirects.reverse()

    for redirect in redirects:
        response = complete_sign_in(client, redirect)
        assert response.status_code == 302
        assert response["Location"] == "/"

    assert signed_in_user(client) is not None
    assert UserSocialAuth.objects.count() == 1
    assert CivitaiToken.objects.get().generation == 1
    assert civitai_site.count("token", grant="authorization_code") == 2


def test_callback_replayed_in_the_same_session_fails_cleanly(
    civitai_site: CivitaiEmulator,
) -> None:
    client = Client()
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client))
    assert complete_sign_in(client, redirect).status_code == 302
    client.logout()

    response = complete_sign_in(client, redirect)

    assert_failed_cleanly(client, response, "restart login")
    assert civitai_site.count("token", grant="authorization_code") == 1


def test_replayed_code_is_refused_by_civitai_and_fails_cleanly(
    civitai_site: CivitaiEmulator,
) -> None:
    code = dict(
        parse_qsl(urlsplit(civitai_site.sign_in_and_authorize(begin_sign_in(Client()))).query)
    )["code"]
    first = Client()
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(first))
    complete_sign_in(first, redirect)
    spent_code = dict(parse_qsl(urlsplit(redirect).query))["code"]
    assert spent_code != code

    attacker = Client()
    fresh = civitai_site.sign_in_and_authorize(begin_sign_in(attacker))
    response = complete_sign_in(attacker, with_query(fresh, code=spent_code))

    assert_failed_cleanly(attacker, response, "authorization code was rejected")
    assert UserSocialAuth.objects.count() == 1
    assert civitai_site.count("token", grant="authorization_code") == 2


def test_denied_consent_fails_cleanly(client: Client, civitai_site: CivitaiEmulator) -> None:
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client), approve=False)
    assert dict(parse_qsl(urlsplit(redirect).query))["error"] == "access_denied"

    response = complete_sign_in(client, redirect)

    assert_failed_cleanly(client, response, "")
    assert not User.objects.exists()
    assert not UserSocialAuth.objects.exists()
    assert civitai_site.count("token") == 0


@pytest.mark.parametrize("state", ["forged-state", ""])
def test_forged_or_missing_state_fails_before_any_exchange(
    client: Client, civitai_site: CivitaiEmulator, state: str
) -> None:
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client))

    response = complete_sign_in(client, with_query(redirect, state=state))

    assert_failed_cleanly(client, response, "")
    assert civitai_site.count("token") == 0
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "fault"),
    [
        ("token", "server_error"),
        ("token", "non_json"),
        ("token", "rate_limited"),
        ("userinfo", "server_error"),
        ("userinfo", "drop"),
    ],
)
def test_civitai_failure_leaves_no_half_made_user(
    client: Client, civitai_site: CivitaiEmulator, endpoint: str, fault: str
) -> None:
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client))
    civitai_site.add_fault(endpoint, fault)

    response = complete_sign_in(client, redirect)

    assert_failed_cleanly(client, response, "")
    assert not User.objects.exists()
    assert not UserSocialAuth.objects.exists()
    assert not CivitaiToken.objects.exists()


@pytest.mark.parametrize("shape", ["string", "array", "number"])
def test_every_scope_shape_stores_the_granted_mask(
    client: Client, civitai_site: CivitaiEmulator, shape: str
) -> None:
    civitai_site.scope_shape = shape  # type: ignore[assignment]

    sign_in(client, civitai_site)

    assert CivitaiToken.objects.get().scope == REQUESTED


def test_authorize_url_carries_one_decimal_scope_and_s256(
    client: Client, civitai_site: CivitaiEmulator
) -> None:
    query = dict(parse_qsl(urlsplit(begin_sign_in(client)).query))

    assert query["scope"] == str(REQUESTED)
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://testserver/complete/civitai/"
    assert query["client_id"] == "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
    assert query["state"]


@pytest.mark.parametrize(("username", "expected_email"), [("linus", ""), ("grace", "")])
def test_user_without_verified_email_signs_in_without_one(
    client: Client, civitai_site: CivitaiEmulator, username: str, expected_email: str
) -> None:
    user = sign_in(client, civitai_site, username=username)

    assert user.get_username() == username
    assert user.email == expected_email  # type: ignore[attr-defined]
    assert CivitaiToken.objects.filter(user=user).exists()


def test_confidential_app_sends_its_secret_in_the_body_only(
    client: Client, civitai_site: CivitaiEmulator, wire: list[dict[str, Any]]
) -> None:
    sign_in(client, civitai_site)

    (exchange,) = [call for call in wire if call["url"].endswith("/token")]
    assert exchange["data"]["client_secret"] == "0123456789abcdef0123456789abcdef0123456789abcdef"
    assert exchange["data"]["client_id"] == "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
    assert exchange["auth"] is None
    assert not exchange.get("params")
    assert "client_secret" not in exchange["url"]


@pytest.fixture
def public_emulator(settings: Any) -> Iterator[CivitaiEmulator]:
    app = RegisteredApp(
        client_id="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        client_secret=None,
        redirect_uris=["http://testserver/complete/civitai/"],
    )
    emulator = CivitaiEmulator(apps=[app]).start()
    settings.SOCIAL_AUTH_CIVITAI_KEY = app.client_id
    settings.SOCIAL_AUTH_CIVITAI_SECRET = None
    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = emulator.base_url
    try:
        yield emulator
    finally:
        emulator.stop()


def test_public_app_signs_in_without_any_secret(
    client: Client, public_emulator: CivitaiEmulator, wire: list[dict[str, Any]]
) -> None:
    sign_in(client, public_emulator)

    token_calls = [call for call in wire if call["url"].endswith("/token")]
    assert len(token_calls) == 1
    for call in token_calls:
        assert "client_secret" not in (call.get("data") or {})
        assert "client_secret" not in (call.get("params") or {})
        assert call.get("auth") is None
        assert "Authorization" not in (call.get("headers") or {})
    assert token_calls[0]["data"]["client_id"] == "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    access, refresh = latest_pair(public_emulator)
    assert CivitaiToken.objects.get().access_token == access
    assert_no_plaintext(access, refresh)


def refuse_after_everything_was_saved(backend: Any, **kwargs: Any) -> None:
    """A site's own last pipeline step refusing the sign-in after the rows were written."""
    from social_core.exceptions import AuthPolicyError

    raise AuthPolicyError(backend, code="authentication_disallowed", stage="pipeline")


def test_pipeline_failure_after_create_user_rolls_everything_back(
    client: Client, civitai_site: CivitaiEmulator, settings: Any
) -> None:
    from social_core.pipeline import DEFAULT_AUTH_PIPELINE

    settings.SOCIAL_AUTH_PIPELINE = (
        *DEFAULT_AUTH_PIPELINE,
        "tests.test_signin_flow.refuse_after_everything_was_saved",
    )
    redirect = civitai_site.sign_in_and_authorize(begin_sign_in(client))

    response = complete_sign_in(client, redirect)

    assert_failed_cleanly(client, response, "not allowed")
    assert not User.objects.exists()
    assert not UserSocialAuth.objects.exists()
    assert not CivitaiToken.objects.exists()


def test_the_stored_scope_is_what_civitai_granted_not_what_was_asked(
    client: Client, civitai_site: CivitaiEmulator, settings: Any
) -> None:
    # Civitai always adds UserRead, so asking for AIServicesRead alone is granted 16385.
    settings.SOCIAL_AUTH_CIVITAI_SCOPE = "AIServicesRead"

    sign_in(client, civitai_site)

    token = CivitaiToken.objects.get()
    assert token.scope == int(Scope.UserRead | Scope.AIServicesRead) == 16385
    assert token.has_scope(Scope.UserRead)
