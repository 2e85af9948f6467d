"""Signals about a user's Civitai tokens. Receivers get ``token`` (a CivitaiToken) and ``user_id``.

A receiver never sees a token value through these signals' arguments other than the model
instance, whose repr and str never show one.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a refresh stored a new token pair, once per rotation, by the process that did it.
token_refreshed = Signal()

# Sent once the row is deleted and its refresh token sent to Civitai's revoke endpoint (or the
# call skipped, for a public app); ``reason`` says why (logout, deleted, or the command's).
token_revoked = Signal()

# Sent when Civitai refused a refresh (invalid_grant) and the row was marked REAUTH_REQUIRED:
# only a new "Sign in with Civitai" by the user can help.
reauthentication_required = Signal()
