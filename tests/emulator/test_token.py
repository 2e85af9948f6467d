"""POST /token, rule by rule from civitai-oauth.md."""

from __future__ import annotations

import base64
import json
import re

import pytest
import requests

from django_civitai_auth.emulator import CivitaiEmulator
from tests.emulator.conftest import CLIENT_ID, CLIENT_SECRET, Client, error_of

TOKEN_FORMAT = re.compile(r"civitai_[0-9a-f]{36}")


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_success_body_and_headers(client: Client) -> None:
    code, verifier = client.code()
    response = client.exchange(code, verifier)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "114689"
    assert TOKEN_FORMAT.fullmatch(body["access_token"])
    assert TOKEN_FORMAT.fullmatch(body["refresh_token"])
    assert "Cache-Control" not in response.headers


def test_lifetimes_are_one_hour_and_thirty_days(client: Client) -> None:
    client.tokens()
    access, refresh = (
        client.emu.issued_tokens(kind="access"),
        client.emu.issued_tokens(kind="refresh"),
    )
    assert round(access[0].expires_at - access[0].issued_at) == 3600
    assert round(refresh[0].expires_at - refresh[0].issued_at) == 30 * 86400
    assert (access[0].user_id, access[0].client_id, access[0].scope) == (12345, CLIENT_ID, 114689)


@pytest.mark.parametrize(("shape", "expected"), [("string", "5"), ("array", ["5"]), ("number", 5)])
def test_scope_shape_of_token_responses(client: Client, shape: str, expected: object) -> None:
    client.emu.scope_shape = shape  # type: ignore[assignment]
    body = client.tokens(scope="4")
    assert body["scope"] == expected
    assert client.refresh(body["refresh_token"]).json()["scope"] == expected


def test_unknown_scope_shape_is_refused(emu: CivitaiEmulator) -> None:
    with pytest.raises(ValueError, match="scope_shape"):
        emu.scope_shape = "list"  # type: ignore[assignment]


def test_client_auth_by_http_basic_is_accepted(client: Client) -> None:
    code, verifier = client.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": client.redirect_uri,
    }
    assert client.token(data, headers=_basic(CLIENT_ID, CLIENT_SECRET)).status_code == 200


def test_failed_basic_auth_is_401(client: Client) -> None:
    data = {"grant_type": "refresh_token", "refresh_token": "x"}
    response = client.token(data, headers=_basic(CLIENT_ID, "wrong"))
    assert error_of(response) == (401, "invalid_client")
    garbled = client.token(data, headers={"Authorization": "Basic !!!"})
    assert error_of(garbled) == (401, "invalid_client")


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"client_id": CLIENT_ID, "client_secret": "wrong"}, (400, "invalid_client")),
        ({"client_id": CLIENT_ID}, (400, "invalid_client")),
        ({"client_id": "unknown", "client_secret": CLIENT_SECRET}, (400, "invalid_client")),
        ({}, (400, "invalid_request")),
    ],
)
def test_confidential_clients_must_send_the_secret_on_every_grant(
    client: Client, credentials: dict[str, str], expected: tuple[int, str]
) -> None:
    body = client.tokens()
    code, verifier = client.code()
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": client.redirect_uri,
    }
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    assert error_of(client.token({**exchange, **credentials})) == expected
    assert error_of(client.token({**refresh, **credentials})) == expected


def test_public_clients_send_client_id_only(public_client: Client) -> None:
    body = public_client.tokens()
    assert public_client.refresh(body["refresh_token"]).status_code == 200


def test_codes_are_single_use(client: Client) -> None:
    code, verifier = client.code()
    assert client.exchange(code, verifier).status_code == 200
    assert error_of(client.exchange(code, verifier)) == (400, "invalid_grant")


def test_codes_live_five_minutes(client: Client) -> None:
    code, verifier = client.code()
    client.emu.clock.advance(299)
    assert client.exchange(code, verifier).status_code == 200
    code, verifier = client.code()
    client.emu.clock.advance(300)
    assert error_of(client.exchange(code, verifier)) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ({"code_verifier": "A" * 43}, (400, "invalid_grant")),  # mismatch
        ({"code_verifier": "short"}, (400, "invalid_request")),  # too short
        ({"code_verifier": "A" * 129}, (400, "invalid_request")),  # too long
        ({"code_verifier": "A" * 42 + "+"}, (400, "invalid_request")),  # outside the alphabet
        ({"code_verifier": ""}, (400, "invalid_request")),  # missing
        ({"redirect_uri": "http://testserver/complete/civitai"}, (400, "invalid_request")),
    ],
)
def test_a_failed_exchange_still_burns_the_code(
    client: Client, failure: dict[str, str], expected: tuple[int, str]
) -> None:
    code, verifier = client.code()
    assert error_of(client.exchange(code, verifier, **failure)) == expected
    assert error_of(client.exchange(code, verifier)) == (400, "invalid_grant")


def test_redirect_uri_must_be_byte_identical_to_the_authorize_one(client: Client) -> None:
    # Both match the loopback rule, but the exchange must repeat the exact one sent.
    client.redirect_uri = "http://127.0.0.1:8000/complete/civitai/"
    code, verifier = client.code()
    other = {"redirect_uri": "http://127.0.0.1:9000/complete/civitai/"}
    assert error_of(client.exchange(code, verifier, **other)) == (400, "invalid_request")


