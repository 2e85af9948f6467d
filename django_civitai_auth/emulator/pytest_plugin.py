"""Pytest fixtures for projects that test "Sign in with Civitai" against the emulator.

Installed with the package through the ``pytest11`` entry point: ``civitai_emulator`` is a
running emulator for one test. Override ``civitai_emulator_app`` to register your own app and
``civitai_emulator_options`` to pass other CivitaiEmulator arguments (e.g. ``rate_limit``).
Django is not needed. The emulator is imported inside the fixtures so that loading the plugin
costs nothing in a run that does not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django_civitai_auth.emulator import CivitaiEmulator, RegisteredApp

DEFAULT_CLIENT_ID = "3f1c2b4a-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
DEFAULT_CLIENT_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"  # noqa: S105
DEFAULT_REDIRECT_URIS = (
    "http://testserver/complete/civitai/",
    # Loopback URIs match on any port, so a live server on a random port fits these.
    "http://127.0.0.1/complete/civitai/",
    "http://localhost/complete/civitai/",
)


@pytest.fixture
def civitai_emulator_app() -> RegisteredApp:
    """The confidential app the emulator knows; override it to use your own client id."""
    from django_civitai_auth.emulator import RegisteredApp

    return RegisteredApp(
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        redirect_uris=DEFAULT_REDIRECT_URIS,
        name="Test app",
    )


@pytest.fixture
def civitai_emulator_options() -> dict[str, Any]:
    """Extra CivitaiEmulator keyword arguments, e.g. ``{"rate_limit": False}``."""
    return {}


@pytest.fixture
def civitai_emulator(
    civitai_emulator_app: RegisteredApp, civitai_emulator_options: dict[str, Any]
) -> Iterator[CivitaiEmulator]:
    """A fresh emulator on a free 127.0.0.1 port, stopped after the test."""
    from django_civitai_auth.emulator import CivitaiEmulator

    options = {"apps": [civitai_emulator_app], **civitai_emulator_options}
    with CivitaiEmulator(**options) as emulator:
        yield emulator
