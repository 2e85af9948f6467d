"""A Civitai OAuth server for tests and offline demos, on 127.0.0.1, standard library only.

It reproduces the rules of Civitai's real server (docs/shared spec "civitai-oauth.md"): PKCE S256
only, 5-minute single-use codes burnt by a failed exchange, byte-exact redirect URIs with the
loopback-port rule, rotating refresh tokens, ``scope`` as a decimal bitmask, /revoke reading
credentials from the body only, the 20-a-minute token and revoke limits, and Civitai's error
bodies. It imports nothing from Django.

Endpoints (under ``base_url``): ``/api/auth/oauth/authorize`` (GET: the authorization request;
POST: the consent form), ``/api/auth/oauth/token``, ``/api/auth/oauth/revoke``,
``/api/auth/oauth/userinfo``; the sign-in page is ``/login?returnUrl=PATH``. Demo users with
``local_avatar=True`` get an avatar drawn by the emulator, ``/avatars/ID.svg``, which their
userinfo ``image`` and ``picture`` point to, so it loads with no network.

Stable form fields, for browser tests:

- sign-in page (``POST /login``): ``user_id`` (the demo user's id; one button per user, labelled
  "Sign in as USERNAME") and ``return_url`` (hidden).
- consent page (``POST /api/auth/oauth/authorize``): the authorization request's parameters as
  hidden fields, ``decision`` (``approve`` or ``deny``: the "Approve" and "Deny" buttons) and
  ``remember`` (checkbox "Remember this decision", value ``1``; only an approval is remembered).
  Its link "Use another account" goes back to the sign-in page.

The sign-in session is the ``civitai_emulator_session`` cookie. ``id_token`` (when /authorize
had a ``nonce``) is a JWT signed HS256 with the client secret, or unsigned (``alg: none``) for a
public app. Authorization rate limit: 10 authorization requests (GET) a minute per signed-in user.
"""

from __future__ import annotations

from django_civitai_auth.emulator.browser import AuthorizeRequestRejected
from django_civitai_auth.emulator.clock import EmulatorClock
from django_civitai_auth.emulator.config import DEFAULT_USERS, DemoUser, RegisteredApp
from django_civitai_auth.emulator.emulator import CivitaiEmulator
from django_civitai_auth.emulator.state import IssuedToken, TokenPair

__all__ = [
    "DEFAULT_USERS",
    "AuthorizeRequestRejected",
    "CivitaiEmulator",
    "DemoUser",
    "EmulatorClock",
    "IssuedToken",
    "RegisteredApp",
    "TokenPair",
]
