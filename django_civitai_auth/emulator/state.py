"""The in-memory store of codes, tokens, consents and sign-in sessions, behind one lock."""

from __future__ import annotations

import dataclasses
import secrets
import threading
from dataclasses import dataclass, field
from typing import Literal

TokenKind = Literal["access", "refresh"]


def new_token() -> str:
    """A token in Civitai's format: ``civitai_`` and 36 hex characters."""
    return "civitai_" + secrets.token_hex(18)


def new_code() -> str:
    """An authorization code in Civitai's format: 64 hex characters."""
    return secrets.token_hex(32)


@dataclass
class IssuedToken:
    """One access or refresh token the emulator issued, and what became of it."""

    value: str = field(repr=False)
    kind: TokenKind
    client_id: str
    user_id: int
    scope: int
    issued_at: float
    expires_at: float
    # Every token from one authorization (the code exchange and the refreshes after it) shares
    # a family, so revoking the refresh token can revoke the access tokens of that grant.
    family: str = ""
    revoked: bool = False
    rotated: bool = False

    def is_active(self, now: float) -> bool:
        return not self.revoked and not self.rotated and now < self.expires_at


@dataclass
class AuthorizationCode:
    """A code issued by /authorize, waiting for its one exchange."""

    value: str = field(repr=False)
    client_id: str
    user_id: int
    scope: int
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    expires_at: float


@dataclass
class TokenPair:
    access: IssuedToken
    refresh: IssuedToken


class EmulatorState:
    """All mutable OAuth state. Callers hold ``lock`` for any read-modify-write."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, IssuedToken] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        # (user id, client id) -> the scope mask the user chose to remember approving.
        self.consents: dict[tuple[int, str], int] = {}
        # sign-in session cookie value -> user id
        self.sessions: dict[str, int] = {}

    def issue_pair(
        self,
        *,
        client_id: str,
        user_id: int,
        scope: int,
        family: str,
        now: float,
        access_lifetime: float,
        refresh_lifetime: float,
    ) -> TokenPair:
        """Store and return a fresh access and refresh token; the caller holds the lock."""
        lifetimes: dict[TokenKind, float] = {"access": access_lifetime, "refresh": refresh_lifetime}
        access, refresh = (
            IssuedToken(
                new_token(),
                kind,
                client_id=client_id,
                user_id=user_id,
                scope=scope,
                issued_at=now,
                expires_at=now + lifetime,
                family=family,
            )
            for kind, lifetime in lifetimes.items()
        )
        self.tokens[access.value] = access
        self.tokens[refresh.value] = refresh
        return TokenPair(access, refresh)

    def revoke_family_access(self, family: str) -> None:
        """Revoke every access token of one grant; the caller holds the lock."""
        for token in self.tokens.values():
            if token.family == family and token.kind == "access":
                token.revoked = True

    def remove_app(self, user_id: int, client_id: str | None) -> None:
        """The user removed the app on civitai.com: its tokens, codes and consent all go."""
        with self.lock:
            for token in self.tokens.values():
                if token.user_id == user_id and client_id in (None, token.client_id):
                    token.revoked = True
            for code, record in list(self.codes.items()):
                if record.user_id == user_id and client_id in (None, record.client_id):
                    del self.codes[code]
            for key in list(self.consents):
                if key[0] == user_id and client_id in (None, key[1]):
                    del self.consents[key]

    def snapshot(self, user_id: int | None, kind: TokenKind | None) -> list[IssuedToken]:
        """Copies of the issued tokens, oldest first, so callers never see a half-made change."""
        with self.lock:
            return [
                dataclasses.replace(token)
                for token in self.tokens.values()
                if user_id in (None, token.user_id) and kind in (None, token.kind)
            ]
