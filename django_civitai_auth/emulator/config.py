"""What the emulator is configured with: registered apps, demo users and run-time switches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django_civitai_auth.scopes import MAX_SCOPE_MASK

ScopeShape = Literal["string", "array", "number"]
SCOPE_SHAPES: tuple[ScopeShape, ...] = ("string", "array", "number")


@dataclass(frozen=True)
class RegisteredApp:
    """An OAuth app registered on Civitai; no secret means a public app."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uris: Sequence[str] = ()
    allowed_scopes: int = MAX_SCOPE_MASK
    name: str = "Demo app"

    def __post_init__(self) -> None:
        # A tuple, so a caller's list changed later cannot change a running emulator.
        object.__setattr__(self, "redirect_uris", tuple(self.redirect_uris))
        if not 0 <= int(self.allowed_scopes) <= MAX_SCOPE_MASK:
            raise ValueError(f"allowed_scopes must be within 0..{MAX_SCOPE_MASK}")

    @property
    def is_confidential(self) -> bool:
        return bool(self.client_secret)


@dataclass(frozen=True)
class DemoUser:
    """A Civitai account that can sign in on the emulator's sign-in page.

    ``image`` is an avatar URL sent as is; ``local_avatar=True`` instead has the emulator serve
    a generated avatar itself (``BASE_URL/avatars/ID.svg``), which loads with no network.
    """

    id: int
    username: str
    email: str | None = None
    email_verified: bool = False
    image: str | None = None
    roles: Sequence[str] = ()
    is_moderator: bool = False
    tier: str | None = None
    local_avatar: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(self.roles))
        if self.image and self.local_avatar:
            raise ValueError(f"demo user {self.username!r}: give image or local_avatar, not both")


DEFAULT_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        id=12345,
        username="ada",
        email="ada@example.com",
        email_verified=True,
        local_avatar=True,
        roles=("user",),
        tier="founder",
    ),
    DemoUser(id=23456, username="grace", email="grace@example.com", email_verified=False),
    DemoUser(id=34567, username="linus"),
)


@dataclass
class EmulatorConfig:
    """Everything the request handlers read; the switches may change while the server runs."""

    apps: dict[str, RegisteredApp]
    users: dict[int, DemoUser]
    access_token_lifetime: float = 3600
    refresh_token_lifetime: float = 30 * 86400
    code_lifetime: float = 300
    rate_limit: bool = True
    auto_approve: bool = False
    scope_shape: ScopeShape = "string"
    latency: float = 0.0

    def user_named(self, username: str) -> DemoUser | None:
        return next((user for user in self.users.values() if user.username == username), None)

    def first_user(self) -> DemoUser | None:
        return next(iter(self.users.values()), None)
