"""Fixtures for the hardened HTTP client: hostile loopback servers, a test PKI, and a loopback-only guard."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.http.hostile_servers import Handler, LoopbackServer, Pki, make_gzip_bomb, make_pki

BOMB_INFLATED = 100 * 1024 * 1024


def _is_loopback(host: Any) -> bool:
    if host in ("localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host)).is_loopback
    except ValueError:
        return False


class LoopbackGuard:
    """Records every outgoing connect and name lookup in the test process; refuses any that is not loopback."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.lookups: list[str] = []

    def check_connect(self, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(address, tuple):
            self.connects.append((str(host), int(address[1])))
        if not _is_loopback(host):
            raise PermissionError(f"test tried to connect to {address!r}: only loopback is allowed")

    def check_lookup(self, host: Any) -> None:
        self.lookups.append(str(host))
        if host is not None and not _is_loopback(host):
            raise PermissionError(f"test tried to resolve {host!r}: only loopback is allowed")


@pytest.fixture(autouse=True)
def loopback_guard(monkeypatch: pytest.MonkeyPatch) -> LoopbackGuard:
    """Every test here may reach loopback only; the guard also proves which addresses were contacted."""
    guard = LoopbackGuard()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard.check_connect(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard.check_connect(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        guard.check_lookup(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return guard


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    """Start a loopback server for a handler; every server started stops when the test ends."""
    started: list[LoopbackServer] = []

    def start(handler: Handler, **kwargs: Any) -> LoopbackServer:
        server = LoopbackServer(handler, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A test CA with good, wrong-host and expired server certificates."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def gzip_bomb_body() -> bytes:
    """100 MiB of zeros, gzip-compressed to about 100 KiB."""
    return make_gzip_bomb(BOMB_INFLATED)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def pki_dir(pki: Pki) -> Path:
    """The folder holding the test PKI's files."""
    return pki.ca_file.parent
