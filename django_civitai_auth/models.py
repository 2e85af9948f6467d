"""CivitaiToken: one row per Civitai social account, holding its tokens encrypted."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from django_civitai_auth.fields import EncryptedTextField
from django_civitai_auth.scopes import Scope

if TYPE_CHECKING:
    from django_civitai_auth.token_response import TokenGrant


class TokenStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    # Civitai refused the refresh token (invalid_grant): only a new sign-in helps.
    REAUTH_REQUIRED = "reauth_required", "Sign-in required"
    REVOKED = "revoked", "Revoked"


class CivitaiToken(models.Model):
    """A Civitai user's tokens for this site.

    Fields: ``user`` and ``social_auth`` (the owner and the social-auth account, one row per
    account), ``access_token`` and ``refresh_token`` (encrypted at rest), ``expires_at`` (when
    the access token dies), ``refresh_token_issued_at`` (start of the refresh token's 30 days),
    ``scope`` (the mask Civitai granted), ``status``, ``generation`` (bumped on each rotation),
    ``refresh_claim`` / ``refresh_claimed_until`` (the single-flight refresh lease),
    ``created_at`` and ``updated_at``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="civitai_tokens"
    )
    social_auth = models.OneToOneField(
        "social_django.UserSocialAuth", on_delete=models.CASCADE, related_name="civitai_token"
    )
    access_token = EncryptedTextField(editable=False)
    refresh_token = EncryptedTextField(blank=True, default="", editable=False)
    expires_at = models.DateTimeField()
    refresh_token_issued_at = models.DateTimeField(null=True, blank=True)
    scope = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=TokenStatus.choices, default=TokenStatus.ACTIVE, db_index=True
    )
    generation = models.PositiveIntegerField(default=0, editable=False)
    refresh_claim = models.CharField(max_length=64, blank=True, default="", editable=False)
    refresh_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Civitai token"
        verbose_name_plural = "Civitai tokens"
        indexes = [
            models.Index(fields=["status", "expires_at"], name="civitai_token_due_idx"),
            # civitai_refresh reads the oldest refresh tokens first, a chunk at a time.
            models.Index(
                fields=["status", "refresh_token_issued_at"], name="civitai_token_refresh_age_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Civitai token of {self.user} ({self.get_status_display()})"

    def __repr__(self) -> str:
        # Never the tokens: a repr ends up in logs and error pages.
        return (
            f"<CivitaiToken pk={self.pk} user_id={self.user_id} status={self.status} "
            f"expires_at={self.expires_at.isoformat() if self.expires_at else None}>"
        )

    @property
    def granted_scope(self) -> Scope:
        """The scopes Civitai granted, as one Scope mask."""
        return Scope(self.scope)

    @property
    def is_active(self) -> bool:
        """False once Civitai refused the tokens (REAUTH_REQUIRED) or they were revoked."""
        return self.status == TokenStatus.ACTIVE

    def is_expired(self, leeway: float = 0, now: dt.datetime | None = None) -> bool:
        """True when the access token is dead, or will be within ``leeway`` seconds."""
        moment = now or timezone.now()
        return self.expires_at <= moment + dt.timedelta(seconds=leeway)

    def has_scope(self, scope: Scope) -> bool:
        """True when every scope in ``scope`` was granted."""
        return Scope(self.scope) & scope == scope


def new_pair_changes(grant: TokenGrant, now: dt.datetime) -> dict[str, Any]:
    """The column updates that install a new token pair from Civitai, for ``QuerySet.update``.

    The row becomes ACTIVE and its ``generation`` moves on, which is what callers waiting on a
    refresh watch for. The refresh lease is cleared too: a new pair ends any rotation in flight
    (a sign-in during a refresh would otherwise leave a lease nobody releases, blocking every
    refresh until it ran out). An answer without a refresh token keeps the stored one, and an
    answer without a scope keeps the stored scope.
    """
    changes: dict[str, Any] = {
        "access_token": grant.access_token,
        "expires_at": grant.expires_at,
        "status": TokenStatus.ACTIVE,
        "generation": F("generation") + 1,
        "refresh_claim": "",
        "refresh_claimed_until": None,
        "updated_at": now,
    }
    if grant.refresh_token:
        changes["refresh_token"] = grant.refresh_token
        changes["refresh_token_issued_at"] = now
    if grant.scope is not None:
        changes["scope"] = int(grant.scope)
    return changes
