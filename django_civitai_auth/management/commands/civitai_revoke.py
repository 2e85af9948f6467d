"""manage.py civitai_revoke: revoke users' Civitai tokens at Civitai and delete them here."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_civitai_auth import revocation
from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.user_lookup import user_ids_for


class Command(BaseCommand):
    help = (
        "Revoke Civitai tokens (the refresh token, which takes its access tokens with it) and "
        "delete the local copies whatever Civitai answers: its 200 {} proves nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user",
            action="append",
            dest="users",
            metavar="USER",
            help="this user's tokens (username, email or id); repeatable",
        )
        parser.add_argument("--all", action="store_true", help="every stored token")
        parser.add_argument(
            "--inactive-days",
            type=float,
            metavar="N",
            help="tokens of users whose last sign-in is older than N days",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask before --all")
        parser.add_argument("--dry-run", action="store_true", help="count; change nothing")
        parser.add_argument(
            "--rate",
            type=float,
            metavar="PER_MINUTE",
            help="revoke requests a minute (default CIVITAI_AUTH_RATE_BUDGET, 20); 0 = no budget",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["users"] or options["all"] or options["inactive_days"] is not None):
            raise CommandError("Say whose tokens to revoke: --user, --inactive-days or --all.")
        if options["all"] and not options["dry_run"] and not options["yes"]:
            self._confirm_all()
        rows = revocation.tokens_to_revoke(
            user_ids=user_ids_for(options["users"]) if options["users"] else None,
            everything=options["all"],
            inactive_days=options["inactive_days"],
        )
        rate = options["rate"]
        report = revocation.revoke_selected(
            rows,
            rate=civitai_settings.rate_budget_per_minute if rate is None else rate,
            dry_run=options["dry_run"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        self._summarise(report)

    def _confirm_all(self) -> None:
        if not sys.stdin.isatty():
            raise CommandError("--all revokes every user's tokens; add --yes to confirm.")
        answer = input("Revoke and delete EVERY user's Civitai tokens? Type 'yes' to continue: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Cancelled; nothing was revoked.")

    def _summarise(self, report: revocation.RevokeReport) -> None:
        if report.dry_run:
            self.stdout.write(f"{report.selected} token(s) would be revoked; dry run.")
            return
        summary = report.as_dict()
        self.stdout.write(
            f"{summary['deleted']} token(s) deleted locally; "
            f"{summary['revoked_at_civitai']} revoke request(s) sent to Civitai "
            "(Civitai answers 200 whether or not it revoked anything)."
        )
        if summary["public_client"]:
            self.stdout.write(
                f"{summary['public_client']} not sent: this is a public app (no client "
                "secret), and Civitai's revoke endpoint only accepts confidential clients."
            )
        if summary["unreachable"]:
            self.stdout.write(
                f"{len(summary['unreachable'])} could not be revoked at Civitai (unreachable "
                "or failing); they were deleted locally anyway and die when they expire."
            )
