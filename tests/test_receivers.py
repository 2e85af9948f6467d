"""Tokens are revoked at Civitai and deleted here on sign-out, disconnect and user deletion.

These tests use ``transaction=True`` so that deletions really commit and the revocation that
waits for the commit is really sent.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_civitai_auth import get_access_token
from django_civitai_auth.models import CivitaiToken
from tests.lifecycle import live_tokens, stored_pair, token_for
from tests.signin import sign_in

# on_commit hooks and rolled-back deletions depend on the database's transactions.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _pair_of(user: Any) -> tuple[str, str]:
    token = CivitaiToken.objects.get(user=user)
    access, refresh, *_ = stored_pair(token)
    return access, refresh


def test_sign_out_revokes_and_deletes(civitai_site: Any) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    access, refresh = _pair_of(user)
    client.logout()
    assert civitai_site.count("revoke") == 1
    assert not civitai_site.is_token_active(refresh)
    assert not civitai_site.is_token_active(access)  # revoking the refresh token takes it along
    assert not CivitaiToken.objects.filter(user=user).exists()


def test_sign_out_keeps_tokens_when_the_setting_is_off(civitai_site: Any, settings: Any) -> None:
    settings.CIVITAI_AUTH_REVOKE_ON_LOGOUT = False
    client = Client()
    user = sign_in(client, civitai_site)
    client.logout()
    assert civitai_site.count("revoke") == 0
    assert CivitaiToken.objects.filter(user=user).exists()


@pytest.mark.parametrize("fault", ["server_error", "drop", "rate_limited"])
def test_a_civitai_outage_never_breaks_sign_out(civitai_site: Any, fault: str, caplog: Any) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    secrets = _pair_of(user)
    civitai_site.add_fault("revoke", fault, times=10)
    with caplog.at_level(logging.INFO):
        client.logout()
    assert "_auth_user_id" not in client.session
    assert not CivitaiToken.objects.filter(user=user).exists()
    assert not any(secret in caplog.text for secret in secrets)


def test_disconnect_revokes_the_refresh_token_and_deletes(civitai_site: Any) -> None:
    client = Client()
    user = sign_in(client, civitai_site)
    user.set_password("another way in")  # social-auth refuses to remove the only login
    user.save()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _access, refresh = _pair_of(user)
    response = client.post(reverse("social:disconnect", args=["civitai"]))
    assert response.status_code == 302
    assert civitai_site.count("revoke") == 1
    assert not civitai_site.is_token_active(refresh)
    assert not CivitaiToken.objects.filter(user=user).exists()


def test_deleting_the_user_revokes_first(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    refresh = stored_pair(token)[1]
    token.user.delete()
    assert civitai_site.count("revoke") == 1
    assert not civitai_site.is_token_active(refresh)
    assert not CivitaiToken.objects.exists()


def test_deleting_the_user_survives_a_civitai_outage(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    civitai_site.add_fault("revoke", "drop")
    token.user.delete()
    assert not CivitaiToken.objects.exists()


def test_public_app_deletes_locally_without_calling_civitai(
    civitai_site: Any, settings: Any
) -> None:
    settings.SOCIAL_AUTH_CIVITAI_SECRET = None
    token = token_for(civitai_site)
    token.user.delete()
    assert civitai_site.count("revoke") == 0
    assert not CivitaiToken.objects.exists()


def test_a_rolled_back_deletion_revokes_nothing(civitai_site: Any) -> None:
    from django.db import transaction

    token = token_for(civitai_site)

    def delete_then_fail() -> None:
        with transaction.atomic():
            token.user.delete()
            raise RuntimeError("the deleting request failed")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert civitai_site.count("revoke") == 0
    assert civitai_site.is_token_active(stored_pair(token)[1])


def test_deleting_a_row_read_before_a_refresh_revokes_the_refreshed_pair(civitai_site: Any) -> None:
    token = token_for(civitai_site)
    stale = CivitaiToken.objects.get(pk=token.pk)  # what a deletion may have collected
    get_access_token(token.user, force_refresh=True)
    refreshed = stored_pair(token)[1]
    stale.delete()
    assert civitai_site.count("revoke") == 1
    assert not civitai_site.is_token_active(refreshed)
    assert live_tokens(civitai_site, int(token.social_auth.uid)) == []
