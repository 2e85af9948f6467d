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
from django.utils import timezone

from django_civitai_auth import CivitaiUnavailable, get_access_token
from django_civitai_auth.models import CivitaiToken
from django_civitai_auth.refresh import RefreshInProgress, lease_seconds, refresh_access_token
from tests.lifecycle import expire, stored_pair, token_for

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
