"""Each system check ID, triggered under override_settings, with a hint that says what to do."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from django_civitai_auth.checks import check_civitai_settings

HTTPS_PRODUCTION: dict[str, Any] = {
    "DEBUG": False,
    "SOCIAL_AUTH_REDIRECT_IS_HTTPS": True,
    "SOCIAL_AUTH_CIVITAI_BASE_URL": "https://civitai.com",
}


def ids(**overrides: Any) -> set[str]:
    with override_settings(**{**HTTPS_PRODUCTION, **overrides}):
        messages = check_civitai_settings(None)
    for message in messages:
        assert message.hint, message.id
    return {str(message.id) for message in messages}


def test_the_test_settings_in_production_shape_pass() -> None:
    assert ids() == set()


@pytest.mark.parametrize("key", [None, ""])
def test_e001_missing_client_key(key: str | None) -> None:
    assert ids(SOCIAL_AUTH_CIVITAI_KEY=key) == {"django_civitai_auth.E001"}


def test_e002_backend_not_installed() -> None:
    backends = ["django.contrib.auth.backends.ModelBackend"]
    assert ids(AUTHENTICATION_BACKENDS=backends) == {"django_civitai_auth.E002"}


def test_e003_social_django_not_installed(settings: Any) -> None:
    apps = [app for app in settings.INSTALLED_APPS if app != "social_django"]
    # Only the setting is read; the app registry stays as it is.
    assert ids(INSTALLED_APPS=apps) >= {"django_civitai_auth.E003"}


@pytest.mark.parametrize("scope", ["UserRaed", ["UserRead", "Nope"], 1 << 40, [True], 3.5])
def test_e004_invalid_scope(scope: Any) -> None:
    assert ids(SOCIAL_AUTH_CIVITAI_SCOPE=scope) == {"django_civitai_auth.E004"}


@pytest.mark.parametrize("scope", ["UserRead", ["UserRead", "AIServicesRead"], 16385, "ReadOnly"])
def test_valid_scopes_pass(scope: Any) -> None:
    assert ids(SOCIAL_AUTH_CIVITAI_SCOPE=scope) == set()


@pytest.mark.parametrize(
    "keys", [["not-a-key"], [Fernet.generate_key().decode(), "short"], [], "garbage"]
)
def test_e005_invalid_fernet_key(keys: Any) -> None:
    assert ids(CIVITAI_AUTH_ENCRYPTION_KEYS=keys) == {"django_civitai_auth.E005"}


def test_w001_production_without_https_redirects() -> None:
    found = ids(SOCIAL_AUTH_REDIRECT_IS_HTTPS=False, SECURE_SSL_REDIRECT=False)
    assert found == {"django_civitai_auth.W001"}


def test_w001_satisfied_by_secure_ssl_redirect() -> None:
    assert ids(SOCIAL_AUTH_REDIRECT_IS_HTTPS=False, SECURE_SSL_REDIRECT=True) == set()


def test_w002_production_with_http_base_url() -> None:
    found = ids(SOCIAL_AUTH_CIVITAI_BASE_URL="http://127.0.0.1:8001")
    assert found == {"django_civitai_auth.W002"}


def test_w003_production_keys_derived_from_secret_key() -> None:
    assert ids(CIVITAI_AUTH_ENCRYPTION_KEYS=None) == {"django_civitai_auth.W003"}


def test_production_warnings_are_silent_in_debug() -> None:
    found = ids(
        DEBUG=True,
        SOCIAL_AUTH_REDIRECT_IS_HTTPS=False,
        SOCIAL_AUTH_CIVITAI_BASE_URL="http://127.0.0.1:8001",
        CIVITAI_AUTH_ENCRYPTION_KEYS=None,
    )
    assert found == set()


def test_checks_are_registered_with_django() -> None:
    from django.core.checks import run_checks

    with override_settings(**{**HTTPS_PRODUCTION, "SOCIAL_AUTH_CIVITAI_KEY": None}):
        found = {str(message.id) for message in run_checks()}
    assert "django_civitai_auth.E001" in found
