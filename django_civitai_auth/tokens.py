"""Always-valid access tokens: ``get_access_token(user)`` and its async twin.

On a valid token the hot path is one SQL query and one decryption. When the token is within
CIVITAI_AUTH_REFRESH_LEEWAY of expiry it is rotated through the single-flight engine in
``django_civitai_auth.refresh``.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections, router
from django.views.decorators.debug import sensitive_variables

from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.exceptions import CivitaiUnavailable, ReauthenticationRequired
from django_civitai_auth.models import CivitaiToken, TokenStatus

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    UserLike = AbstractBaseUser | AnonymousUser | int

# A token this close to death is not handed out even when a refresh ahead of time failed.
_MIN_REMAINING_SECONDS = 30.0


def _user_id(user: UserLike) -> Any:
    return user if isinstance(user, int) else user.pk


def current_token(user: UserLike) -> CivitaiToken | None:
    """The user's active CivitaiToken row, in one query; None when there is none.

    A user linked to several Civitai accounts gets the most recently updated active one (the
    account they signed in with or refreshed last).
    """
    user_id = _user_id(user)
    if user_id is None:
        return None
    # The ORM's query compilation costs several times the query itself on this hot path, so
    # the SQL is compiled once per database and run as a raw query (which still applies the
    # fields' converters, including EncryptedTextField's).
    alias = router.db_for_read(CivitaiToken)
    sql, order = _current_token_sql(alias, connections[alias].vendor)
    values = {_SENTINEL_USER_ID: user_id, _SENTINEL_STATUS: TokenStatus.ACTIVE.value}
    rows = list(CivitaiToken.objects.raw(sql, [values[name] for name in order], using=alias))
    return rows[0] if rows else None


@functools.lru_cache(maxsize=8)
def _current_token_sql(alias: str, vendor: str) -> tuple[str, tuple[int | str, ...]]:
    """SELECT ... WHERE user_id = %s AND status = %s ORDER BY updated_at DESC, id DESC LIMIT 1."""
    query = (
        CivitaiToken.objects.using(alias)
        .filter(user_id=_SENTINEL_USER_ID, status=_SENTINEL_STATUS)
        .order_by("-updated_at", "-pk")[:1]
        .query
    )
    sql, params = query.sql_with_params()
    if sorted(map(str, params)) != sorted(map(str, (_SENTINEL_USER_ID, _SENTINEL_STATUS))):
        raise AssertionError(f"unexpected parameters in the token query: {params!r}")
    return str(sql), tuple(params)


_SENTINEL_USER_ID: int = -7_654_321
_SENTINEL_STATUS: str = "sentinel-status"


@sensitive_variables("access_token", "still_valid")
def get_access_token(user: UserLike, *, force_refresh: bool = False) -> str:
    """A usable Civitai access token for ``user``, refreshed ahead of expiry when needed.

    Raises ReauthenticationRequired when only a new sign-in can help and CivitaiUnavailable
    for transient trouble. ``force_refresh=True`` rotates the pair now.
    """
    token = current_token(user)
    if token is None:
        raise ReauthenticationRequired(
            "This user has no active Civitai authorization; ask them to sign in with Civitai.",
            user_id=_user_id(user),
        )
    if not force_refresh and not token.is_expired(civitai_settings.refresh_leeway):
        access_token: str = token.access_token
        return access_token

    from django_civitai_auth.refresh import refresh_access_token

    if _inside_a_callers_transaction():
        logger.warning(
            "Refreshing the Civitai token of user %s inside a database transaction "
            "(transaction.atomic or ATOMIC_REQUESTS): the new pair is stored only when that "
            "transaction commits, a rollback loses it (Civitai has already spent the old refresh "
            "token), and on SQLite the write lock is held while Civitai answers. Call "
            "get_access_token outside atomic blocks (e.g. @transaction.non_atomic_requests).",
            token.user_id,
        )
    try:
        return refresh_access_token(token).access_token
    except CivitaiUnavailable:
        # A refresh *ahead of* expiry failed: the current token still works for a while, so
        # hand it out rather than fail the caller. An expired token is never handed out.
        if not force_refresh and not token.is_expired(_MIN_REMAINING_SECONDS):
            still_valid: str = token.access_token
            return still_valid
        raise


def _get_access_token_in_worker(user: UserLike, force_refresh: bool) -> str:
    try:
        return get_access_token(user, force_refresh=force_refresh)
    finally:
        # Worker threads outlive the request; respect CONN_MAX_AGE for their connections.
        close_old_connections()


def _inside_a_callers_transaction() -> bool:
    """True inside transaction.atomic or ATOMIC_REQUESTS, not counting Django's test wrappers.

    Django marks the atomic blocks its TestCase (and pytest-django) wrap each test in with
    ``_from_testcase``, the same flag its own ``durable=True`` check relies on.
    """
    connection = connections[router.db_for_write(CivitaiToken)]
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


async def aget_access_token(user: UserLike, *, force_refresh: bool = False) -> str:
    """``get_access_token`` for async views.

    Runs in a worker thread (thread_sensitive=False) because a refresh may wait on Civitai or
    on another process's refresh for seconds: on the shared thread-sensitive executor that
    wait would stall every other sync_to_async call of the process. The sync path is safe in
    any thread: each thread has its own database connection and the single-flight claim lives
    in the database, not in process memory.
    """
    return await sync_to_async(_get_access_token_in_worker, thread_sensitive=False)(
        user, force_refresh
    )
