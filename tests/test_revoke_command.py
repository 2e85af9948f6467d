"""manage.py civitai_revoke against the emulator."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_civitai_auth import get_access_token, signals
from django_civitai_auth.models import CivitaiToken
from tests.lifecycle import live_tokens, stored_pair, token_for

# Date arithmetic on last_login and bulk deletes differ between databases.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def three(civitai_site: Any) -> list[CivitaiToken]:
    return [token_for(civitai_site, civitai_user_id=uid) for uid in sorted(civitai_site.users)]


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("civitai_revoke", *args, "--json", "--rate", "0", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_by_username_email_and_id(civitai_site: Any, three: list[CivitaiToken]) -> None:
    refreshes = [stored_pair(token)[1] for token in three]
    result = run("--user", three[0].user.username, "--user", three[1].user.email)
    assert result == {
        "selected": 2,
        "dry_run": False,
        "deleted": 2,
        "revoked_at_civitai": 2,
        "public_client": 0,
        "nothing_stored": 0,
        "unreachable": [],
    }
    assert not civitai_site.is_token_active(refreshes[0])
    assert not civitai_site.is_token_active(refreshes[1])
    assert civitai_site.is_token_active(refreshes[2])
    assert run("--user", str(three[2].user_id))["deleted"] == 1
    assert not CivitaiToken.objects.exists()
    assert civitai_site.count("revoke") == 3


def test_dry_run_changes_nothing(civitai_site: Any, three: list[CivitaiToken]) -> None:
    assert run("--all", "--dry-run")["selected"] == 3
    assert CivitaiToken.objects.count() == 3
    assert civitai_site.count("revoke") == 0


def test_all_needs_a_confirmation(civitai_site: Any, three: list[CivitaiToken]) -> None:
    # pytest's stdin is not a terminal: without --yes the command refuses.
    with pytest.raises(CommandError, match="--yes"):
        call_command("civitai_revoke", "--all", stdout=StringIO())
    assert CivitaiToken.objects.count() == 3
    assert run("--all", "--yes")["deleted"] == 3


def test_all_asks_on_a_terminal(
    civitai_site: Any, three: list[CivitaiToken], monkeypatch: Any
) -> None:
    # A terminal cannot be attached to a test run, so the tty check and the prompt are faked.
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Cancelled"):
        call_command("civitai_revoke", "--all", stdout=StringIO())
    assert CivitaiToken.objects.count() == 3
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    call_command("civitai_revoke", "--all", "--rate", "0", stdout=StringIO())
    assert not CivitaiToken.objects.exists()


def test_inactive_days(civitai_site: Any, three: list[CivitaiToken]) -> None:
    long_ago = timezone.now() - dt.timedelta(days=100)
    three[0].user.last_login = long_ago
    three[0].user.save()
    three[1].user.last_login = timezone.now()
    three[1].user.save()
    type(three[2].user).objects.filter(pk=three[2].user_id).update(
        last_login=None, date_joined=long_ago
    )
    result = run("--inactive-days", "30")
    assert result["deleted"] == 2
    assert list(CivitaiToken.objects.values_list("pk", flat=True)) == [three[1].pk]


def test_unreachable_civitai_still_deletes_and_says_so(
    civitai_site: Any, three: list[CivitaiToken]
) -> None:
    civitai_site.add_fault("revoke", "server_error")
    result = run("--user", three[0].user.username)
    assert result["deleted"] == 1
    assert result["unreachable"] == [{"user_id": three[0].user_id, "token_id": three[0].pk}]
    out = StringIO()
    civitai_site.add_fault("revoke", "drop")
    call_command("civitai_revoke", "--user", three[1].user.username, stdout=out)
    assert "deleted locally anyway" in out.getvalue()
    assert CivitaiToken.objects.count() == 1


def test_public_app_skips_the_call_and_says_why(
    civitai_site: Any, three: list[CivitaiToken], settings: Any
) -> None:
    settings.SOCIAL_AUTH_CIVITAI_SECRET = None
    out = StringIO()
    call_command("civitai_revoke", "--all", "--yes", stdout=out)
    assert "public app" in out.getvalue()
    assert civitai_site.count("revoke") == 0
    assert not CivitaiToken.objects.exists()


def test_nothing_selected_is_an_error() -> None:
    with pytest.raises(CommandError, match="--user, --inactive-days or --all"):
        call_command("civitai_revoke", stdout=StringIO())


def test_a_429_is_retried(civitai_site: Any, three: list[CivitaiToken], monkeypatch: Any) -> None:
    from django_civitai_auth import revocation

    monkeypatch.setattr(revocation, "_RATE_LIMIT_PAUSE", 0.05)
    civitai_site.add_fault("revoke", "rate_limited")
    refresh = stored_pair(three[0])[1]
    result = run("--user", three[0].user.username)
    assert result["revoked_at_civitai"] == 1
    assert not civitai_site.is_token_active(refresh)


def test_a_token_refreshed_after_its_chunk_was_read_is_revoked_as_it_is_now(
    civitai_site: Any, three: list[CivitaiToken]
) -> None:
    # The command reads rows a chunk at a time and may reach the last row minutes later; a
    # refresh in between rotates that row's pair. Here the refresh happens at the exact moment
    # the first row of the chunk is done, so the second row's pair changes after it was read.
    first, second, _third = three
    refreshed: list[str] = []

    def user_is_active_meanwhile(sender: Any, user_id: Any, **kwargs: Any) -> None:
        if user_id == first.user_id:
            get_access_token(second.user, force_refresh=True)
            refreshed.append(stored_pair(second)[1])

    signals.token_revoked.connect(user_is_active_meanwhile, weak=False)
    try:
        result = run("--user", first.user.username, "--user", second.user.username)
    finally:
        signals.token_revoked.disconnect(user_is_active_meanwhile)

    assert refreshed, "the second row was not refreshed between read and revoke"
    assert (result["deleted"], result["revoked_at_civitai"]) == (2, 2)
    assert not civitai_site.is_token_active(refreshed[0])
    assert live_tokens(civitai_site, int(first.social_auth.uid)) == []
    assert live_tokens(civitai_site, int(second.social_auth.uid)) == []
    assert list(CivitaiToken.objects.values_list("pk", flat=True)) == [three[2].pk]
