"""Re-encrypting every stored token with the newest key of CIVITAI_AUTH_ENCRYPTION_KEYS.

Works on the raw ciphertext (no token is ever held decrypted longer than MultiFernet.rotate
takes) and writes with ``QuerySet.update`` guarded by ``generation``: a row that a refresh or a
sign-in rewrote meanwhile already carries the newest key and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model

from django_civitai_auth import crypto
from django_civitai_auth.exceptions import TokenDecryptionError
from django_civitai_auth.fields import Ciphertext, EncryptedTextField
from django_civitai_auth.models import CivitaiToken

DEFAULT_BATCH_SIZE = 500


@dataclass
class RotationReport:
    """What a rotation did; ``unreadable`` holds primary keys only, never values."""

    examined: int = 0
    rotated: int = 0
    changed_meanwhile: int = 0
    unreadable: list[int] = field(default_factory=list)
    dry_run: bool = False


def encrypted_attnames(model: type[Model] = CivitaiToken) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def rotate_keys(*, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every CivitaiToken with the newest key, ``batch_size`` rows at a time."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    attnames = encrypted_attnames()
    report = RotationReport(dry_run=dry_run)
    last_pk = 0
    while True:
        batch = list(
            CivitaiToken.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "generation", *attnames)[:batch_size]
        )
        if not batch:
            return report
        for row in batch:
            last_pk = row.pk
            report.examined += 1
            try:
                changes = _reencrypted(row, attnames)
            except TokenDecryptionError:
                report.unreadable.append(row.pk)
                continue
            if dry_run or not changes:
                continue
            written = CivitaiToken.objects.filter(pk=row.pk, generation=row.generation).update(
                **changes
            )
            if written:
                report.rotated += 1
            else:
                report.changed_meanwhile += 1


def _reencrypted(row: CivitaiToken, attnames: list[str]) -> dict[str, Ciphertext]:
    changes: dict[str, Ciphertext] = {}
    for attname in attnames:
        raw = EncryptedTextField.raw_value(row, attname)
        if raw:
            changes[attname] = Ciphertext(crypto.reencrypt(str(raw)))
    return changes
