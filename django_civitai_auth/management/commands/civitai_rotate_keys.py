"""manage.py civitai_rotate_keys: re-encrypt stored Civitai tokens with the newest key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_civitai_auth.key_rotation import DEFAULT_BATCH_SIZE, rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored Civitai token with the first (newest) key of "
        "CIVITAI_AUTH_ENCRYPTION_KEYS. Run it after adding a new key in front; remove the old "
        "key only once this reports no unreadable rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows read per query."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row decrypts; write nothing."
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        report = rotate_keys(batch_size=batch_size, dry_run=dry_run)
        readable = report.examined - len(report.unreadable)
        if dry_run:
            self.stdout.write(
                f"Dry run: {readable} of {report.examined} Civitai token rows can be "
                "re-encrypted; nothing was written."
            )
        else:
            self.stdout.write(
                f"Re-encrypted {report.rotated} of {report.examined} Civitai token rows with "
                "the newest key."
            )
            if report.changed_meanwhile:
                self.stdout.write(
                    f"{report.changed_meanwhile} rows were rewritten by a refresh or sign-in "
                    "meanwhile; they already use the newest key."
                )
        if report.unreadable:
            pks = ", ".join(str(pk) for pk in report.unreadable)
            raise CommandError(
                f"{len(report.unreadable)} Civitai token rows cannot be decrypted with any key "
                f"in CIVITAI_AUTH_ENCRYPTION_KEYS (CivitaiToken pk: {pks}). Add the key they "
                "were written with (after the newest) and run again, or delete those rows so "
                "their users sign in again."
            )
