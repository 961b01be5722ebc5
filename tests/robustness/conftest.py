"""Fixtures for the robustness tests: the loopback-only socket guard, hostile peers, and a test PKI."""

from __future__ import annotations

# The fixtures of tests/http, shared here: the guard (autouse: it refuses and records any connection that is not
# loopback), the test PKI and the gzip bomb.
from tests.http.conftest import closed_port, gzip_bomb_body, loopback_guard, pki  # noqa: F401
