"""EncryptedTextField: ciphertext in the database, plaintext only on attribute access."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from django_civitai_auth.exceptions import TokenDecryptionError
from django_civitai_auth.fields import Ciphertext, EncryptedTextField
from django_civitai_auth.models import CivitaiToken
from tests.plaintext import assert_no_plaintext
from tests.test_token_capture import make_account

pytestmark = pytest.mark.django_db


def test_database_holds_ciphertext_and_reads_decrypt() -> None:
    token = make_account()
    fresh = CivitaiToken.objects.get(pk=token.pk)
    access = fresh.access_token

    raw = EncryptedTextField.raw_value(fresh, "access_token")
    assert isinstance(raw, Ciphertext)
    assert raw != access
    assert access.startswith("civitai_")
    assert "civitai_" not in repr(raw)
    assert_no_plaintext(access)


def test_values_list_sees_only_ciphertext() -> None:
    token = make_account()
    access = CivitaiToken.objects.get(pk=token.pk).access_token

    (stored,) = CivitaiToken.objects.values_list("access_token", flat=True)
    assert stored != access


def test_a_row_no_key_decrypts_raises(settings: Any) -> None:
    token = make_account()
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    fresh = CivitaiToken.objects.get(pk=token.pk)
    with pytest.raises(TokenDecryptionError):
        _ = fresh.access_token


def test_an_older_listed_key_still_decrypts(settings: Any) -> None:
    old = settings.CIVITAI_AUTH_ENCRYPTION_KEYS[0]
    token = make_account()
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]

    assert CivitaiToken.objects.get(pk=token.pk).access_token.startswith("civitai_")


def test_repr_never_shows_a_token() -> None:
    token = make_account()
    fresh = CivitaiToken.objects.get(pk=token.pk)

    assert fresh.access_token not in repr(fresh)
    assert fresh.access_token not in str(fresh)
