"""Moves Civitai's tokens out of social-auth's ``extra_data`` into the encrypted CivitaiToken row.

social-core's pipeline puts the token response into ``UserSocialAuth.extra_data``, a plain JSON
column. These receivers work with social-auth's default pipeline, so adding the app is enough:

- ``pre_save`` takes ``access_token``, ``refresh_token`` and ``id_token`` out of ``extra_data``
  before the row is written, and keeps them on the instance for the moment of the save;
- ``post_save`` stores them encrypted in CivitaiToken, creating or updating the account's row.

Whatever saves a Civitai ``social_django.models.UserSocialAuth`` (sign-in, social-core's own
refresh, the admin) therefore never writes a token in plaintext. Data migrations are not covered:
their historical models send no signals to receivers registered for the real class.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from social_django.models import UserSocialAuth

from django_civitai_auth.backends import CivitaiOAuth2
from django_civitai_auth.models import CivitaiToken, TokenStatus, new_pair_changes
from django_civitai_auth.token_response import (
    DEFAULT_EXPIRES_IN,
    TokenGrant,
    parse_token_response,
)

PROVIDER = CivitaiOAuth2.name
TOKEN_KEYS = ("access_token", "refresh_token", "id_token")
# The instance attribute that carries the tokens from pre_save to post_save.
_CAPTURED = "_civitai_captured_tokens"


# Error reports must not show the tokens these hold: every local of these frames, and of the
# ORM frames below them, is hidden (sensitive_variables; docs/security.rst).
@receiver(pre_save, sender=UserSocialAuth, dispatch_uid="civitai_take_tokens_from_extra_data")
@sensitive_variables()
def take_tokens_from_extra_data(
    sender: type[UserSocialAuth],
    instance: UserSocialAuth,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if instance.provider != PROVIDER or not isinstance(instance.extra_data, dict):
        return
    if update_fields is not None and "extra_data" not in update_fields:
        return
    captured = {
        key: instance.extra_data.pop(key) for key in TOKEN_KEYS if key in instance.extra_data
    }
    # A fixture load (raw) has no pipeline behind it: its tokens are dropped, never written.
    if captured.get("access_token") and not raw:
        setattr(instance, _CAPTURED, captured)


@receiver(post_save, sender=UserSocialAuth, dispatch_uid="civitai_store_captured_tokens")
@sensitive_variables()
def store_captured_tokens(
    sender: type[UserSocialAuth], instance: UserSocialAuth, **kwargs: Any
) -> None:
    captured: dict[str, Any] | None = instance.__dict__.pop(_CAPTURED, None)
    if not captured:
        return
    extra = instance.extra_data if isinstance(instance.extra_data, dict) else {}
    grant = parse_token_response(
        {
            "access_token": captured["access_token"],
            "refresh_token": captured.get("refresh_token") or None,
            "expires_in": extra.get("expires_in") or DEFAULT_EXPIRES_IN,
            "scope": extra.get("scope"),
        }
    )
    store_grant(instance, grant)


@sensitive_variables()
def store_grant(social: UserSocialAuth, grant: TokenGrant) -> CivitaiToken:
    """Create or update the account's CivitaiToken from a sign-in's token response.

    A new sign-in makes the row ACTIVE again, bumps ``generation`` and ends any refresh in
    flight (its holder then finds the newer pair and uses it). An answer without a refresh
    token keeps the stored one rather than erasing it.
    """
    now = timezone.now()
    with transaction.atomic():
        existing = CivitaiToken.objects.select_for_update().filter(social_auth_id=social.pk).first()
        if existing is None:
            return CivitaiToken.objects.create(
                user_id=social.user_id,
                social_auth=social,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token or "",
                refresh_token_issued_at=now if grant.refresh_token else None,
                expires_at=grant.expires_at,
                scope=int(grant.scope or 0),
                status=TokenStatus.ACTIVE,
            )
        # The account may have moved to another user since it was first linked.
        changes = {**new_pair_changes(grant, now), "user_id": social.user_id}
        CivitaiToken.objects.filter(pk=existing.pk).update(**changes)
        existing.refresh_from_db()
        return existing
