"""POST /revoke (RFC 7009): credentials from the body only, ``200 {}`` whatever happened."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from django_civitai_auth.emulator.config import EmulatorConfig
from django_civitai_auth.emulator.replies import Reply, error_reply, json_reply
from django_civitai_auth.emulator.state import EmulatorState


def handle_revoke(form: Mapping[str, str], config: EmulatorConfig, state: EmulatorState) -> Reply:
    """Revoke when a confidential app names its own token with its secret; else do nothing.

    HTTP Basic is deliberately not read, as on Civitai. Revoking a refresh token also revokes
    the access tokens of its grant; revoking an access token leaves the refresh token working.
    """
    value = form.get("token")
    if not value:
        return error_reply(400, "invalid_request", "Missing parameter: `token`")
    app = config.apps.get(form.get("client_id", ""))
    secret = form.get("client_secret", "")
    authenticated = (
        app is not None
        and app.client_secret is not None
        and hmac.compare_digest(secret.encode(), app.client_secret.encode())
    )
    if authenticated and app is not None:
        with state.lock:
            token = state.tokens.get(value)
            if token is not None and token.client_id == app.client_id and not token.revoked:
                token.revoked = True
                if token.kind == "refresh" and not token.rotated:
                    state.revoke_family_access(token.family)
    return json_reply(200, {})
