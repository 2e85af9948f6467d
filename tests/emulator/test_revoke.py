"""POST /revoke (RFC 7009) as civitai-oauth.md describes it."""

from __future__ import annotations

import base64

from tests.emulator.conftest import CLIENT_ID, CLIENT_SECRET, Client, error_of


def test_missing_token_is_invalid_request(client: Client) -> None:
    assert error_of(client.revoke(client.credentials())) == (400, "invalid_request")


def test_revoking_a_refresh_token_revokes_the_access_tokens_of_its_grant(client: Client) -> None:
    first = client.tokens()
    second = client.refresh(first["refresh_token"]).json()
    other = client.tokens()  # another grant, untouched
    response = client.revoke({"token": second["refresh_token"], **client.credentials()})
    assert response.status_code == 200
    assert response.json() == {}
    assert error_of(client.refresh(second["refresh_token"])) == (400, "invalid_grant")
    assert client.userinfo(second["access_token"]).status_code == 401
    assert client.userinfo(first["access_token"]).status_code == 401
    assert client.userinfo(other["access_token"]).status_code == 200


def test_revoking_an_access_token_leaves_the_refresh_token_working(client: Client) -> None:
    body = client.tokens()
    hint = {"token_type_hint": "access_token"}
    response = client.revoke({"token": body["access_token"], **hint, **client.credentials()})
    assert (response.status_code, response.json()) == (200, {})
    assert client.userinfo(body["access_token"]).status_code == 401
    assert client.refresh(body["refresh_token"]).status_code == 200


def test_unknown_token_is_200_empty(client: Client) -> None:
    response = client.revoke({"token": "civitai_" + "0" * 36, **client.credentials()})
    assert (response.status_code, response.json()) == (200, {})


def test_wrong_client_credentials_are_200_and_revoke_nothing(client: Client) -> None:
    body = client.tokens()
    for creds in (
        {"client_id": CLIENT_ID, "client_secret": "wrong"},
        {"client_id": "unknown", "client_secret": CLIENT_SECRET},
        {},
    ):
        response = client.revoke({"token": body["refresh_token"], **creds})
        assert (response.status_code, response.json()) == (200, {})
    assert client.emu.is_token_active(body["refresh_token"])


def test_http_basic_is_not_read(client: Client) -> None:
    body = client.tokens()
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = client.revoke(
        {"token": body["refresh_token"]}, headers={"Authorization": f"Basic {basic}"}
    )
    assert (response.status_code, response.json()) == (200, {})
    assert client.emu.is_token_active(body["refresh_token"])


def test_public_clients_cannot_revoke(public_client: Client) -> None:
    body = public_client.tokens()
    response = public_client.revoke({"token": body["refresh_token"], **public_client.credentials()})
    assert (response.status_code, response.json()) == (200, {})
    assert public_client.emu.is_token_active(body["refresh_token"])


def test_another_apps_token_is_not_revoked(client: Client, public_client: Client) -> None:
    body = public_client.tokens()
    response = client.revoke({"token": body["access_token"], **client.credentials()})
    assert response.status_code == 200
    assert client.emu.is_token_active(body["access_token"])


def test_revoke_rate_limit_is_20_a_minute_per_ip_in_its_own_bucket(client: Client) -> None:
    data = {"token": "unknown", **client.credentials()}
    assert {client.revoke(data).status_code for _ in range(20)} == {200}
    limited = client.revoke(data)
    assert error_of(limited) == (429, "rate_limited")
    assert "Retry-After" not in limited.headers
    # The token endpoint's bucket is separate.
    assert client.refresh("unknown").status_code == 400
    client.emu.clock.advance(60)
    assert client.revoke(data).status_code == 200
