"""Suite-wide guards: the tests may reach 127.0.0.1 and nothing else."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# social-core's vendored harness is run through tests/test_backend_harness.py, not on its own.
collect_ignore = ["social_core_harness"]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "testserver"}


def is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NonLoopbackConnection(RuntimeError):
    """A test tried to open a network connection beyond this machine."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _checked(address: Any, sock: socket.socket) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        raise NonLoopbackConnection(f"tests may only connect to loopback, not {address[0]!r}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _checked(address, self)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _checked(address, self)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    # Patched for the whole session; the check runs before any packet leaves the machine.
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    # The emulator's fixtures come through the package's pytest11 entry point once the package
    # is installed; running from a checkout, register the same plugin module here (once).
    from django_civitai_auth.emulator import pytest_plugin

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "civitai_emulator")


@pytest.fixture
def civitai_site(civitai_emulator: Any, settings: Any) -> Any:
    """The test emulator, with SOCIAL_AUTH_CIVITAI_BASE_URL pointing the site at it."""
    settings.SOCIAL_AUTH_CIVITAI_BASE_URL = civitai_emulator.base_url
    return civitai_emulator
