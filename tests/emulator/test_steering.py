"""What a test uses to steer the emulator: counters, faults, latency, clock, lifecycle."""

from __future__ import annotations

import time

import pytest
import requests

from django_civitai_auth.emulator import CivitaiEmulator
from tests.emulator.conftest import Client, error_of


def test_counters_per_endpoint_and_grant_include_rejected_calls(client: Client) -> None:
    emu = client.emu
    body = client.tokens()
    client.refresh(body["refresh_token"])
    client.refresh("unknown")
    client.userinfo(body["access_token"])
    client.revoke({})
    assert emu.count("token") == 3
    assert emu.count("token", grant="authorization_code") == 1
    assert emu.count("token", grant="refresh_token") == 2
    assert emu.count("userinfo") == 1
    assert emu.count("revoke") == 1
    assert emu.count("authorize") == 3  # GET, GET after sign-in, consent POST
    assert emu.counters["token:refresh_token"] == 2
    emu.reset_counters()
    assert emu.counters == {}


def test_issued_tokens_are_copies_with_their_state(client: Client) -> None:
    body = client.tokens()
    tokens = client.emu.issued_tokens(user_id=12345)
    assert [t.kind for t in tokens] == ["access", "refresh"]
    tokens[0].revoked = True  # a copy: the emulator is not changed
    assert client.emu.is_token_active(body["access_token"])
    assert body["access_token"] not in repr(tokens[0])
    assert client.emu.issued_tokens(user_id=23456) == []


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("server_error", 503, "server_error"),
        ("rate_limited", 429, "rate_limited"),
        ("invalid_grant", 400, "invalid_grant"),
    ],
)
def test_json_faults_fire_before_processing(
    client: Client, kind: str, status: int, error: str
) -> None:
    body = client.tokens()
    client.emu.add_fault("token", kind, times=2)
    assert error_of(client.refresh(body["refresh_token"])) == (status, error)
    assert error_of(client.refresh(body["refresh_token"])) == (status, error)
    # Nothing was processed: the refresh token was not rotated and still works.
    assert client.refresh(body["refresh_token"]).status_code == 200
    assert client.emu.count("token", grant="refresh_token") == 3


def test_rate_limited_fault_matches_the_real_body(client: Client) -> None:
    client.emu.add_fault("token", "rate_limited")
    response = client.refresh("x")
    assert response.json() == {
        "error": "rate_limited",
        "error_description": "Too many token requests",
    }


def test_a_grant_restricted_fault_spares_the_other_grant(client: Client) -> None:
    client.emu.add_fault("token", "server_error", grant="refresh_token")
    code, verifier = client.code()
    body = client.exchange(code, verifier).json()
    assert error_of(client.refresh(body["refresh_token"])) == (503, "server_error")


def test_non_json_fault(client: Client) -> None:
    client.emu.add_fault("userinfo", "non_json")
    response = client.userinfo("anything")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_drop_fault_closes_the_connection_without_processing(client: Client) -> None:
    code, verifier = client.code()
    client.emu.add_fault("token", "drop")
    with pytest.raises(requests.ConnectionError):
        client.exchange(code, verifier)
    assert client.exchange(code, verifier).status_code == 200  # the code was not spent


def test_timeout_fault_outlasts_the_clients_timeout(client: Client) -> None:
    client.emu.add_fault("revoke", "timeout", delay=1.0)
    with pytest.raises(requests.Timeout):
        requests.post(client.emu.endpoint("revoke"), data={"token": "x"}, timeout=0.2)
    assert client.revoke({"token": "x"}).status_code == 200


def test_faults_for_authorize_and_clearing(client: Client) -> None:
    client.emu.add_fault("authorize", "server_error", times=3)
    response = requests.get(client.authorize_url(), allow_redirects=False, timeout=10)
    assert error_of(response) == (503, "server_error")
    client.emu.clear_faults()
    assert (
        requests.get(client.authorize_url(), allow_redirects=False, timeout=10).status_code == 303
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("tokens", "drop"), {}),
        (("token", "explode"), {}),
        (("token", "drop", 0), {}),
        (("userinfo", "drop"), {"grant": "refresh_token"}),
    ],
)
def test_add_fault_validates(emu: CivitaiEmulator, args: tuple, kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):  # noqa: PT011 (the message differs by argument)
        emu.add_fault(*args, **kwargs)


def test_latency_is_added_to_every_response(client: Client) -> None:
    client.emu.latency = 0.3
    started = time.monotonic()
    client.userinfo("x")
    assert time.monotonic() - started >= 0.3
    with pytest.raises(ValueError, match="negative"):
        client.emu.latency = -1


def test_clock_only_moves_forward(emu: CivitaiEmulator) -> None:
    before = emu.clock.now()
    emu.clock.advance(100)
    assert emu.clock.now() >= before + 100
    with pytest.raises(ValueError, match="forward"):
        emu.clock.advance(-1)


def test_unknown_paths_are_404_json(emu: CivitaiEmulator) -> None:
    assert error_of(requests.get(emu.base_url + "/api/auth/oauth/nope", timeout=10)) == (
        404,
        "not_found",
    )
    assert requests.get(emu.base_url + "/", timeout=10).json()["endpoints"]["token"]


def test_stop_closes_keep_alive_connections_and_frees_the_port(client: Client) -> None:
    emu = CivitaiEmulator(apps=list(client.emu.apps.values())).start()
    session = requests.Session()
    assert session.get(emu.endpoint("userinfo"), timeout=10).status_code == 401
    port = emu.port
    emu.stop()
    emu.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        session.get(f"http://127.0.0.1:{port}/api/auth/oauth/userinfo", timeout=2)
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.base_url


def test_start_twice_is_refused(emu: CivitaiEmulator) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        emu.start()


def test_plugin_fixture_gives_a_running_emulator_with_the_default_app(
    civitai_emulator: CivitaiEmulator,
) -> None:
    app = civitai_emulator.apps["3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"]
    assert app.is_confidential
    assert "http://localhost/complete/civitai/" in app.redirect_uris
    assert civitai_emulator.base_url.startswith("http://127.0.0.1:")
    assert civitai_emulator.rate_limit
    client = Client(civitai_emulator)
    assert client.userinfo(client.tokens()["access_token"]).status_code == 200
