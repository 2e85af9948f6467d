"""Tokens never stay in UserSocialAuth.extra_data; they land encrypted in CivitaiToken."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from social_django.models import UserSocialAuth

from django_civitai_auth.models import CivitaiToken, TokenStatus
from tests.plaintext import assert_no_plaintext, find_plaintext

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def new_token() -> str:
    return "civitai_" + secrets.token_hex(18)


def make_account(uid: str = "12345", **extra: Any) -> CivitaiToken:
    """A Civitai account saved the way social-core's pipeline saves it."""
    user = get_user_model().objects.create_user(username=f"user{uid}")
    social = UserSocialAuth.objects.create(user=user, provider="civitai", uid=uid)
    social.set_extra_data(
        {
            "access_token": new_token(),
            "refresh_token": new_token(),
            "expires_in": 3600,
            "scope": 16385,
            **extra,
        }
    )
    return CivitaiToken.objects.get(social_auth=social)


def test_tokens_move_from_extra_data_into_the_encrypted_row() -> None:
    access, refresh = new_token(), new_token()
    token = make_account(access_token=access, refresh_token=refresh, id_token="header.x.y")

    social = UserSocialAuth.objects.get()
    assert social.extra_data["scope"] == 16385
    assert not {"access_token", "refresh_token", "id_token"} & set(social.extra_data)
    assert (token.access_token, token.refresh_token) == (access, refresh)
    assert token.scope == 16385
    assert token.status == TokenStatus.ACTIVE
    assert token.refresh_token_issued_at is not None
    assert_no_plaintext(access, refresh, "header.x.y")


def test_plaintext_scan_finds_a_token_left_in_extra_data() -> None:
    # The scan itself must be able to fail: a row written without the receivers is found.
    leaked = new_token()
    user = get_user_model().objects.create_user(username="leaky")
    UserSocialAuth.objects.filter(
        pk=UserSocialAuth.objects.create(user=user, provider="github", uid="1").pk
    ).update(extra_data={"access_token": leaked})

    assert find_plaintext(leaked) == [("social_auth_usersocialauth", "extra_data")]
    with pytest.raises(AssertionError):
        assert_no_plaintext(leaked)


def test_other_providers_are_left_alone() -> None:
    user = get_user_model().objects.create_user(username="octo")
    social = UserSocialAuth.objects.create(user=user, provider="github", uid="9")
    social.set_extra_data({"access_token": "gho_x"})

    assert UserSocialAuth.objects.get().extra_data["access_token"] == "gho_x"
    assert not CivitaiToken.objects.exists()


def test_a_new_sign_in_updates_the_row_and_revives_it() -> None:
    token = make_account()
    CivitaiToken.objects.update(status=TokenStatus.REAUTH_REQUIRED)
    social = UserSocialAuth.objects.get()
    access, refresh = new_token(), new_token()

    social.set_extra_data({"access_token": access, "refresh_token": refresh, "scope": 1})

    fresh = CivitaiToken.objects.get()
    assert fresh.pk == token.pk
    assert (fresh.access_token, fresh.refresh_token) == (access, refresh)
    assert fresh.status == TokenStatus.ACTIVE
    assert fresh.generation == token.generation + 1
    assert fresh.scope == 1


def test_an_answer_without_refresh_token_keeps_the_stored_one() -> None:
    token = make_account()
    old_refresh = token.refresh_token
    social = UserSocialAuth.objects.get()

    social.set_extra_data({"access_token": new_token(), "expires_in": 60})

    assert CivitaiToken.objects.get().refresh_token == old_refresh


def test_saving_other_fields_does_not_touch_tokens() -> None:
    token = make_account()
    social = UserSocialAuth.objects.get()
    social.save(update_fields=["modified"])

    assert CivitaiToken.objects.get().generation == token.generation
