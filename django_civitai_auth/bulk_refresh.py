"""Refreshing many users' tokens at once: the logic behind ``manage.py civitai_refresh``.

A row is due when it is active, holds a refresh token, and either its refresh token is old
enough to be at risk of Civitai's 30-day limit (or its age is unknown), or its access token is
still alive but expires within the window. An access token that expired long ago is *not* due
by itself: refreshing every idle user's dead access token would spend Civitai's 20 requests a
minute on rows that nothing needs; ``get_access_token`` refreshes those on demand.

The most at-risk rows go first: unknown refresh-token age, then the oldest refresh tokens, then
the access tokens about to expire, so ``--limit`` and an interrupted run spend the budget where
a user is closest to being signed out. Rows are read a chunk at a time by keyset pagination
(never OFFSET, never every id at once) and handed to a fixed number of worker threads through a
bounded queue, so memory stays flat however many rows are due. Only rows last written before
the run began are read, so a row rotated during the run is never picked up again by it.

Each row goes through the same single-flight claim as ``get_access_token`` (without waiting):
a row another process or server is refreshing right now is counted as skipped, never refreshed
twice. A 429 pauses every worker and the row is tried again; its stored pair is never touched
by a failure. Ctrl-C stops handing out rows and lets the calls in flight finish and store their
answer, so an interrupted run loses nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from django_civitai_auth import token_endpoint
from django_civitai_auth.budget import RateBudget
from django_civitai_auth.exceptions import (
    CivitaiUnavailable,
    ReauthenticationRequired,
    TokenDecryptionError,
)
from django_civitai_auth.models import CivitaiToken, TokenStatus
from django_civitai_auth.refresh import RefreshInProgress, refresh_access_token

DEFAULT_WITHIN_SECONDS = 15 * 60
DEFAULT_REFRESH_AGE_DAYS = 20.0
DEFAULT_CONCURRENCY = 8
CHUNK_SIZE = 200
RATE_LIMIT_RETRIES = 8
RATE_LIMIT_FIRST_PAUSE = 5.0
RATE_LIMIT_MAX_PAUSE = 60.0


@dataclasses.dataclass
class RefreshPlan:
    """What to refresh and how fast. ``rate`` is requests a minute; 0 or less means no budget."""

    within_seconds: float = DEFAULT_WITHIN_SECONDS
    refresh_age_days: float = DEFAULT_REFRESH_AGE_DAYS
    user_ids: list[Any] | None = None
    everything: bool = False
    limit: int | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    rate: float = 20.0
    dry_run: bool = False


@dataclasses.dataclass(frozen=True)
class Failure:
    user_id: Any
    token_id: int
    reason: str


@dataclasses.dataclass
class RefreshReport:
    """Counts of one run, and why each failure failed. Never holds a token."""

    due: int = 0
    refreshed: int = 0
    skipped: int = 0
    rate_limited: int = 0
    failures: list[Failure] = dataclasses.field(default_factory=list)
    interrupted: bool = False
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def done(self) -> int:
        return self.refreshed + self.skipped + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "refreshed": self.refreshed,
            "skipped": self.skipped,
            "failed": self.failed,
            "rate_limited_retries": self.rate_limited,
            "interrupted": self.interrupted,
            "dry_run": self.dry_run,
            "failures": [dataclasses.asdict(failure) for failure in self.failures],
        }


@dataclasses.dataclass(frozen=True)
class _Slice:
    """One ordered part of the due rows: ``rows`` read in (``key``, pk) order."""

    rows: QuerySet[CivitaiToken]
    key: str | None  # None: primary-key order only


def _candidates(plan: RefreshPlan, moment: dt.datetime) -> QuerySet[CivitaiToken]:
    # Rows written after the run began were rotated (or signed in) during it: never twice.
    rows = CivitaiToken.objects.filter(status=TokenStatus.ACTIVE, updated_at__lte=moment).exclude(
        refresh_token=""
    )
    if plan.user_ids is not None:
        rows = rows.filter(user_id__in=plan.user_ids)
    return rows


def _conditions(plan: RefreshPlan, moment: dt.datetime) -> list[tuple[Q, str | None]]:
    """Disjoint conditions for the due rows and the key each is read in, most at risk first."""
    unknown_age = Q(refresh_token_issued_at__isnull=True)
    if plan.everything:
        return [(unknown_age, None), (~unknown_age, "refresh_token_issued_at")]
    at_risk_before = moment - dt.timedelta(days=plan.refresh_age_days)
    expiring_soon = Q(
        refresh_token_issued_at__gt=at_risk_before,
        expires_at__gt=moment,  # already dead: refreshed on demand, not by a scheduled run
        expires_at__lte=moment + dt.timedelta(seconds=plan.within_seconds),
    )
    return [
        (unknown_age, None),
        (Q(refresh_token_issued_at__lte=at_risk_before), "refresh_token_issued_at"),
        (expiring_soon, "expires_at"),
    ]


def due_tokens(plan: RefreshPlan, now: dt.datetime | None = None) -> QuerySet[CivitaiToken]:
    """Every row the run would refresh at ``now``, unordered (``--dry-run`` counts these)."""
    moment = now or timezone.now()
    either = Q()
    for condition, _key in _conditions(plan, moment):
        either |= condition
    return _candidates(plan, moment).filter(either)


def _slices(plan: RefreshPlan, moment: dt.datetime) -> list[_Slice]:
    rows = _candidates(plan, moment)
    return [_Slice(rows.filter(condition), key) for condition, key in _conditions(plan, moment)]


def _keyset(part: _Slice) -> Iterator[CivitaiToken]:
    """One slice in (key, pk) order, CHUNK_SIZE rows per query, resuming after the last row."""
    order = ("pk",) if part.key is None else (part.key, "pk")
    rows = part.rows.order_by(*order)
    chunk = list(rows[:CHUNK_SIZE])
    while chunk:
        yield from chunk
        last = chunk[-1]
        if part.key is None:
            after = Q(pk__gt=last.pk)
        else:
            value = getattr(last, part.key)
            after = Q(**{f"{part.key}__gt": value}) | Q(**{part.key: value, "pk__gt": last.pk})
        chunk = list(rows.filter(after)[:CHUNK_SIZE])


def _due_rows(plan: RefreshPlan, moment: dt.datetime) -> Iterator[CivitaiToken]:
    """The due rows, most at risk first, at most ``plan.limit`` of them."""
    handed_out = 0
    for part in _slices(plan, moment):
        for row in _keyset(part):
            if plan.limit is not None and handed_out >= plan.limit:
                return
            handed_out += 1
            yield row


class _Run:
    def __init__(
        self, plan: RefreshPlan, report: RefreshReport, progress: Callable[[RefreshReport], None]
    ) -> None:
        self.plan = plan
        self.report = report
        self.progress = progress
        self.budget = RateBudget(plan.rate)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.local = threading.local()
        self.work: queue.Queue[CivitaiToken | None] = queue.Queue(maxsize=plan.concurrency * 2)

    def worker(self) -> None:
        try:
            while (row := self.work.get()) is not None:
                outcome = self.refresh_one(row)
                with self.lock:
                    self.record(row, outcome)
                    self.progress(self.report)
        finally:
            connections.close_all()  # this thread's connections, opened for its rows

    def record(self, row: CivitaiToken, outcome: str) -> None:
        if outcome == "refreshed":
            self.report.refreshed += 1
        elif outcome in ("skipped", "interrupted"):
            self.report.skipped += 1
        else:
            self.report.failures.append(Failure(row.user_id, row.pk, outcome))

    def backend(self) -> Any:
        # One backend per thread for the whole run: building it (a social-auth strategy and
        # its settings) for every row costs CPU that the threads would contend for.
        backend = getattr(self.local, "backend", None)
        if backend is None:
            backend = self.local.backend = token_endpoint.load_backend()
        return backend

    def refresh_one(self, row: CivitaiToken) -> str:
        pause = RATE_LIMIT_FIRST_PAUSE
        for _attempt in range(RATE_LIMIT_RETRIES + 1):
            if not self.budget.acquire(self.stop):
                return "interrupted"
            try:
                result = refresh_access_token(row, wait=False, backend=self.backend())
            except RefreshInProgress:
                return "skipped"  # another process or server is rotating it right now
            except token_endpoint.CivitaiRateLimited:
                with self.lock:
                    self.report.rate_limited += 1
                self.budget.back_off(pause)
                pause = min(pause * 2, RATE_LIMIT_MAX_PAUSE)
                continue
            except ReauthenticationRequired:
                return "reauthentication_required"
            except CivitaiUnavailable as error:
                return f"unavailable: {error}"
            except TokenDecryptionError:
                return "decryption_error"
            except Exception as error:  # one bad row must not end the run
                return f"error: {type(error).__name__}"
            return "refreshed" if result.refreshed_here else "skipped"
        return "rate_limited"


def refresh_due_tokens(
    plan: RefreshPlan, progress: Callable[[RefreshReport], None] = lambda report: None
) -> RefreshReport:
    """Refresh every due row (see module docstring); returns the run's counts."""
    moment = timezone.now()
    total = due_tokens(plan, moment).count()
    report = RefreshReport(
        due=total if plan.limit is None else min(total, plan.limit), dry_run=plan.dry_run
    )
    if plan.dry_run or report.due == 0:
        return report
    run = _Run(plan, report, progress)
    workers = [
        threading.Thread(target=run.worker, name=f"civitai-refresh-{n}", daemon=True)
        for n in range(max(1, plan.concurrency))
    ]
    for thread in workers:
        thread.start()
    try:
        for row in _due_rows(plan, moment):
            run.work.put(row)
    except KeyboardInterrupt:
        # Stop handing out rows; calls already at Civitai finish and store their answer.
        report.interrupted = True
        run.stop.set()
        _drain(run.work)
    finally:
        for _thread in workers:
            run.work.put(None)
        for thread in workers:
            thread.join()
    return report


def _drain(work: queue.Queue[CivitaiToken | None]) -> None:
    while True:
        try:
            work.get_nowait()
        except queue.Empty:
            return
