"""manage.py civitai_refresh against the emulator, through call_command (and one real Ctrl-C)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from django_civitai_auth.budget import RateBudget
from django_civitai_auth.models import CivitaiToken
from tests.lifecycle import age_refresh_token, stored_pair, token_for

# Keyset pagination, NULL ordering, date arithmetic and claims differ between databases.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def civitai_emulator_options() -> dict[str, Any]:
    from django_civitai_auth.emulator import DemoUser

    users = [DemoUser(id=1000 + n, username=f"civitai{n}") for n in range(30)]
    return {"rate_limit": False, "users": users}


def run(*args: str) -> tuple[dict[str, Any], str | None]:
    out = StringIO()
    try:
        call_command("civitai_refresh", *args, "--json", stdout=out)
    except CommandError as error:
        return json.loads(out.getvalue()), str(error)
    return json.loads(out.getvalue()), None


def many(emulator: Any, count: int) -> list[CivitaiToken]:
    from django.contrib.auth import get_user_model

    civitai_ids = sorted(emulator.users)
    tokens = []
    for n in range(count):
        user = get_user_model().objects.create_user(username=f"user{n}", email=f"user{n}@x")
        tokens.append(token_for(emulator, civitai_user_id=civitai_ids[n], user=user))
    return tokens


DAY = 24 * 3600


def test_refreshes_only_what_is_due(civitai_site: Any) -> None:
    soon, later, old, idle, old_idle = many(civitai_site, 5)
    CivitaiToken.objects.filter(pk=soon.pk).update(
        expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    age_refresh_token(old, 25)
    # Signed in yesterday, gone since: its access token died long ago but nothing is at risk.
    age_refresh_token(idle, 1, dead_for=DAY - 3600)
    # Gone for 25 days: the refresh token is at risk even though the access token is dead.
    age_refresh_token(old_idle, 25, dead_for=25 * DAY - 3600)
    before = {token.pk: stored_pair(token) for token in (soon, later, old, idle, old_idle)}

    result, error = run("--rate", "0")

    assert error is None
    assert result == {
        "due": 3,
        "refreshed": 3,
        "skipped": 0,
        "failed": 0,
        "rate_limited_retries": 0,
        "interrupted": False,
        "dry_run": False,
        "failures": [],
    }
    for token in (later, idle):
        assert stored_pair(token) == before[token.pk]
    for token in (soon, old, old_idle):
        access, refresh, *_ = stored_pair(token)
        assert access != before[token.pk][0]
        assert civitai_site.is_token_active(access)
        assert civitai_site.is_token_active(refresh)
    assert civitai_site.count("token", grant="refresh_token") == 3


def test_an_access_token_that_died_long_ago_is_not_due_by_itself(civitai_site: Any) -> None:
    (token,) = many(civitai_site, 1)
    age_refresh_token(token, 3, dead_for=3 * DAY - 3600)
    for window in ("900", "86400"):
        assert run("--rate", "0", "--dry-run", "--within", window)[0]["due"] == 0
        assert run("--rate", "0", "--within", window)[0]["refreshed"] == 0
    assert run("--rate", "0", "--dry-run", "--refresh-age", "2")[0]["due"] == 1
    assert run("--rate", "0", "--dry-run", "--all")[0]["due"] == 1
    assert civitai_site.count("token") == 0


def test_limit_takes_the_most_at_risk_first(civitai_site: Any) -> None:
    expiring, young, old, oldest, unknown, older = many(civitai_site, 6)
    CivitaiToken.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    age_refresh_token(old, 21, dead_for=3600)
    age_refresh_token(oldest, 29, dead_for=3600)
    age_refresh_token(unknown, None)
    age_refresh_token(older, 25)
    age_refresh_token(young, 10, dead_for=3600)  # not due at all

    def refreshed() -> set[int]:
        return set(CivitaiToken.objects.filter(generation__gt=0).values_list("pk", flat=True))

    assert run("--rate", "0", "--limit", "3", "--concurrency", "1")[0]["refreshed"] == 3
    assert refreshed() == {unknown.pk, oldest.pk, older.pk}
    # The next run finds the three refreshed rows young again and carries on down the list.
    assert run("--rate", "0", "--dry-run")[0]["due"] == 2
    assert run("--rate", "0", "--limit", "1")[0]["refreshed"] == 1
    assert refreshed() == {unknown.pk, oldest.pk, older.pk, old.pk}
    assert run("--rate", "0")[0]["refreshed"] == 1
    assert refreshed() == {unknown.pk, oldest.pk, older.pk, old.pk, expiring.pk}
    assert run("--rate", "0", "--dry-run")[0]["due"] == 0


def test_dry_run_counts_what_the_run_refreshes(civitai_site: Any) -> None:
    tokens = many(civitai_site, 8)
    for days, token in zip((None, 30, 22, 20.5, 19, 5, 0.5, 0), tokens, strict=True):
        age_refresh_token(token, days, dead_for=3600 if days and days > 1 else 0)
    CivitaiToken.objects.filter(pk=tokens[-1].pk).update(
        expires_at=timezone.now() + dt.timedelta(minutes=10)
    )
    planned, _ = run("--rate", "0", "--dry-run")
    assert civitai_site.count("token") == 0
    done, error = run("--rate", "0")
    assert error is None
    assert planned["due"] == done["due"] == done["refreshed"] == 5
    assert civitai_site.count("token", grant="refresh_token") == 5


def test_chunk_boundaries_and_ties_refresh_every_row_once(
    civitai_site: Any, monkeypatch: Any
) -> None:
    from django_civitai_auth import bulk_refresh

    # Chunks of two rows make every page boundary fall inside a run of equal keys.
    monkeypatch.setattr(bulk_refresh, "CHUNK_SIZE", 2)
    tokens = many(civitai_site, 7)
    same_moment = timezone.now() - dt.timedelta(days=25)
    CivitaiToken.objects.filter(pk__in=[t.pk for t in tokens[:5]]).update(
        refresh_token_issued_at=same_moment
    )
    age_refresh_token(tokens[5], None)
    age_refresh_token(tokens[6], None)
    result, error = run("--rate", "0", "--concurrency", "3")
    assert error is None
    assert (result["due"], result["refreshed"]) == (7, 7)
    assert civitai_site.count("token", grant="refresh_token") == 7
    # A window wider than a new token's life, then --all: a row the run has just rotated is
    # due again by its new key, but the run never reads it a second time.
    for options, requests in ((("--within", str(2 * 3600)), 14), (("--all",), 21)):
        result, error = run("--rate", "0", "--concurrency", "3", *options)
        assert error is None
        assert (result["due"], result["refreshed"]) == (7, 7)
        assert civitai_site.count("token", grant="refresh_token") == requests


def test_window_and_age_options(civitai_site: Any) -> None:
    (token,) = many(civitai_site, 1)
    assert run("--rate", "0", "--dry-run")[0]["due"] == 0
    assert run("--rate", "0", "--dry-run", "--within", "3700")[0]["due"] == 1
    assert run("--rate", "0", "--dry-run", "--refresh-age", "0")[0]["due"] == 1
    assert civitai_site.count("token") == 0
    assert CivitaiToken.objects.get(pk=token.pk).generation == 0


def test_all_user_and_limit(civitai_site: Any) -> None:
    tokens = many(civitai_site, 4)
    result, _ = run("--rate", "0", "--all", "--limit", "3")
    assert (result["due"], result["refreshed"]) == (3, 3)
    result, _ = run("--rate", "0", "--all", "--user", tokens[3].user.username)
    assert (result["due"], result["refreshed"]) == (1, 1)
    result, _ = run("--rate", "0", "--all", "--user", str(tokens[0].user_id), "--user", "user1@x")
    assert (result["due"], result["refreshed"]) == (2, 2)


def test_unknown_user_is_an_error(civitai_site: Any) -> None:
    with pytest.raises(CommandError, match="No user matches: ghost"):
        call_command("civitai_refresh", "--user", "ghost", stdout=StringIO())


def test_failures_are_reported_by_user_and_make_the_exit_non_zero(civitai_site: Any) -> None:
    good, dead = many(civitai_site, 2)
    age_refresh_token(good, 26, dead_for=3600)  # the older refresh token goes first
    age_refresh_token(dead, 25, dead_for=3600)
    dead_before = stored_pair(dead)
    civitai_site.add_fault("token", "server_error")  # the first request: "good"'s

    result, error = run("--rate", "0", "--concurrency", "1")

    assert error == "1 refresh(es) failed"
    assert result["failed"] == 1
    assert result["failures"][0]["user_id"] == good.user_id
    assert result["failures"][0]["reason"].startswith("unavailable")
    assert "civitai_" not in json.dumps(result)
    assert result["refreshed"] == 1
    assert stored_pair(dead) != dead_before


def test_a_429_is_retried_and_loses_nothing(civitai_site: Any, monkeypatch: Any) -> None:
    from django_civitai_auth import bulk_refresh

    # The real pause after a 429 is seconds long; a short one keeps this test fast.
    monkeypatch.setattr(bulk_refresh, "RATE_LIMIT_FIRST_PAUSE", 0.05)
    tokens = many(civitai_site, 3)
    civitai_site.add_fault("token", "rate_limited", times=2)
    result, error = run("--rate", "0", "--all")
    assert error is None
    assert (result["refreshed"], result["rate_limited_retries"]) == (3, 2)
    for token in tokens:
        assert civitai_site.is_token_active(stored_pair(token)[1])


def test_a_token_being_refreshed_elsewhere_is_skipped(civitai_site: Any) -> None:
    (token,) = many(civitai_site, 1)
    CivitaiToken.objects.filter(pk=token.pk).update(
        refresh_claim="other-server", refresh_claimed_until=timezone.now() + dt.timedelta(minutes=1)
    )
    result, error = run("--rate", "0", "--all")
    assert error is None
    assert (result["skipped"], result["refreshed"]) == (1, 0)
    assert civitai_site.count("token") == 0


def test_plain_summary(civitai_site: Any) -> None:
    many(civitai_site, 2)
    out = StringIO()
    call_command("civitai_refresh", "--all", "--rate", "0", stdout=out)
    assert "2 due: 2 refreshed, 0 skipped" in out.getvalue()
    assert "[" not in out.getvalue()  # no progress bar when not on a terminal


def test_rate_budget_spaces_requests() -> None:
    now = [0.0]
    budget = RateBudget(20, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    slots = []
    for _ in range(21):
        budget.acquire()
        slots.append(now[0])
    # 21 requests span more than a minute: never more than 20 in any 60 seconds.
    assert slots[20] - slots[0] > 60
    assert slots[20] - slots[0] < 62


@pytest.mark.slow
def test_ctrl_c_mid_run_loses_no_token(civitai_site: Any) -> None:
    tokens = many(civitai_site, 24)
    for token in tokens:
        age_refresh_token(token, 25, dead_for=3600)
    civitai_site.latency = 0.25
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CIVITAI_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "CIVITAI_TEST_BASE_URL": civitai_site.base_url,
        "PYTHONPATH": str(ROOT),
    }
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "django",
            "civitai_refresh",
            "--rate",
            "0",
            "--concurrency",
            "2",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while civitai_site.count("token") < 4:
        assert time.monotonic() < deadline
        assert child.poll() is None
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    out, _err = child.communicate(timeout=60)
    assert child.returncode != 0
    result = json.loads(out.strip().splitlines()[-1])
    assert result["interrupted"] is True
    assert 0 < result["refreshed"] < 24
    # Every row still holds a pair Civitai accepts: nothing was spent without being stored.
    for token in tokens:
        _access, refresh, *_ = stored_pair(token)
        assert civitai_site.is_token_active(refresh)
    assert civitai_site.count("token", grant="refresh_token") == result["refreshed"]
