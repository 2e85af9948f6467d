"""manage.py civitai_rotate_keys re-encrypts every token row with the newest key."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from django_civitai_auth.fields import EncryptedTextField
from django_civitai_auth.models import CivitaiToken
from tests.test_token_capture import make_account

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
LOST = Fernet.generate_key().decode()


def raw(token: CivitaiToken, attname: str = "access_token") -> str:
    fresh = CivitaiToken.objects.get(pk=token.pk)
    return str(EncryptedTextField.raw_value(fresh, attname))


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("civitai_rotate_keys", *args, stdout=out)
    return out.getvalue()


def test_rows_are_re_encrypted_with_the_newest_key(settings: Any) -> None:
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [OLD]
    tokens = [make_account(uid=str(uid)) for uid in range(3)]
    before = [raw(token) for token in tokens]

    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [NEW, OLD]
    output = rotate("--batch-size", "2")

    assert "Re-encrypted 3 of 3" in output
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [NEW]  # the old key can go now
    for token, old_raw in zip(tokens, before, strict=True):
        fresh = CivitaiToken.objects.get(pk=token.pk)
        assert raw(token) != old_raw
        assert fresh.access_token.startswith("civitai_")
        assert fresh.refresh_token.startswith("civitai_")


def test_dry_run_writes_nothing(settings: Any) -> None:
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [OLD]
    token = make_account()
    before = raw(token)
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [NEW, OLD]

    output = rotate("--dry-run")

    assert "Dry run: 1 of 1" in output
    assert raw(token) == before


def test_unreadable_rows_are_listed_by_pk_and_fail_the_command(settings: Any) -> None:
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [LOST]
    lost = make_account(uid="1")
    lost_value = CivitaiToken.objects.get(pk=lost.pk).access_token
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [OLD]
    kept = make_account(uid="2")
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [NEW, OLD]
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("civitai_rotate_keys", stdout=out)

    message = str(failure.value)
    assert f"pk: {lost.pk})" in message
    assert lost_value not in message
    assert "Re-encrypted 1 of 2" in out.getvalue()
    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [NEW]
    assert CivitaiToken.objects.get(pk=kept.pk).access_token.startswith("civitai_")


def test_row_changed_meanwhile_is_not_overwritten(settings: Any, monkeypatch: Any) -> None:
    from django_civitai_auth import key_rotation

    settings.CIVITAI_AUTH_ENCRYPTION_KEYS = [NEW, OLD]
    token = make_account()
    real = key_rotation._reencrypted

    def and_a_refresh_lands(row: CivitaiToken, attnames: list[str]) -> Any:
        # Simulates a refresh committing between the read and the write of this row.
        CivitaiToken.objects.filter(pk=row.pk).update(
            access_token="civitai_" + "f" * 36, generation=row.generation + 1
        )
        return real(row, attnames)

    monkeypatch.setattr(key_rotation, "_reencrypted", and_a_refresh_lands)
    output = rotate()

    assert "Re-encrypted 0 of 1" in output
    assert CivitaiToken.objects.get(pk=token.pk).access_token == "civitai_" + "f" * 36
