"""Civitai's OAuth scopes: a decimal bitmask, names and labels as Civitai's consent screen shows.

This module imports nothing from Django so the emulator can use it too.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TypeAlias


class Scope(enum.IntFlag):
    """Every scope Civitai defines, with its bit, plus the presets its docs name."""

    NONE = 0
    UserRead = 1
    UserWrite = 2
    ModelsRead = 4
    ModelsWrite = 8
    ModelsDelete = 16
    MediaRead = 32
    MediaWrite = 64
    MediaDelete = 128
    ArticlesRead = 256
    ArticlesWrite = 512
    ArticlesDelete = 1024
    BountiesRead = 2048
    BountiesWrite = 4096
    BountiesDelete = 8192
    AIServicesRead = 16384
    AIServicesWrite = 32768
    BuzzRead = 65536
    CollectionsRead = 131072
    CollectionsWrite = 262144
    SocialWrite = 524288
    SocialTip = 1048576
    NotificationsRead = 2097152
    NotificationsWrite = 4194304
    VaultRead = 8388608
    VaultWrite = 16777216
    AppBlocksSubmit = 33554432
    AppBlocksDevTunnel = 67108864

    # Presets. Full is frozen at bits 0-24: the two AppBlocks scopes are opt-in only.
    Full = 33554431
    ReadOnly = 10701093
    Creator = 11492205
    AIServices = 114689

    @property
    def label(self) -> str:
        """The text Civitai's consent screen shows for a single scope."""
        return SCOPE_LABELS.get(self.name or "", self.name or str(int(self)))

    @classmethod
    def single_scopes(cls) -> list[Scope]:
        """The named single-bit scopes, lowest bit first (no presets, no NONE)."""
        return [member for member in cls if member.name in SCOPE_LABELS]

    def names(self) -> list[str]:
        """The single scopes this mask holds, by Civitai's names, lowest bit first."""
        return [scope.name for scope in Scope.single_scopes() if scope & self and scope.name]


# The labels of Civitai's consent screen, by scope name.
SCOPE_LABELS: dict[str, str] = {
    "UserRead": "Read profile, settings & email",
    "UserWrite": "Update profile & settings",
    "ModelsRead": "Browse & download models",
    "ModelsWrite": "Upload & edit models",
    "ModelsDelete": "Delete models",
    "MediaRead": "View images, videos & posts",
    "MediaWrite": "Upload media & create posts",
    "MediaDelete": "Delete media & posts",
    "ArticlesRead": "Read articles",
    "ArticlesWrite": "Create & edit articles",
    "ArticlesDelete": "Delete articles",
    "BountiesRead": "View bounties",
    "BountiesWrite": "Create & manage bounties",
    "BountiesDelete": "Delete bounties",
    "AIServicesRead": "View generation & training history",
    "AIServicesWrite": "Generate, train & scan (spends Buzz)",
    "BuzzRead": "View buzz balance & history",
    "CollectionsRead": "View collections",
    "CollectionsWrite": "Manage collections",
    "SocialWrite": "Follow, react, comment & review",
    "SocialTip": "Tip other users",
    "NotificationsRead": "Read notifications",
    "NotificationsWrite": "Manage notification preferences",
    "VaultRead": "View vault",
    "VaultWrite": "Manage vault",
    "AppBlocksSubmit": "Submit Apps for review (opt-in, not in Full)",
    "AppBlocksDevTunnel": "Open on-site dev tunnels (opt-in, not in Full)",
}

# The largest mask /authorize accepts: every bit Civitai defines, AppBlocks included.
MAX_SCOPE_MASK = 134217727

ScopeSpec: TypeAlias = "Scope | int | str | Iterable[Scope | int | str]"


class ScopeError(ValueError):
    """A scope setting holds a name or number that Civitai does not define."""


def parse_scope(spec: ScopeSpec) -> Scope:
    """Turn Civitai scope names, ints, Scope members or a list of them into one mask.

    Names are Civitai's own (``"UserRead"``, ``"AIServicesWrite"``, presets like ``"Full"``);
    a string of digits is read as a decimal mask, the way Civitai writes it. An unknown name
    or an out-of-range number raises ScopeError: a typo must never become a silent 0.
    """
    if isinstance(spec, str | int):
        return _parse_one(spec)
    mask = Scope.NONE
    for item in spec:
        mask |= _parse_one(item)
    return mask


def _parse_one(item: Scope | int | str) -> Scope:
    if isinstance(item, Scope):
        return item
    if isinstance(item, bool):
        raise ScopeError(f"{item!r} is not a Civitai scope; use a name such as 'UserRead'.")
    if isinstance(item, int):
        return _from_int(item)
    if isinstance(item, str):
        text = item.strip()
        if text.isdigit():
            return _from_int(int(text))
        try:
            return Scope[text]
        except KeyError:
            known = ", ".join(scope.name or "" for scope in Scope.single_scopes())
            raise ScopeError(
                f"{item!r} is not a Civitai scope name. Known names: {known}; "
                "presets: Full, ReadOnly, Creator, AIServices."
            ) from None
    raise ScopeError(f"{item!r} is not a Civitai scope; use a name, an int or a Scope member.")


def _from_int(value: int) -> Scope:
    if not 0 <= value <= MAX_SCOPE_MASK:
        raise ScopeError(f"{value} is outside Civitai's scope range 0..{MAX_SCOPE_MASK}.")
    return Scope(value)


def parse_granted_scope(raw: object) -> Scope:
    """Read the ``scope`` of a token response in any shape Civitai has been seen to send.

    Civitai's docs show a decimal string (``"114689"``), its server code sends a one-element
    array (``["114689"]``) and one official client expects a number. Bits Civitai may add later
    are kept, not rejected: what is stored is what Civitai granted.
    """
    value = raw
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise ScopeError(f"expected one scope value in the token response, got {len(value)}")
        value = value[0]
    if isinstance(value, bool):
        raise ScopeError("the token response's scope is a boolean, not a scope mask")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ScopeError("the token response's scope is not a decimal scope mask")
    if number < 0:
        raise ScopeError("the token response's scope is negative")
    return Scope(number)
