"""social-core's own backend test harness, unchanged, run against CivitaiOAuth2.

The harness mocks HTTP with ``responses`` (nothing leaves the process) and uses social-core's
in-memory storage, so these tests need neither the emulator nor the database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.social_core_harness import (
    OAuth2PkceS256Test,
    OAuth2StateTestMixin,
    User,
)

HARNESS = Path(__file__).parent / "social_core_harness"

ACCESS_TOKEN = "civitai_" + "a" * 36
REFRESH_TOKEN = "civitai_" + "b" * 36


class TestCivitaiOAuth2Harness(OAuth2StateTestMixin[Any], OAuth2PkceS256Test):
    backend_path = "django_civitai_auth.backends.CivitaiOAuth2"
    user_data_url = "https://civitai.com/api/auth/oauth/userinfo"
    expected_username = "ada"
    access_token_body = json.dumps(
        {
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": REFRESH_TOKEN,
            "scope": "114689",
        }
    )
    user_data_body = json.dumps(
        {
            "sub": "12345",
            "id": 12345,
            "username": "ada",
            "email": "ada@example.com",
            "email_verified": True,
            "image": "https://images.example/ada.png",
        }
    )
    refresh_token_body = json.dumps(
        {
            "access_token": "civitai_" + "c" * 36,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "civitai_" + "d" * 36,
            "scope": ["114689"],
        }
    )

    def test_login(self) -> None:
        user = self.do_login()
        social = user.social[0]
        assert social.uid == "12345"
        assert social.extra_data["scope"] == 114689
        assert social.extra_data["avatar"] == "https://images.example/ada.png"
        assert user.email == "ada@example.com"

    def test_partial_pipeline(self) -> None:
        self.do_partial_pipeline()

    def test_refresh_token(self) -> None:
        _user, social = self.do_refresh_token()
        assert social.extra_data["access_token"] == "civitai_" + "c" * 36
        assert social.extra_data["refresh_token"] == "civitai_" + "d" * 36
        assert len(User.cache) == 1


def test_vendored_harness_is_unmodified() -> None:
    for line in (HARNESS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((HARNESS / name).read_bytes()).hexdigest() == digest, name
