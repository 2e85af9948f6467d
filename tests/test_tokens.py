"""get_access_token / aget_access_token against the emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_civitai_auth import (
    CivitaiUnavailable,
    ReauthenticationRequired,
    aget_access_token,
    get_access_token,
    signals,
)
from django_civitai_auth.models import CivitaiToken, TokenStatus
from tests.lifecycle import ADA, expire, stored_pair, token_for
from tests.plaintext import assert_no_plaintext

# Conditional UPDATEs, raw SQL compiled per database, ordering: all differ between backends.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def received() -> Any:
    """Every lifecycle signal sent during the test, as (signal name, kwargs)."""
    seen: list[tuple[str, dict[str, Any]]] = []
    handlers = []
    for name in ("token_refreshed", "token_revoked", "reauthentication_required"):

        def handler(sender: Any, _name: str = name, **kwargs: Any) -> None:
            seen.append((_name, kwargs))

        getattr(signals, name).connect(handler, weak=False)
        handlers.append((name, handler))
    yield seen
    for name, handler in handlers:
        getattr(signals, name).disconnect(handler)


def test_valid_token_costs_one_query_and_no_request(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    with CaptureQueriesContext(connection) as queries:
        value = get_access_token(token.user)
    assert len(queries) == 1
    assert value == stored_pair(token)[0]
    assert civitai_site.is_token_active(value)
    assert civitai_site.count("token") == 0


def test_user_id_is_accepted_instead_of_a_user(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    assert get_access_token(token.user_id) == stored_pair(token)[0]


def test_user_without_tokens_must_sign_in(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username="nobody")
    with pytest.raises(ReauthenticationRequired):
        get_access_token(user)


def test_anonymous_user_must_sign_in() -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ReauthenticationRequired):
        get_access_token(AnonymousUser())


@pytest.mark.parametrize("status", [TokenStatus.REAUTH_REQUIRED, TokenStatus.REVOKED])
def test_inactive_row_must_sign_in_without_calling_civitai(civitai_site: Any, status: str) -> None:
    token = token_for(civitai_site)
    CivitaiToken.objects.filter(pk=token.pk).update(status=status)
    with pytest.raises(ReauthenticationRequired):
        get_access_token(token.user)
    assert civitai_site.count("token") == 0


def test_expired_token_is_rotated_once_and_stored_before_use(
    civitai_site: Any, received: Any
) -> None:
    token = token_for(civitai_site)
    old_access, old_refresh, *_ = stored_pair(token)
    expire(token)

    value = get_access_token(token.user)

    new_access, new_refresh, *_ = stored_pair(token)
    assert value == new_access != old_access
    assert new_refresh != old_refresh
    assert civitai_site.count("token", grant="refresh_token") == 1
    assert civitai_site.is_token_active(new_access)
    assert civitai_site.is_token_active(new_refresh)
    assert not civitai_site.is_token_active(old_refresh)
    row = CivitaiToken.objects.get(pk=token.pk)
    assert row.generation == token.generation + 1
    assert row.refresh_claim == ""
    assert row.refresh_claimed_until is None
    assert row.expires_at > timezone.now() + dt.timedelta(minutes=59)
    assert [name for name, _ in received] == ["token_refreshed"]
    assert received[0][1]["token"].pk == token.pk
    # The next call is the hot path again.
    assert get_access_token(token.user) == value
    assert civitai_site.count("token", grant="refresh_token") == 1


def test_token_within_the_leeway_is_refreshed_ahead_of_expiry(civitai_site: Any) -> None:
    token = token_for(civitai_site, expires_in=120)  # leeway is 300s
    old_access = stored_pair(token)[0]
    assert get_access_token(token.user) != old_access
    assert civitai_site.count("token", grant="refresh_token") == 1


def test_leeway_setting_is_read_live(civitai_site: Any, settings: Any) -> None:
    settings.CIVITAI_AUTH_REFRESH_LEEWAY = 60
    token = token_for(civitai_site, expires_in=120)
    assert get_access_token(token.user) == stored_pair(token)[0]
    assert civitai_site.count("token") == 0


def test_force_refresh_rotates_a_valid_token(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    old_access = stored_pair(token)[0]
    value = get_access_token(token.user, force_refresh=True)
    assert value != old_access
    assert value == stored_pair(token)[0]
    assert civitai_site.count("token", grant="refresh_token") == 1


FAULTS = ["server_error", "rate_limited", "timeout", "drop", "non_json"]


@pytest.mark.parametrize("fault", FAULTS)
def test_transient_fault_leaves_the_pair_untouched(
    civitai_site: Any, settings: Any, fault: str, received: Any
) -> None:
    settings.CIVITAI_AUTH_HTTP_TIMEOUT = 0.5
    token = token_for(civitai_site)
    expire(token)
    before = stored_pair(token)
    civitai_site.add_fault("token", fault, grant="refresh_token", delay=1.5)

    with pytest.raises(CivitaiUnavailable) as raised:
        get_access_token(token.user)

    assert "civitai_" not in str(raised.value)
    assert stored_pair(token) == before  # same plaintext, same ciphertext
    row = CivitaiToken.objects.get(pk=token.pk)
    assert (row.status, row.generation, row.refresh_claim) == (TokenStatus.ACTIVE, 0, "")
    assert received == []
    # Once the fault is gone the user gets a valid token.
    value = get_access_token(token.user)
    assert civitai_site.is_token_active(value)


def test_rate_limit_is_a_distinct_unavailable(civitai_site: Any) -> None:
    from django_civitai_auth.token_endpoint import CivitaiRateLimited

    token = token_for(civitai_site)
    expire(token)
    civitai_site.add_fault("token", "rate_limited")
    with pytest.raises(CivitaiRateLimited):
        get_access_token(token.user)


def test_wrong_client_secret_is_not_blamed_on_the_user(civitai_site: Any, settings: Any) -> None:
    settings.SOCIAL_AUTH_CIVITAI_SECRET = "f" * 48
    token = token_for(civitai_site)
    expire(token)
    with pytest.raises(CivitaiUnavailable, match="SOCIAL_AUTH_CIVITAI_SECRET"):
        get_access_token(token.user)
    assert CivitaiToken.objects.get(pk=token.pk).status == TokenStatus.ACTIVE


def test_failed_refresh_ahead_of_expiry_hands_out_the_still_valid_token(
    civitai_site: Any,
) -> None:
    token = token_for(civitai_site, expires_in=120)
    civitai_site.add_fault("token", "server_error")
    assert get_access_token(token.user) == stored_pair(token)[0]
    civitai_site.add_fault("token", "server_error")
    with pytest.raises(CivitaiUnavailable):
        get_access_token(token.user, force_refresh=True)


def _assert_reauthentication_required(
    civitai_site: Any, token: CivitaiToken, received: Any
) -> None:
    with pytest.raises(ReauthenticationRequired) as raised:
        get_access_token(token.user)
    assert raised.value.user_id == token.user_id
    row = CivitaiToken.objects.get(pk=token.pk)
    assert row.status == TokenStatus.REAUTH_REQUIRED
    assert (row.access_token, row.refresh_token) == ("", "")
    assert [name for name, _ in received] == ["reauthentication_required"]
    assert received[0][1]["user_id"] == token.user_id
    # Later calls do not ask Civitai again.
    calls = civitai_site.count("token")
    with pytest.raises(ReauthenticationRequired):
        get_access_token(token.user)
    assert civitai_site.count("token") == calls


def test_invalid_grant_requires_a_new_sign_in(civitai_site: Any, received: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.add_fault("token", "invalid_grant")
    _assert_reauthentication_required(civitai_site, token, received)


def test_app_removed_on_civitai_requires_a_new_sign_in(civitai_site: Any, received: Any) -> None:
    token = token_for(civitai_site)
    expire(token)
    civitai_site.remove_app(ADA)
    _assert_reauthentication_required(civitai_site, token, received)


def test_most_recently_updated_active_account_wins(civitai_site: Any) -> None:
    first = token_for(civitai_site)
    second = token_for(civitai_site, civitai_user_id=23456, user=first.user)
    CivitaiToken.objects.filter(pk=first.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=1)
    )
    assert get_access_token(first.user) == stored_pair(second)[0]
    CivitaiToken.objects.filter(pk=second.pk).update(status=TokenStatus.REAUTH_REQUIRED)
    assert get_access_token(first.user) == stored_pair(first)[0]


def test_no_token_is_stored_in_plaintext_after_refreshes(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    seen = list(stored_pair(token)[:2])
    for _ in range(3):
        get_access_token(token.user, force_refresh=True)
        seen.extend(stored_pair(token)[:2])
    assert_no_plaintext(*seen)


@pytest.mark.django_db(transaction=True)
def test_async_variant_refreshes_too(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    assert async_to_sync(aget_access_token)(token.user) == stored_pair(token)[0]
    expire(token)
    value = async_to_sync(aget_access_token)(token.user)
    assert value == stored_pair(token)[0]
    assert civitai_site.count("token", grant="refresh_token") == 1
