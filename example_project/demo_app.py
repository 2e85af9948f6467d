"""The OAuth app the demo registers on the bundled emulator; no Django imports, so the demo
runner, the settings and the tests can all share it.

These values only ever reach the emulator on 127.0.0.1: they are not Civitai credentials.
"""

from __future__ import annotations

DEMO_CLIENT_ID = "6f1d3c2e-8a4b-4c9d-9e7f-0a1b2c3d4e5f"
DEMO_CLIENT_SECRET = "demo-secret-only-valid-on-the-local-emulator"
# The name the emulator's consent page shows: "django-civitai-auth demo wants to access…".
DEMO_APP_NAME = "django-civitai-auth demo"
# What the demo asks for unless CIVITAI_SCOPE says otherwise (comma-separated scope names).
DEFAULT_SCOPE = ("UserRead", "AIServicesRead", "BuzzRead")
DEFAULT_EMULATOR_URL = "http://127.0.0.1:8765"
CALLBACK_PATH = "/complete/civitai/"
