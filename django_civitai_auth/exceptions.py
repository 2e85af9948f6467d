"""Errors a site meets when it acts for a user on Civitai. No Django imports: safe at app load."""

from __future__ import annotations


class CivitaiAuthError(Exception):
    """Base class of every error this package raises on purpose."""


class ReauthenticationRequired(CivitaiAuthError):
    """Only a new "Sign in with Civitai" can help: the user has no token, or Civitai refused it."""

    def __init__(self, message: str = "", *, user_id: object = None) -> None:
        super().__init__(
            message or "This user's Civitai authorization is gone; ask them to sign in again."
        )
        self.user_id = user_id


class CivitaiUnavailable(CivitaiAuthError):
    """Civitai could not be reached or answered with a transient error; try again later.

    The stored tokens are untouched when this is raised.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message or "Civitai is unavailable right now; try again later.")
        self.retry_after = retry_after


class TokenDecryptionError(CivitaiAuthError):
    """A stored token was encrypted with a key that is no longer configured.

    Add the old key to CIVITAI_AUTH_ENCRYPTION_KEYS (after the newest) and run
    ``manage.py civitai_rotate_keys``.
    """
