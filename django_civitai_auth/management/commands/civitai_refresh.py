"""manage.py civitai_refresh: keep every user's Civitai tokens alive (run it from cron daily)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_civitai_auth import bulk_refresh
from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.progress import ProgressBar
from django_civitai_auth.user_lookup import user_ids_for


class Command(BaseCommand):
    help = (
        "Refresh Civitai tokens that are due: access tokens expiring soon and refresh tokens "
        "old enough to be at risk of Civitai's 30-day limit. Safe to run on several servers "
        "at once and to interrupt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--within",
            type=float,
            default=bulk_refresh.DEFAULT_WITHIN_SECONDS,
            metavar="SECONDS",
            help="refresh live access tokens expiring within this many seconds (default 900)",
        )
        parser.add_argument(
            "--refresh-age",
            type=float,
            default=bulk_refresh.DEFAULT_REFRESH_AGE_DAYS,
            metavar="DAYS",
            help="rotate refresh tokens at least this old (default 20; they die at 30)",
        )
        parser.add_argument(
            "--user",
            action="append",
            dest="users",
            metavar="USER",
            help="only this user (username, email or id); repeatable",
        )
        parser.add_argument(
            "--all", action="store_true", help="every active token, whether due or not"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what is due; change nothing"
        )
        parser.add_argument("--limit", type=int, metavar="N", help="refresh at most N tokens")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=bulk_refresh.DEFAULT_CONCURRENCY,
            metavar="N",
            help="parallel requests (default 8; with the 20/min budget one would do)",
        )
        parser.add_argument(
            "--rate",
            type=float,
            metavar="PER_MINUTE",
            help="token requests a minute (default CIVITAI_AUTH_RATE_BUDGET, 20); 0 = no budget",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.")
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit cannot be negative.")
        rate = options["rate"]
        plan = bulk_refresh.RefreshPlan(
            within_seconds=options["within"],
            refresh_age_days=options["refresh_age"],
            user_ids=user_ids_for(options["users"]) if options["users"] else None,
            everything=options["all"],
            limit=options["limit"],
            concurrency=options["concurrency"],
            rate=civitai_settings.rate_budget_per_minute if rate is None else rate,
            dry_run=options["dry_run"],
        )
        bar: ProgressBar | None = None

        def progress(report: bulk_refresh.RefreshReport) -> None:
            nonlocal bar
            if options["json"]:
                return
            if bar is None:
                bar = ProgressBar(self.stdout._out, report.due)  # type: ignore[arg-type]
            bar.update(report.done, f"refreshed {report.refreshed} failed {report.failed}")

        report = bulk_refresh.refresh_due_tokens(plan, progress)
        if bar is not None:
            bar.finish()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            self._summarise(report)
        if report.failed or report.interrupted:
            raise CommandError(
                f"{report.failed} refresh(es) failed" if report.failed else "interrupted",
                returncode=1,
            )

    def _summarise(self, report: bulk_refresh.RefreshReport) -> None:
        if report.dry_run:
            self.stdout.write(f"{report.due} token(s) due; dry run, nothing refreshed.")
            return
        self.stdout.write(
            f"{report.due} due: {report.refreshed} refreshed, {report.skipped} skipped "
            f"(already refreshed or being refreshed elsewhere), {report.failed} failed, "
            f"{report.rate_limited} rate-limited retries."
        )
        for failure in report.failures:
            self.stdout.write(
                f"  user {failure.user_id} (token {failure.token_id}): {failure.reason}"
            )
        if report.interrupted:
            self.stdout.write("Interrupted: rows not reached are untouched; run again.")
