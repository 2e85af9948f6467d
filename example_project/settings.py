"""Settings of the example site: exactly what the README asks of a project, plus the demo's mode.

Two modes, chosen by the environment:

- real Civitai: ``CIVITAI_CLIENT_ID`` is set (with ``CIVITAI_CLIENT_SECRET`` for a confidential
  app and ``CIVITAI_REDIRECT_URI``, the callback registered on civitai.com);
- emulator (the default): the bundled Civitai emulator at ``CIVITAI_EMULATOR_URL``, which
  ``run_demo.py`` starts and sets. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from example_project.demo_app import (
    DEFAULT_EMULATOR_URL,
    DEFAULT_SCOPE,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
)

HERE = Path(__file__).resolve().parent

# Real Civitai when a client id is configured; the emulator otherwise.
CIVITAI_CLIENT_ID = os.environ.get("CIVITAI_CLIENT_ID", "").strip()
CIVITAI_MODE = "civitai" if CIVITAI_CLIENT_ID else "emulator"

# A development key: the demo is not a production deployment. Set DJANGO_SECRET_KEY to override.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "example-project-development-only-secret-key"
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # What the README asks for: python-social-auth's Django app, then this package.
    "social_django",
    "django_civitai_auth",
    "example_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "example_project.csp.ContentSecurityPolicyMiddleware",
    # Turns a failed sign-in (denied consent, expired state, Civitai down) into a redirect to
    # SOCIAL_AUTH_LOGIN_ERROR_URL instead of a traceback.
    "social_django.middleware.SocialAuthExceptionMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "example_project.context_processors.demo",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # The browser tests point this at a throwaway file.
        "NAME": os.environ.get("CIVITAI_DEMO_DB") or str(HERE / "db.sqlite3"),
    }
}

STATIC_URL = "static/"

AUTHENTICATION_BACKENDS = [
    "django_civitai_auth.backends.CivitaiOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "home"
LOGIN_REDIRECT_URL = "profile"

# -- Sign in with Civitai ------------------------------------------------------------------

_scope_env = os.environ.get("CIVITAI_SCOPE", "")
SOCIAL_AUTH_CIVITAI_SCOPE = [
    name.strip() for name in _scope_env.split(",") if name.strip()
] or list(DEFAULT_SCOPE)

if CIVITAI_MODE == "civitai":
    SOCIAL_AUTH_CIVITAI_KEY = CIVITAI_CLIENT_ID
    # Unset or empty: a public app, which sends no secret anywhere.
    SOCIAL_AUTH_CIVITAI_SECRET = os.environ.get("CIVITAI_CLIENT_SECRET", "").strip() or None
    SOCIAL_AUTH_CIVITAI_BASE_URL = os.environ.get("CIVITAI_BASE_URL", "https://civitai.com")
    CIVITAI_REDIRECT_URI = os.environ.get(
        "CIVITAI_REDIRECT_URI", "http://127.0.0.1:8000/complete/civitai/"
    )
    # social-core builds the callback URL from the request's host: serve the registered host.
    _redirect = urlsplit(CIVITAI_REDIRECT_URI)
    if _redirect.hostname and _redirect.hostname not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_redirect.hostname)
    if _redirect.scheme == "https":
        # Behind an HTTPS tunnel or proxy, the callback must still say https.
        SOCIAL_AUTH_REDIRECT_IS_HTTPS = True
    CIVITAI_EMULATOR_URL = ""
else:
    SOCIAL_AUTH_CIVITAI_KEY = DEMO_CLIENT_ID
    SOCIAL_AUTH_CIVITAI_SECRET = DEMO_CLIENT_SECRET
    CIVITAI_EMULATOR_URL = os.environ.get("CIVITAI_EMULATOR_URL", DEFAULT_EMULATOR_URL).rstrip("/")
    SOCIAL_AUTH_CIVITAI_BASE_URL = CIVITAI_EMULATOR_URL
    CIVITAI_REDIRECT_URI = ""

SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/profile/"
SOCIAL_AUTH_LOGIN_ERROR_URL = "/signin-error/"
# social_django re-raises sign-in errors when DEBUG is on; the demo shows its friendly page
# in both cases, so a newcomer sees what a production site would show.
SOCIAL_AUTH_RAISE_EXCEPTIONS = False
# The error page reads what went wrong (a code and a recovery hint, never a token) from the
# query string, so it works even without a session.
SOCIAL_AUTH_ERROR_TRANSPORT = ["query"]
SOCIAL_AUTH_ERROR_INCLUDE_METADATA = True

# Unset on purpose: without CIVITAI_AUTH_ENCRYPTION_KEYS tokens are encrypted with a key derived
# from SECRET_KEY, which is fine for a demo. A real site sets its own Fernet keys.
if os.environ.get("CIVITAI_AUTH_ENCRYPTION_KEYS"):
    CIVITAI_AUTH_ENCRYPTION_KEYS = os.environ["CIVITAI_AUTH_ENCRYPTION_KEYS"].split(",")

# Avatars: loaded from civitai.com's image host only when talking to the real Civitai. Offline,
# the emulator serves the demo avatars itself, and the demo must work with no network at all.
EXAMPLE_ALLOW_REMOTE_AVATARS = CIVITAI_MODE == "civitai"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_civitai_auth": {"handlers": ["console"], "level": "INFO"}},
}
