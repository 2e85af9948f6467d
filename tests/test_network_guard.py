from __future__ import annotations

import socket

import pytest

from tests.conftest import NonLoopbackConnection, is_loopback


def test_loopback_addresses_are_allowed() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")


def test_connection_beyond_loopback_is_refused_before_any_packet() -> None:
    # 203.0.113.0/24 is TEST-NET-3: never routed, and the guard refuses before connecting.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NonLoopbackConnection):
            sock.connect(("203.0.113.7", 443))
    finally:
        sock.close()


def test_loopback_connection_goes_through() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
