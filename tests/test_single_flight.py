"""Single flight: however many callers ask at once, one refresh request per rotation.

The race tests run on SQLite and, marked ``postgres``, again on a real PostgreSQL server.
They use ``transaction=True`` so the rows are committed and visible to other connections.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from django_civitai_auth import (
    CivitaiUnavailable,
    ReauthenticationRequired,
    get_access_token,
    token_endpoint,
)
from django_civitai_auth.models import CivitaiToken, TokenStatus
from django_civitai_auth.refresh import RefreshInProgress, lease_seconds, refresh_access_token
from django_civitai_auth.token_response import TokenGrant
from tests.lifecycle import ADA, expire, live_tokens, stored_pair, token_for
from tests.signin import sign_in

CONTENDERS = 16
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sixteen_processes_share_one_refresh(civitai_site: Any, tmp_path: Path) -> None:
    token = token_for(civitai_site)
    expire(token)
    # Civitai's answer takes a while, so the contenders really overlap with the holder's call.
    civitai_site.latency = 0.3
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CIVITAI_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "CIVITAI_RACE_BASE_URL": civitai_site.base_url,
        "CIVITAI_RACE_USER_ID": str(token.user_id),
        "CIVITAI_RACE_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.race_child"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CONTENDERS)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("ready-*"))) < CONTENDERS:
            assert all(child.poll() is None for child in children), "a contender died early"
            assert time.monotonic() < deadline, "contenders did not get ready in time"
            time.sleep(0.05)
        (tmp_path / "go").touch()
        results = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()

    assert all("token" in result for result in results), results
    tokens = {result["token"] for result in results}
    assert len(tokens) == 1
    (value,) = tokens
    assert civitai_site.count("token", grant="refresh_token") == 1
    assert civitai_site.is_token_active(value)
    assert stored_pair(token)[0] == value
    assert CivitaiToken.objects.get(pk=token.pk).generation == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_share_one_refresh(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.latency = 0.2
    barrier = threading.Barrier(CONTENDERS)
    results: list[str | BaseException] = []

    def contend() -> None:
        try:
            barrier.wait()
            results.append(get_access_token(token.user_id))
        except BaseException as error:  # reported by the assertion below
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=contend) for _ in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == CONTENDERS
    assert len(set(results)) == 1, results
    assert civitai_site.count("token", grant="refresh_token") == 1
    assert civitai_site.is_token_active(str(results[0]))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_stale_caller_uses_the_rotation_that_already_happened(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    stale = CivitaiToken.objects.get(pk=token.pk)
    fresh = get_access_token(token.user, force_refresh=True)
    result = refresh_access_token(stale)
    assert (result.access_token, result.refreshed_here) == (fresh, False)
    assert civitai_site.count("token", grant="refresh_token") == 1


def _hold_lease(token: CivitaiToken, seconds: float, claim: str = "someone-else") -> None:
    CivitaiToken.objects.filter(pk=token.pk).update(
        refresh_claim=claim,
        refresh_claimed_until=timezone.now() + dt.timedelta(seconds=seconds),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_crashed_holders_lease_runs_out_and_another_caller_refreshes(
    civitai_site: Any,
) -> None:
    token = token_for(civitai_site)
    expire(token)
    _hold_lease(token, 0.5)  # the holder died without releasing or storing anything
    value = get_access_token(token.user)
    assert value == stored_pair(token)[0]
    assert civitai_site.count("token", grant="refresh_token") == 1
    assert civitai_site.is_token_active(value)


@pytest.mark.django_db(transaction=True)
def test_waiters_share_the_failure_of_the_attempt_they_waited_for(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    _hold_lease(token, 30)

    def holder_fails() -> None:
        time.sleep(0.3)
        CivitaiToken.objects.filter(pk=token.pk).update(
            refresh_claim="", refresh_claimed_until=None
        )
        connections.close_all()

    thread = threading.Thread(target=holder_fails)
    thread.start()
    with pytest.raises(CivitaiUnavailable, match="failed just now"):
        get_access_token(token.user)
    thread.join()
    assert civitai_site.count("token") == 0


@pytest.mark.django_db(transaction=True)
def test_waiting_is_bounded(civitai_site: Any, settings: Any) -> None:
    settings.CIVITAI_AUTH_REFRESH_WAIT_TIMEOUT = 0.3
    token = token_for(civitai_site)
    expire(token)
    _hold_lease(token, 30)
    started = time.monotonic()
    with pytest.raises(CivitaiUnavailable, match="Waited"):
        get_access_token(token.user)
    assert time.monotonic() - started < 5
    assert civitai_site.count("token") == 0


@pytest.mark.django_db
def test_without_waiting_a_held_lease_is_reported(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    _hold_lease(token, 30)
    with pytest.raises(RefreshInProgress):
        refresh_access_token(CivitaiToken.objects.get(pk=token.pk), wait=False)


def test_the_lease_outlives_any_http_call(settings: Any) -> None:
    settings.CIVITAI_AUTH_HTTP_TIMEOUT = 10
    assert lease_seconds() >= 2 * 10 + 5


def _when_civitai_has_answered(monkeypatch: Any, action: Any) -> list[str]:
    """Run ``action`` after Civitai rotated the pair and before the holder stores it.

    Wraps the one seam between the two (token_endpoint.refresh_grant) so the interleaving is
    exact; the refresh request itself still goes to the emulator over HTTP. Returns a list that
    receives the refresh token Civitai issued to the holder.
    """
    issued: list[str] = []
    real_refresh_grant = token_endpoint.refresh_grant

    def refresh_then_act(refresh_token: str, **kwargs: Any) -> TokenGrant:
        grant = real_refresh_grant(refresh_token, **kwargs)
        issued.append(grant.refresh_token or "")
        action()
        return grant

    monkeypatch.setattr(token_endpoint, "refresh_grant", refresh_then_act)
    return issued


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sign_in_during_a_refresh_wins_and_ends_the_rotation(
    civitai_site: Any, monkeypatch: Any
) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    token = CivitaiToken.objects.get(user=user)
    expire(token)
    issued = _when_civitai_has_answered(monkeypatch, lambda: sign_in(Client(), civitai_site))

    value = get_access_token(user)

    signed_in_access, signed_in_refresh, *_ = stored_pair(token)
    assert value == signed_in_access  # the newer pair from the sign-in, not an error
    row = CivitaiToken.objects.get(pk=token.pk)
    assert row.status == TokenStatus.ACTIVE
    assert (row.refresh_claim, row.refresh_claimed_until) == ("", None)
    # The pair Civitai gave the holder is never stored, so it must not stay live either.
    assert issued
    assert not civitai_site.is_token_active(issued[0])
    assert civitai_site.is_token_active(signed_in_refresh)
    monkeypatch.undo()
    # No leftover lease: the next rotation happens at once instead of waiting for it to expire.
    assert get_access_token(user, force_refresh=True) != value
    assert civitai_site.count("token", grant="refresh_token") == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sign_out_during_a_refresh_leaves_no_live_grant(
    civitai_site: Any, monkeypatch: Any
) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    expire(CivitaiToken.objects.get(user=user))
    issued = _when_civitai_has_answered(monkeypatch, client.logout)

    with pytest.raises(ReauthenticationRequired):
        get_access_token(user)

    assert issued
    assert not civitai_site.is_token_active(issued[0])
    assert live_tokens(civitai_site, ADA) == []
    assert not CivitaiToken.objects.filter(user=user).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_revocation_racing_a_refresh_leaves_no_live_grant(civitai_site: Any) -> None:
    from django_civitai_auth.revocation import revoke_user_tokens

    token = token_for(civitai_site)
    expire(token)
    # Slow answers make the two overlap; whichever order they end up in, nothing stays live.
    civitai_site.latency = 0.3
    outcomes: list[object] = []

    def refresh() -> None:
        try:
            outcomes.append(get_access_token(token.user_id))
        except ReauthenticationRequired as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    refresher = threading.Thread(target=refresh)
    refresher.start()
    time.sleep(0.1)  # lets the refresher claim the lease first, usually; not needed for the result
    revoke_user_tokens(token.user_id, reason="logout")
    refresher.join(30)

    assert len(outcomes) == 1
    assert live_tokens(civitai_site, ADA) == []
    assert not CivitaiToken.objects.exists()
