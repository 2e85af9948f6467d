"""System checks: configuration mistakes that would break "Sign in with Civitai" or weaken it.

Errors stop ``manage.py check`` (and runserver/migrate); warnings are for production settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from django_civitai_auth.conf import BACKEND_PATH, civitai_settings
from django_civitai_auth.scopes import ScopeError, parse_scope


@register()
def check_civitai_settings(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """Every check of this package, in ID order."""
    return [
        *_check_client_key(),
        *_check_backend_installed(),
        *_check_social_django_installed(),
        *_check_scope(),
        *_check_encryption_keys(),
        *_check_production_https(),
        *_check_production_keys(),
    ]


def _check_client_key() -> list[CheckMessage]:
    if civitai_settings.key:
        return []
    return [
        Error(
            "SOCIAL_AUTH_CIVITAI_KEY is not set, so nobody can sign in with Civitai.",
            hint="Register an app on civitai.com and set SOCIAL_AUTH_CIVITAI_KEY to its "
            "client id (and SOCIAL_AUTH_CIVITAI_SECRET to its secret for a confidential app).",
            id="django_civitai_auth.E001",
        )
    ]


def _check_backend_installed() -> list[CheckMessage]:
    if BACKEND_PATH in getattr(settings, "AUTHENTICATION_BACKENDS", ()):
        return []
    return [
        Error(
            f"{BACKEND_PATH} is not in AUTHENTICATION_BACKENDS.",
            hint=f'Add "{BACKEND_PATH}" to AUTHENTICATION_BACKENDS, next to '
            '"django.contrib.auth.backends.ModelBackend".',
            id="django_civitai_auth.E002",
        )
    ]


def _check_social_django_installed() -> list[CheckMessage]:
    if "social_django" in settings.INSTALLED_APPS:
        return []
    return [
        Error(
            "social_django is not in INSTALLED_APPS; the sign-in views and accounts live there.",
            hint='Add "social_django" to INSTALLED_APPS, include "social_django.urls" in your '
            'URLconf (namespace "social") and run migrate.',
            id="django_civitai_auth.E003",
        )
    ]


def _check_scope() -> list[CheckMessage]:
    try:
        parse_scope(civitai_settings.scope)
    except (ScopeError, TypeError) as error:
        return [
            Error(
                f"SOCIAL_AUTH_CIVITAI_SCOPE is invalid: {error}",
                hint="Use Civitai's scope names (e.g. ['UserRead', 'AIServicesRead']), a "
                "preset ('ReadOnly'), a Scope member or a decimal mask.",
                id="django_civitai_auth.E004",
            )
        ]
    return []


def _check_encryption_keys() -> list[CheckMessage]:
    keys = civitai_settings.encryption_keys
    if keys is None:
        return []
    if not keys:
        problem = "is empty"
    else:
        bad = [position for position, key in enumerate(keys) if not _is_fernet_key(key)]
        if not bad:
            return []
        problem = f"has an invalid Fernet key at position {', '.join(map(str, bad))}"
    return [
        Error(
            f"CIVITAI_AUTH_ENCRYPTION_KEYS {problem}.",
            hint="List Fernet keys newest first; make one with "
            "'python -c \"from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())\"'.",
            id="django_civitai_auth.E005",
        )
    ]


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def _check_production_https() -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    messages: list[CheckMessage] = []
    redirect_is_https = getattr(settings, "SOCIAL_AUTH_REDIRECT_IS_HTTPS", False)
    if not redirect_is_https and not getattr(settings, "SECURE_SSL_REDIRECT", False):
        messages.append(
            Warning(
                "With DEBUG off, Civitai's redirect back to this site may use http: neither "
                "SOCIAL_AUTH_REDIRECT_IS_HTTPS nor SECURE_SSL_REDIRECT is set.",
                hint="Serve the site over HTTPS and set SOCIAL_AUTH_REDIRECT_IS_HTTPS = True "
                "(and SECURE_SSL_REDIRECT = True, plus SECURE_PROXY_SSL_HEADER behind a proxy). "
                "Register the https callback URL on civitai.com.",
                id="django_civitai_auth.W001",
            )
        )
    if not civitai_settings.base_url.startswith("https://"):
        messages.append(
            Warning(
                f"SOCIAL_AUTH_CIVITAI_BASE_URL is {civitai_settings.base_url!r}, not https, "
                "with DEBUG off: tokens would travel unencrypted.",
                hint="Remove the setting (the default is https://civitai.com) or point it at "
                "https://auth.civitai.com; an http emulator URL belongs in development only.",
                id="django_civitai_auth.W002",
            )
        )
    return messages


def _check_production_keys() -> list[CheckMessage]:
    if settings.DEBUG or civitai_settings.encryption_keys is not None:
        return []
    return [
        Warning(
            "CIVITAI_AUTH_ENCRYPTION_KEYS is not set: stored Civitai tokens are encrypted with "
            "a key derived from SECRET_KEY, so rotating SECRET_KEY makes them unreadable.",
            hint="Set CIVITAI_AUTH_ENCRYPTION_KEYS to a list of Fernet keys (newest first), "
            "kept apart from SECRET_KEY; 'manage.py civitai_rotate_keys' re-encrypts rows "
            "after a change.",
            id="django_civitai_auth.W003",
        )
    ]
