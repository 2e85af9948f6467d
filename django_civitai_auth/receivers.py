"""Revoke a user's Civitai tokens wherever they expect it: sign-out, disconnect, deletion.

A Civitai outage must never break any of these: failures are logged (never with a token) and
the local tokens are deleted anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.models import CivitaiToken

logger = logging.getLogger(__name__)


@receiver(user_logged_out, dispatch_uid="django_civitai_auth.revoke_on_logout")
def revoke_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing out of the site also ends this site's access to the user's Civitai account."""
    if user is None or user.pk is None or not civitai_settings.revoke_on_logout:
        return
    from django_civitai_auth.revocation import revoke_user_tokens

    try:
        revoke_user_tokens(user.pk, reason="logout")
    except Exception:
        logger.exception("Revoking Civitai tokens on sign-out of user %s failed", user.pk)


@receiver(pre_delete, sender=CivitaiToken, dispatch_uid="django_civitai_auth.revoke_on_delete")
def revoke_on_delete(sender: Any, instance: CivitaiToken, **kwargs: Any) -> None:
    """A row deleted by anyone else is revoked at Civitai first.

    This covers social-auth's disconnect (its pipeline deletes the UserSocialAuth row and the
    cascade takes this row with it; social-core's own revoke step finds no token in extra_data
    because token capture keeps tokens out of it) and deletion of the user.
    """
    from django_civitai_auth.revocation import is_being_revoked, revoke_after_commit

    if is_being_revoked(instance.pk):
        return
    try:
        revoke_after_commit(instance, reason="deleted")
    except Exception:
        logger.exception("Could not schedule revocation of CivitaiToken %s", instance.pk)
