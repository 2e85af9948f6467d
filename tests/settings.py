"""Settings for the test suite: SQLite by default, PostgreSQL when CIVITAI_TEST_DB=postgres."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SECRET_KEY = "tests-only-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "social_django",
    "django_civitai_auth",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

AUTHENTICATION_BACKENDS = [
    "django_civitai_auth.backends.CivitaiOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]

# Separate processes (the refresh race tests) must open the same test database, so SQLite
# lives in a file rather than in memory.
_SQLITE_TEST_FILE = Path(tempfile.gettempdir()) / f"civitai-auth-tests-{os.getpid()}.sqlite3"

if os.environ.get("CIVITAI_TEST_DB") == "postgres":
    from urllib.parse import urlsplit

    _url = urlsplit(os.environ["CIVITAI_TEST_POSTGRES_URL"])
    DATABASES: dict[str, dict[str, object]] = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": (_url.path or "/postgres").lstrip("/"),
            "USER": _url.username or "civitai",
            "HOST": _url.hostname or "127.0.0.1",
            "PORT": str(_url.port or 5432),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_SQLITE_TEST_FILE),
            "TEST": {"NAME": str(_SQLITE_TEST_FILE)},
            "OPTIONS": {"timeout": 30},
        }
    }

# A child process of a multi-process test opens its parent's test database, named here.
if os.environ.get("CIVITAI_TEST_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["CIVITAI_TEST_DB_NAME"]

SOCIAL_AUTH_CIVITAI_KEY = "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
SOCIAL_AUTH_CIVITAI_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"
SOCIAL_AUTH_CIVITAI_SCOPE = ["UserRead", "AIServicesRead"]
SOCIAL_AUTH_CIVITAI_BASE_URL = os.environ.get(
    "CIVITAI_TEST_BASE_URL", "http://127.0.0.1:9"
)  # each test points this at its emulator (child processes get it through the environment)
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/login-error/"

# Two Fernet keys, newest first, so rotation is exercised by default.
CIVITAI_AUTH_ENCRYPTION_KEYS = [
    "4Ay2U3N4zK1l0G7lZV0pC6xgC9xq2hB8QOK5b4cN0aE=",
    "u6rX1zLPa5yQ7mQ2fBf3dGd1Kq7tKq9Xw5yS3cV2bN8=",
]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING_CONFIG = None
