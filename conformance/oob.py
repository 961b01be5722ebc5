"""An out-of-band listener on loopback: proves whether a system fetched a URL it should never fetch.

Hostile-input probes (external entities, external DTDs, XInclude) point at
``listener.url(token)``, a one-time URL. If the system resolves them, the request lands here and
``listener.hits(token)`` shows it, with the request line and the time. Tokens are random and used
once, so a hit is attributable to exactly one probe. The listener answers every request with an
empty 404 and never serves content.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Hit", "OutOfBandListener", "out_of_band_listener"]


@dataclass(frozen=True)
class Hit:
    """One request that reached the listener."""

    token: str
    request_line: str
    peer: str
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[Hit]
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _record(self) -> None:
        line = self.requestline[:500]
        token = next((part for part in self.path.split("/") if part.startswith("oob-")), "")
        with self.server.lock:
            self.server.hits.append(Hit(token, line, self.client_address[0], time.time()))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_PUT = _record

    def log_message(self, format: str, *args: object) -> None:
        return


class OutOfBandListener:
    """A loopback HTTP listener that records which one-time tokens were fetched."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self.port: int = server.server_address[1]

    def token(self) -> str:
        """A new one-time token."""
        return f"oob-{secrets.token_hex(8)}"

    def url(self, token: str, suffix: str = "") -> str:
        """The URL a probe embeds for ``token``."""
        return f"http://127.0.0.1:{self.port}/{token}{suffix}"

    def hits(self, token: str | None = None) -> list[Hit]:
        """Requests seen so far (for ``token``, or all)."""
        with self._server.lock:
            return [h for h in self._server.hits if token is None or h.token == token]

    def wait_for(self, token: str, seconds: float) -> list[Hit]:
        """Hits for ``token``, waiting up to ``seconds`` for a late fetch."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.hits(token)
            if found:
                return found
            time.sleep(0.05)
        return self.hits(token)


@contextmanager
def out_of_band_listener() -> Iterator[OutOfBandListener]:
    """Run a listener on 127.0.0.1 (random port) for the duration of the block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.hits = []
    server.lock = threading.Lock()
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield OutOfBandListener(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
