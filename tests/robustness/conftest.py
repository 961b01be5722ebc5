"""Fixtures for the robustness tests: the loopback-only socket guard, hostile peers, and a test PKI."""

from __future__ import annotations

import pytest

# The guard of tests/http, autouse here too: it refuses and records any connection that is not loopback.
from tests.http.conftest import closed_port, loopback_guard  # noqa: F401
from tests.http.hostile_servers import Pki, make_gzip_bomb, make_pki

BOMB_INFLATED = 100 * 1024 * 1024


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A test CA with good, wrong-host and expired server certificates."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def gzip_bomb_body() -> bytes:
    """100 MiB of zeros, gzip-compressed to about 100 KiB."""
    return make_gzip_bomb(BOMB_INFLATED)
