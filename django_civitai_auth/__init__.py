"""Sign in with Civitai for Django, and act for the user on Civitai's API.

Importing this package loads no models, so it is safe from settings files and while apps load:
the helpers that need the database are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from django_civitai_auth.exceptions import (
    CivitaiAuthError,
    CivitaiUnavailable,
    ReauthenticationRequired,
    TokenDecryptionError,
)
from django_civitai_auth.scopes import Scope, ScopeError, parse_scope

if TYPE_CHECKING:
    from django_civitai_auth.session import civitai_session
    from django_civitai_auth.tokens import aget_access_token, get_access_token

__version__ = "0.1.0"

__all__ = [
    "CivitaiAuthError",
    "CivitaiUnavailable",
    "ReauthenticationRequired",
    "Scope",
    "ScopeError",
    "TokenDecryptionError",
    "aget_access_token",
    "civitai_session",
    "get_access_token",
    "parse_scope",
]

# Public helpers that touch models, by the module that defines them.
_LAZY = {
    "get_access_token": "django_civitai_auth.tokens",
    "aget_access_token": "django_civitai_auth.tokens",
    "civitai_session": "django_civitai_auth.session",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'django_civitai_auth' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
