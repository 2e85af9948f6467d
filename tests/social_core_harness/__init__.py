"""social-core's own backend test harness, importable as ``social_core.tests``.

The vendored files import each other as ``social_core.tests.*`` (and the harness loads
``social_core.tests.backends.test_broken`` by dotted path), but social-auth-core's wheel ships
without that package. Registering this package under that name lets them run unmodified.
"""

from __future__ import annotations

import sys

import social_core

sys.modules.setdefault("social_core.tests", sys.modules[__name__])
social_core.tests = sys.modules["social_core.tests"]  # type: ignore[attr-defined]

from social_core.tests.backends.oauth import (  # noqa: E402
    OAuth2PkceS256Test,
    OAuth2StateTestMixin,
    OAuth2Test,
)
from social_core.tests.models import User  # noqa: E402

__all__ = ["OAuth2PkceS256Test", "OAuth2StateTestMixin", "OAuth2Test", "User"]
