"""The id_token of a code exchange whose /authorize had a nonce.

HS256-signed with the client secret for confidential apps (the OIDC rule for HMAC ids), and
unsigned (``alg: none``) for public apps, which have no secret to sign with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from django_civitai_auth.emulator.config import DemoUser, RegisteredApp


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_id_token(
    *, issuer: str, app: RegisteredApp, user: DemoUser, nonce: str, now: float, lifetime: float
) -> str:
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": str(user.id),
        "aud": app.client_id,
        "iat": int(now),
        "exp": int(now + lifetime),
        "nonce": nonce,
        "preferred_username": user.username,
    }
    alg = "HS256" if app.client_secret else "none"
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    if not app.client_secret:
        return f"{header}.{payload}."
    signature = hmac.new(app.client_secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"