def test_a_code_is_bound_to_its_client(client: Client, public_client: Client) -> None:
    code, verifier = client.code()
    response = public_client.exchange(code, verifier, redirect_uri=client.redirect_uri)
    assert error_of(response) == (400, "invalid_grant")


def test_missing_code_is_invalid_request(client: Client) -> None:
    response = client.token({"grant_type": "authorization_code", **client.credentials()})
    assert error_of(response) == (400, "invalid_request")


def test_refresh_rotates_and_the_old_refresh_token_dies(client: Client) -> None:
    first = client.tokens()
    second = client.refresh(first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert error_of(client.refresh(first["refresh_token"])) == (400, "invalid_grant")
    # No reuse detection: the family is not revoked, the new pair still works.
    assert client.emu.is_token_active(second["refresh_token"])
    assert client.refresh(second["refresh_token"]).status_code == 200
    # Access tokens issued earlier stay valid until they expire.
    assert client.userinfo(first["access_token"]).status_code == 200
    rotated = [t for t in client.emu.issued_tokens(kind="refresh") if t.rotated]
    assert [t.value for t in rotated] == [first["refresh_token"], second["refresh_token"]]


def test_each_rotation_issues_a_fresh_thirty_day_refresh_token(client: Client) -> None:
    first = client.tokens()
    client.emu.clock.advance(29 * 86400)
    second = client.refresh(first["refresh_token"]).json()
    client.emu.clock.advance(29 * 86400)
    assert client.refresh(second["refresh_token"]).status_code == 200


def test_expired_refresh_token_is_invalid_grant(client: Client) -> None:
    body = client.tokens()
    client.emu.clock.advance(30 * 86400)
    assert error_of(client.refresh(body["refresh_token"])) == (400, "invalid_grant")


@pytest.mark.parametrize("value", ["civitai_" + "0" * 36, ""])
def test_unknown_or_missing_refresh_token(client: Client, value: str) -> None:
    expected = "invalid_grant" if value else "invalid_request"
    assert error_of(client.refresh(value)) == (400, expected)


def test_an_access_token_is_not_a_refresh_token(client: Client) -> None:
    body = client.tokens()
    assert error_of(client.refresh(body["access_token"])) == (400, "invalid_grant")


def test_a_refresh_token_is_bound_to_its_client(client: Client, public_client: Client) -> None:
    body = client.tokens()
    assert error_of(public_client.refresh(body["refresh_token"])) == (400, "invalid_grant")


def test_refresh_ignores_a_scope_parameter(client: Client) -> None:
    body = client.tokens(scope="4")
    refreshed = client.refresh(body["refresh_token"], scope="134217727").json()
    assert refreshed["scope"] == "5"


def test_grant_type_errors(client: Client) -> None:
    creds = client.credentials()
    assert error_of(client.token(creds)) == (400, "invalid_request")
    assert error_of(client.token({"grant_type": "password", **creds})) == (
        400,
        "unsupported_grant_type",
    )


def test_json_bodies_are_read_too(client: Client) -> None:
    code, verifier = client.code()
    payload = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": client.redirect_uri,
        **client.credentials(),
    }
    response = requests.post(client.emu.endpoint("token"), json=payload, timeout=10)
    assert response.status_code == 200
    bad = requests.post(
        client.emu.endpoint("token"),
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert error_of(bad) == (400, "invalid_request")


def test_get_is_refused(client: Client) -> None:
    assert error_of(requests.get(client.emu.endpoint("token"), timeout=10)) == (
        400,
        "invalid_request",
    )


def test_id_token_only_when_authorize_had_a_nonce(client: Client) -> None:
    assert "id_token" not in client.tokens()
    body = client.tokens(nonce="n-0nce")
    header, payload, signature = body["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["nonce"] == "n-0nce"
    assert claims["sub"] == "12345"
    assert claims["aud"] == CLIENT_ID
    assert json.loads(base64.urlsafe_b64decode(header + "==="))["alg"] == "HS256"
    assert signature


def test_token_rate_limit_is_20_a_minute_per_ip(client: Client) -> None:
    data = {"grant_type": "refresh_token", "refresh_token": "unknown", **client.credentials()}
    statuses = [client.token(data).status_code for _ in range(20)]
    assert statuses == [400] * 20
    limited = client.token(data)
    assert limited.status_code == 429
    assert limited.json() == {
        "error": "rate_limited",
        "error_description": "Too many token requests",
    }
    assert "Retry-After" not in limited.headers
    assert not any(name.lower().startswith("x-ratelimit") for name in limited.headers)
    client.emu.clock.advance(60)
    assert client.token(data).status_code == 400


def test_token_rate_limit_can_be_switched_off(client: Client) -> None:
    client.emu.rate_limit = False
    data = {"grant_type": "refresh_token", "refresh_token": "unknown", **client.credentials()}
    assert {client.token(data).status_code for _ in range(25)} == {400}
