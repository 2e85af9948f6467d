"""GET /userinfo: Civitai's fields and its 401/403 rules."""

from __future__ import annotations

import pytest
import requests

from django_civitai_auth.emulator import CivitaiEmulator, DemoUser, RegisteredApp
from django_civitai_auth.scopes import Scope
from tests.emulator.conftest import Client, error_of


def test_profile_of_a_user_with_verified_email_and_avatar(client: Client) -> None:
    body = client.userinfo(client.tokens()["access_token"]).json()
    # ada's avatar is served by the emulator itself, so it loads with no network.
    avatar = client.emu.base_url + "/avatars/12345.svg"
    assert body == {
        "sub": "12345",
        "id": 12345,
        "username": "ada",
        "preferred_username": "ada",
        "name": "ada",
        "picture": avatar,
        "image": avatar,
        "roles": ["user"],
        "isModerator": False,
        "tier": "founder",
        "email": "ada@example.com",
        "email_verified": True,
    }


def test_an_avatar_url_given_to_a_demo_user_is_sent_as_is() -> None:
    remote = "https://image.civitai.com/xG1nkqKTMzGDvpLrqFT7WA/ada/width=96"
    user = DemoUser(id=777, username="remote", image=remote)
    app = RegisteredApp("app", None, ["http://testserver/cb"])
    with CivitaiEmulator(apps=[app], users=[user]) as emu:
        pair = emu.issue_token_pair(777)
        body = Client(emu, "app", None, "http://testserver/cb").userinfo(pair.access.value).json()
    assert (body["picture"], body["image"]) == (remote, remote)


def test_unverified_email_is_reported_as_such(client: Client) -> None:
    body = client.userinfo(client.tokens("grace")["access_token"]).json()
    assert (body["email"], body["email_verified"]) == ("grace@example.com", False)
    assert body["image"] is None
    assert "tier" not in body


def test_absent_values_are_left_out(client: Client) -> None:
    body = client.userinfo(client.tokens("linus")["access_token"]).json()
    assert body["sub"] == "34567"
    assert body["image"] is None
    assert not {"email", "email_verified", "picture", "tier"} & set(body)


@pytest.mark.parametrize("prefix", ["bearer ", "Bearer  ", "Token ", ""])
def test_the_bearer_prefix_is_exact(client: Client, prefix: str) -> None:
    token = client.tokens()["access_token"]
    assert error_of(client.userinfo(token, prefix)) == (401, "invalid_token")


def test_missing_authorization_is_401(client: Client) -> None:
    response = requests.get(client.emu.endpoint("userinfo"), timeout=10)
    assert error_of(response) == (401, "invalid_token")


def test_unknown_expired_and_refresh_tokens_are_401(client: Client) -> None:
    body = client.tokens()
    assert error_of(client.userinfo("civitai_" + "0" * 36)) == (401, "invalid_token")
    assert error_of(client.userinfo(body["refresh_token"])) == (401, "invalid_token")
    client.emu.clock.advance(3600)
    assert error_of(client.userinfo(body["access_token"])) == (401, "invalid_token")


def test_without_user_read_is_403(client: Client) -> None:
    # Civitai always adds UserRead, so only a token minted directly can lack it.
    pair = client.emu.issue_token_pair(12345, scope=Scope.ModelsRead, add_user_read=False)
    assert error_of(client.userinfo(pair.access.value)) == (403, "insufficient_scope")
    with_read = client.emu.issue_token_pair(12345, scope=Scope.ModelsRead)
    assert client.userinfo(with_read.access.value).status_code == 200


def test_removing_the_app_kills_every_token_at_once(client: Client) -> None:
    ada_first, ada_second, grace = client.tokens(), client.tokens(), client.tokens("grace")
    client.emu.remove_app(12345)
    for body in (ada_first, ada_second):
        assert error_of(client.userinfo(body["access_token"])) == (401, "invalid_token")
        assert error_of(client.refresh(body["refresh_token"])) == (400, "invalid_grant")
    assert client.userinfo(grace["access_token"]).status_code == 200


def test_removing_one_app_forgets_consent_and_pending_codes(
    client: Client, public_client: Client
) -> None:
    emu = client.emu
    kept = public_client.tokens()
    code, verifier = client.code()
    emu.sign_in_and_authorize(client.authorize_url(), remember=True)
    emu.remove_app(12345, client.client_id)
    assert error_of(client.exchange(code, verifier)) == (400, "invalid_grant")
    assert public_client.userinfo(kept["access_token"]).status_code == 200
    assert all(t.revoked for t in emu.issued_tokens(12345) if t.client_id == client.client_id)
    # Consent was forgotten: the consent page is shown again instead of a straight redirect.
    session = requests.Session()
    session.post(emu.base_url + "/login", data={"user_id": "12345"}, timeout=10)
    assert session.get(client.authorize_url(), allow_redirects=False, timeout=10).status_code == 200
