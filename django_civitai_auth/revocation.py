"""Revoking a user's Civitai tokens at Civitai and deleting the local copy, whatever happens.

Civitai answers ``200 {}`` to every well-formed revoke request, whether or not it revoked
anything, so the answer proves nothing: the local rows are deleted in every case, also when
Civitai cannot be reached (the outcome says so). A public app cannot authenticate to the revoke
endpoint at all and only deletes locally.

Every path (sign-out, the admin action, ``civitai_revoke``, cascades) deletes the row first and
revokes the refresh token the row held at that moment, never a copy read earlier, so a refresh
that happened in between cannot leave its new grant live at Civitai.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import OperationalError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from django_civitai_auth import signals, token_endpoint
from django_civitai_auth.budget import RateBudget
from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.exceptions import CivitaiUnavailable, TokenDecryptionError
from django_civitai_auth.models import CivitaiToken

logger = logging.getLogger(__name__)

# Rows this context is revoking itself: the pre_delete receiver must not revoke them twice.
_revoking: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "civitai_revoking", default=frozenset()
)
_RATE_LIMIT_RETRIES = 3
_TAKE_ATTEMPTS = 5
_RATE_LIMIT_PAUSE = 10.0

REVOKED = "revoked"  # Civitai received the revoke request (its 200 proves no more than that)
PUBLIC_CLIENT = "public_client"  # a public app has no credentials for /revoke
NOTHING_STORED = "nothing_stored"  # no refresh token left to revoke
UNREACHABLE = "unreachable"  # Civitai failed or could not be reached; deleted locally anyway

_EXPLANATIONS = {
    REVOKED: "revoke request sent to Civitai; local tokens deleted",
    PUBLIC_CLIENT: "public app: Civitai's revoke endpoint needs a client secret, "
    "so the tokens were only deleted locally",
    NOTHING_STORED: "no refresh token stored; local row deleted",
    UNREACHABLE: "Civitai could not be reached; local tokens deleted anyway",
}


@dataclasses.dataclass(frozen=True)
class RevokeOutcome:
    """What happened to one CivitaiToken row. Never holds a token."""

    token_pk: int
    user_id: Any
    result: str

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self.result]


@dataclasses.dataclass(frozen=True, repr=False)
class _Secret:
    """The plaintext needed for one revoke call, kept only in memory and never in a repr."""

    refresh_token: str
    uid: str


def is_being_revoked(pk: int) -> bool:
    return pk in _revoking.get()


@contextlib.contextmanager
def _revoking_rows(pks: Iterable[int]) -> Iterator[None]:
    marker = _revoking.set(_revoking.get() | frozenset(pks))
    try:
        yield
    finally:
        _revoking.reset(marker)


@sensitive_variables("refresh_token")
def _secret_of(token: CivitaiToken) -> _Secret | None:
    try:
        refresh_token = token.refresh_token
    except TokenDecryptionError:
        return None
    if not refresh_token:
        return None
    return _Secret(refresh_token, str(getattr(token.social_auth, "uid", "")))


# Hidden from error reports with every frame below it (sensitive_variables).
@sensitive_variables()
def send_revocation(
    secret: _Secret | None, *, budget: RateBudget | None = None, backend: Any = None
) -> str:
    """Ask Civitai to revoke one refresh token; returns a result code and never raises."""
    if civitai_settings.is_public_client:
        return PUBLIC_CLIENT
    if secret is None:
        return NOTHING_STORED
    for _attempt in range(_RATE_LIMIT_RETRIES + 1):
        if budget is not None:
            budget.acquire()
        try:
            token_endpoint.revoke_refresh_token(secret.refresh_token, secret.uid, backend=backend)
        except token_endpoint.CivitaiRateLimited:
            if budget is not None:
                budget.back_off(_RATE_LIMIT_PAUSE)
            continue
        except CivitaiUnavailable as error:
            logger.warning("Revoking a Civitai token failed (%s); deleting it locally", error)
            return UNREACHABLE
        except Exception:  # an outage must never break sign-out or deletion
            logger.exception("Revoking a Civitai token failed; deleting it locally")
            return UNREACHABLE
        return REVOKED
    logger.warning("Civitai kept rate-limiting the revoke request; deleting the token locally")
    return UNREACHABLE


# Hidden from error reports with every frame below it: the row's plaintext passes through.
@sensitive_variables()
def revoke_row(
    pk: int, *, reason: str, budget: RateBudget | None = None, backend: Any = None
) -> RevokeOutcome | None:
    """Take one row out of play, then revoke at Civitai the refresh token it held at that moment.

    The row is re-read and deleted in one short transaction, locked where the database can, so
    the token sent is the one stored *now*: a row read minutes earlier (a chunk of the command,
    an admin selection) may have been refreshed since, and revoking its old, already-rotated
    token would leave the new grant live at Civitai for 30 days. A refresh still in flight finds
    the row gone and revokes the pair it was given (refresh.py). The call to Civitai comes after
    that transaction, so no lock is held across it unless the caller has a transaction open.
    Returns None when the row was already gone (whoever deleted it revoked it).
    """
    taken = _take_row(pk)
    if taken is None:
        return None
    row, secret = taken
    result = send_revocation(secret, budget=budget, backend=backend)
    signals.token_revoked.send(sender=CivitaiToken, token=row, user_id=row.user_id, reason=reason)
    return RevokeOutcome(pk, row.user_id, result)


@sensitive_variables()
def _take_row(pk: int) -> tuple[CivitaiToken, _Secret | None] | None:
    """Delete one row and return it with its current refresh token; None if already gone."""
    for attempt in range(_TAKE_ATTEMPTS):
        try:
            with _revoking_rows([pk]), transaction.atomic():
                row = CivitaiToken.objects.select_for_update().filter(pk=pk).first()
                if row is None:
                    return None
                secret = _secret_of(row)
                CivitaiToken.objects.filter(pk=pk).delete()
                return row, secret
        except OperationalError:
            # SQLite cannot lock the row: its read-then-delete fails at once ("database is
            # locked") when a refresh wrote in between. Read again: that is the token to revoke.
            if attempt == _TAKE_ATTEMPTS - 1 or transaction.get_connection().in_atomic_block:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def revoke_and_delete(
    pks: Iterable[int],
    *,
    reason: str,
    budget: RateBudget | None = None,
    backend: Any = None,
) -> list[RevokeOutcome]:
    """Revoke and delete each row (``revoke_row``), whatever Civitai says; one outcome per row.

    Only primary keys are taken: each row is read again when its turn comes.
    """
    outcomes = []
    for pk in pks:
        outcome = revoke_row(pk, reason=reason, budget=budget, backend=backend)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def revoke_user_tokens(user_id: Any, *, reason: str) -> list[RevokeOutcome]:
    """Revoke and delete every Civitai token row of one user."""
    pks = CivitaiToken.objects.filter(user_id=user_id).order_by("pk").values_list("pk", flat=True)
    return revoke_and_delete(list(pks), reason=reason)


# Hidden from error reports with every frame below it (sensitive_variables).
@sensitive_variables()
def revoke_unstored_pair(token: CivitaiToken, refresh_token: str | None) -> str:
    """Revoke a pair Civitai issued that will never be stored; returns the result, never raises.

    A refresh whose answer arrives after the row was deleted or given a newer pair (a sign-out,
    a disconnect, a new sign-in) holds the only copy of that pair: nobody could revoke it later.
    """
    if not refresh_token:
        return NOTHING_STORED
    uid = str(getattr(token.social_auth, "uid", "") or "")
    return send_revocation(_Secret(refresh_token, uid))


def revoke_after_commit(token: CivitaiToken, *, reason: str) -> None:
    """For a row about to be deleted by someone else (a cascade): revoke once that commits.

    The plaintext is read now, locked where the database can, from the row as it is stored in
    the deleting transaction: the instance the deletion collected may predate a refresh, and
    a refresh that comes after the lock finds the row gone and revokes its own pair. The call
    is made after the deleting transaction commits, so no transaction stays open across it and
    a rolled-back deletion revokes nothing.
    """
    with transaction.atomic():
        current = CivitaiToken.objects.select_for_update().filter(pk=token.pk).first()
        secret = _secret_of(current if current is not None else token)
    user_id = token.user_id

    def send() -> None:
        result = send_revocation(secret)
        signals.token_revoked.send(sender=CivitaiToken, token=token, user_id=user_id, reason=reason)
        logger.info("Civitai token of user %s revoked on %s: %s", user_id, reason, result)

    transaction.on_commit(send)


@dataclasses.dataclass
class RevokeReport:
    """Counts of one ``civitai_revoke`` run, by result. Never holds a token."""

    selected: int = 0
    dry_run: bool = False
    outcomes: list[RevokeOutcome] = dataclasses.field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "dry_run": self.dry_run,
            "deleted": len(self.outcomes),
            "revoked_at_civitai": self.count(REVOKED),
            "public_client": self.count(PUBLIC_CLIENT),
            "nothing_stored": self.count(NOTHING_STORED),
            "unreachable": [
                {"user_id": outcome.user_id, "token_id": outcome.token_pk}
                for outcome in self.outcomes
                if outcome.result == UNREACHABLE
            ],
        }


def tokens_to_revoke(
    *,
    user_ids: list[Any] | None = None,
    everything: bool = False,
    inactive_days: float | None = None,
) -> QuerySet[CivitaiToken]:
    """Rows of the users named, of users not seen for ``inactive_days``, or every row."""
    rows = CivitaiToken.objects.all()
    if everything:
        return rows
    selection = Q(pk__in=[])
    if user_ids:
        selection |= Q(user_id__in=user_ids)
    if inactive_days is not None:
        cutoff = timezone.now() - dt.timedelta(days=inactive_days)
        # A user who never signed in since the column existed counts by when they joined.
        selection |= Q(user__last_login__lt=cutoff) | Q(
            user__last_login__isnull=True, user__date_joined__lt=cutoff
        )
    return rows.filter(selection)


def revoke_selected(
    rows: QuerySet[CivitaiToken], *, rate: float, dry_run: bool = False, chunk_size: int = 200
) -> RevokeReport:
    """Revoke and delete ``rows`` in primary-key order, within the token-endpoint budget."""
    report = RevokeReport(selected=rows.count(), dry_run=dry_run)
    if dry_run:
        return report
    budget = RateBudget(rate)
    backend = None if civitai_settings.is_public_client else token_endpoint.load_backend()
    last_pk = 0
    # Only primary keys are read a chunk at a time: a row's token is read when it is revoked,
    # which at 20 a minute can be ten minutes after its chunk was read.
    while chunk := list(
        rows.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk_size]
    ):
        last_pk = chunk[-1]
        report.outcomes.extend(
            revoke_and_delete(chunk, reason="command", budget=budget, backend=backend)
        )
    return report
