"""Single-flight refresh: one request to Civitai per rotation, however many callers ask at once.

The database row is the coordination point, so this holds across threads, processes and
servers, on PostgreSQL and SQLite alike:

1. A caller claims a lease with one conditional UPDATE (``generation`` unchanged and no live
   lease). That statement commits on its own: no transaction stays open across the HTTP call,
   so SQLite's write lock is held for milliseconds, never for Civitai's answer.
2. The holder spends the refresh token at Civitai, then stores the new pair with another
   conditional UPDATE (``generation`` still the one it saw; ``generation + 1``, lease cleared)
   before it hands the new access token to anyone.
3. Everyone else polls the row (short sleeps with backoff, bounded by
   CIVITAI_AUTH_REFRESH_WAIT_TIMEOUT) until ``generation`` moves, then reads the new token.
4. Transient failure: the holder releases the lease and leaves the pair untouched; callers
   waiting on that attempt get CivitaiUnavailable too, so an outage costs one request, not one
   per caller. invalid_grant: the row is marked REAUTH_REQUIRED, its tokens cleared.
5. A new sign-in while Civitai answers installs its own pair and ends the lease (the holder
   then returns the sign-in's access token); a sign-out deletes the row (the holder raises
   ReauthenticationRequired). Either way the holder's pair is never stored, so it revokes it.

The lease lasts ``lease_seconds()`` (three HTTP timeouts plus five seconds), so it outlives any
call the holder can still be making. If the holder dies mid-call the lease runs out and the
next caller claims it. Residual risk, documented in docs/: if the holder died *after* Civitai
rotated the token but *before* storing the answer, the stored refresh token is already spent;
the next refresh gets invalid_grant and the user has to sign in again. Calling this inside
``transaction.atomic`` makes the claim and the new pair visible (and durable) only when the
caller's transaction commits; call it outside transactions where possible.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
import uuid
from typing import Any

from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from django_civitai_auth import revocation, signals, token_endpoint
from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.exceptions import CivitaiUnavailable, ReauthenticationRequired
from django_civitai_auth.models import CivitaiToken, TokenStatus, new_pair_changes
from django_civitai_auth.token_response import TokenGrant

logger = logging.getLogger(__name__)

_FIRST_POLL_DELAY = 0.02
_MAX_POLL_DELAY = 0.5
_STORE_ATTEMPTS = 5


class RefreshInProgress(Exception):
    """Another caller holds the refresh lease (raised only when ``wait=False``)."""


@dataclasses.dataclass(frozen=True, repr=False)
class RefreshResult:
    """The access token after a refresh, and whether this call was the one that spent it."""

    access_token: str
    refreshed_here: bool

    def __repr__(self) -> str:
        return f"<RefreshResult refreshed_here={self.refreshed_here}>"


def lease_seconds() -> float:
    """How long a claim is exclusive: comfortably longer than any HTTP call can last."""
    return civitai_settings.http_timeout * 3 + 5


def refresh_access_token(
    token: CivitaiToken,
    *,
    wait: bool = True,
    backend: Any = None,
    wait_timeout: float | None = None,
) -> RefreshResult:
    """Rotate ``token``'s pair (or join a rotation already under way) and return the new token.

    ``token`` is the row as the caller read it; its ``generation`` is the version to replace.
    Raises ReauthenticationRequired, CivitaiUnavailable (CivitaiRateLimited on a 429) or, with
    ``wait=False``, RefreshInProgress when another caller is rotating it right now.
    """
    if not token.refresh_token:
        raise ReauthenticationRequired(
            "No Civitai refresh token is stored for this user; ask them to sign in again.",
            user_id=token.user_id,
        )
    seen = token.generation
    timeout = civitai_settings.refresh_wait_timeout if wait_timeout is None else wait_timeout
    deadline = time.monotonic() + timeout
    delay = _FIRST_POLL_DELAY
    observed_claim = ""
    while True:
        claim = uuid.uuid4().hex
        if _claim(token.pk, seen, claim):
            return RefreshResult(_refresh_as_holder(token, seen, claim, backend), True)
        while True:
            current = _reread(token.pk)
            if current is None or current.status != TokenStatus.ACTIVE:
                raise ReauthenticationRequired(user_id=token.user_id)
            if current.generation != seen:
                return RefreshResult(current.access_token, False)
            now = timezone.now()
            lease_live = bool(
                current.refresh_claim
                and current.refresh_claimed_until
                and current.refresh_claimed_until > now
            )
            if lease_live:
                if not wait:
                    raise RefreshInProgress
                observed_claim = current.refresh_claim
                if time.monotonic() >= deadline:
                    raise CivitaiUnavailable(
                        f"Waited {timeout:g}s for another process to refresh this Civitai "
                        "token; try again later."
                    )
                time.sleep(delay)
                delay = min(delay * 1.5, _MAX_POLL_DELAY)
                continue
            if observed_claim and not current.refresh_claim:
                # The attempt we waited for failed and released its lease: share its outcome
                # rather than sending one more request per waiting caller to a failing Civitai.
                raise CivitaiUnavailable(
                    "Refreshing this Civitai token failed just now; try again later."
                )
            break  # the lease is free, or its holder died: try to claim it ourselves


def _claim(pk: int, seen: int, claim: str) -> bool:
    now = timezone.now()
    claimed = (
        CivitaiToken.objects.filter(pk=pk, generation=seen, status=TokenStatus.ACTIVE)
        .filter(Q(refresh_claimed_until__isnull=True) | Q(refresh_claimed_until__lt=now))
        .update(
            refresh_claim=claim,
            refresh_claimed_until=now + dt.timedelta(seconds=lease_seconds()),
        )
    )
    return claimed == 1


def _reread(pk: int) -> CivitaiToken | None:
    return CivitaiToken.objects.filter(pk=pk).first()


def _release(pk: int, claim: str) -> None:
    CivitaiToken.objects.filter(pk=pk, refresh_claim=claim).update(
        refresh_claim="", refresh_claimed_until=None
    )


# Error reports (500 e-mails, logged exc_info) show each frame's locals; the frames below this
# one (social-core, requests, urllib3, the ORM) hold the token under names we do not control, and
# they inherit the nearest decorated caller's list, so every local is hidden (docs/security.rst).
@sensitive_variables()
def _refresh_as_holder(token: CivitaiToken, seen: int, claim: str, backend: Any) -> str:
    try:
        grant = token_endpoint.refresh_grant(token.refresh_token, backend=backend)
    except token_endpoint.InvalidGrant:
        return _mark_reauthentication_required(token, seen)
    except BaseException:
        # Transient trouble (or an interrupt): the pair was not spent as far as we know.
        _release(token.pk, claim)
        raise
    return _store(token, seen, grant)


def _with_retries(update: Any) -> int:
    """Run an UPDATE that must not be lost to a briefly locked database (SQLite under load)."""
    for attempt in range(_STORE_ATTEMPTS):
        try:
            return int(update())
        except OperationalError:
            if attempt == _STORE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _store(token: CivitaiToken, seen: int, grant: TokenGrant) -> str:
    # new_pair_changes also clears the lease: ours, and any later one of a holder whose lease
    # ran out (see the next comment).
    changes = new_pair_changes(grant, timezone.now())
    # Guarded by the generation we saw, not by our claim: if our lease ran out and someone else
    # claimed it, Civitai still accepted *our* use of the refresh token, so ours is the live pair.
    stored = _with_retries(
        lambda: CivitaiToken.objects.filter(pk=token.pk, generation=seen).update(**changes)
    )
    fresh = _reread(token.pk)
    if stored and fresh is not None:
        signals.token_refreshed.send(sender=CivitaiToken, token=fresh, user_id=fresh.user_id)
        return grant.access_token
    # While Civitai answered, the row was deleted (sign-out, disconnect) or given a newer pair
    # (a new sign-in). The pair Civitai just issued is live and this is its only copy: revoke
    # it, or it would stay usable at Civitai for 30 days with nobody able to revoke it.
    revocation.revoke_unstored_pair(token, grant.refresh_token)
    if fresh is not None and fresh.status == TokenStatus.ACTIVE:
        access_token: str = fresh.access_token
        return access_token
    raise ReauthenticationRequired(
        "This user's Civitai tokens were removed during the refresh; ask them to sign in.",
        user_id=token.user_id,
    )


def _mark_reauthentication_required(token: CivitaiToken, seen: int) -> str:
    marked = _with_retries(
        lambda: CivitaiToken.objects.filter(pk=token.pk, generation=seen).update(
            status=TokenStatus.REAUTH_REQUIRED,
            access_token="",
            refresh_token="",
            refresh_claim="",
            refresh_claimed_until=None,
            updated_at=timezone.now(),
        )
    )
    if not marked:
        # Someone stored a newer pair meanwhile (a new sign-in, or another holder after our
        # lease ran out): use it.
        current = _reread(token.pk)
        if current is not None and current.status == TokenStatus.ACTIVE:
            access_token: str = current.access_token
            return access_token
        raise ReauthenticationRequired(user_id=token.user_id)
    logger.info("Civitai refused the refresh token of CivitaiToken %s: sign-in needed", token.pk)
    current = _reread(token.pk)
    signals.reauthentication_required.send(
        sender=CivitaiToken, token=current or token, user_id=token.user_id
    )
    raise ReauthenticationRequired(
        "Civitai no longer accepts this user's authorization (it was revoked or expired); "
        "ask them to sign in with Civitai again.",
        user_id=token.user_id,
    )
