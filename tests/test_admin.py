"""The CivitaiToken admin shows who and when, never a token (plaintext or ciphertext)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_civitai_auth import get_access_token, signals
from django_civitai_auth.models import CivitaiToken
from tests.lifecycle import expire, live_tokens, stored_pair, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_browser(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _secrets(token: CivitaiToken) -> list[str]:
    return [value for value in stored_pair(token) if value]


def _assert_no_token(html: str, token: CivitaiToken) -> None:
    for secret in _secrets(token):
        assert secret not in html
    assert not re.search(r"civitai_[0-9a-f]{36}", html)  # the shape of any Civitai token
    assert "gAAAA" not in html  # the prefix of every Fernet ciphertext


def test_changelist_shows_owner_status_expiry_and_scopes(
    civitai_site: Any, admin_browser: Client
) -> None:
    token = token_for(civitai_site)
    response = admin_browser.get(reverse("admin:django_civitai_auth_civitaitoken_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "ada" in html
    assert "Active" in html
    assert "UserRead" in html
    _assert_no_token(html, token)


def test_change_page_has_no_token_field(civitai_site: Any, admin_browser: Client) -> None:
    token = token_for(civitai_site)
    response = admin_browser.get(
        reverse("admin:django_civitai_auth_civitaitoken_change", args=[token.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "access_token" not in html
    assert 'refresh_token"' not in html
    assert "UserRead" in html
    _assert_no_token(html, token)


def test_there_is_no_add_page(admin_browser: Client) -> None:
    response = admin_browser.get(reverse("admin:django_civitai_auth_civitaitoken_add"))
    assert response.status_code == 403


def _act(client: Client, action: str, *tokens: CivitaiToken) -> str:
    response = client.post(
        reverse("admin:django_civitai_auth_civitaitoken_changelist"),
        {"action": action, "_selected_action": [token.pk for token in tokens]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_refresh_action(civitai_site: Any, admin_browser: Client) -> None:
    token = token_for(civitai_site)
    expire(token)
    before = stored_pair(token)[0]
    html = _act(admin_browser, "refresh_selected", token)
    assert "1 token(s) refreshed" in html
    after = stored_pair(token)[0]
    assert after != before
    assert civitai_site.is_token_active(after)
    _assert_no_token(html, token)


def test_refresh_action_reports_a_dead_grant(civitai_site: Any, admin_browser: Client) -> None:
    token = token_for(civitai_site)
    civitai_site.add_fault("token", "invalid_grant")
    html = _act(admin_browser, "refresh_selected", token)
    assert "ReauthenticationRequired" in html


def test_revoke_action(civitai_site: Any, admin_browser: Client) -> None:
    token = token_for(civitai_site)
    refresh = stored_pair(token)[1]
    html = _act(admin_browser, "revoke_selected", token)
    assert "1 token(s) revoked and deleted" in html
    assert not civitai_site.is_token_active(refresh)
    assert not CivitaiToken.objects.exists()


@pytest.mark.postgres  # the row is re-read under SELECT ... FOR UPDATE there
def test_revoke_action_revokes_the_pair_stored_when_it_reaches_the_row(
    civitai_site: Any, admin_browser: Client
) -> None:
    # The action gets the selected rows up front; a refresh of the second row while the first
    # is being revoked must not leave the second row's new pair live at Civitai.
    first, second = (token_for(civitai_site, civitai_user_id=uid) for uid in (12345, 23456))

    def user_is_active_meanwhile(sender: Any, user_id: Any, **kwargs: Any) -> None:
        if user_id == first.user_id:
            get_access_token(second.user, force_refresh=True)

    signals.token_revoked.connect(user_is_active_meanwhile, weak=False)
    try:
        html = _act(admin_browser, "revoke_selected", first, second)
    finally:
        signals.token_revoked.disconnect(user_is_active_meanwhile)

    assert "2 token(s) revoked and deleted" in html
    assert civitai_site.count("token", grant="refresh_token") == 1
    assert live_tokens(civitai_site, 12345) == []
    assert live_tokens(civitai_site, 23456) == []
    assert not CivitaiToken.objects.exists()
