"""An out-of-band listener on loopback: proves whether a system fetched a URL it should never fetch.

Hostile-input probes (external entities, external DTDs, XInclude) point at
``listener.url(token)``, a one-time URL. If the system resolves them, the request lands here and
``listener.hits(token)`` shows it, with the request line and the time. Tokens are random and used
once, so a hit is attributable to exactly one probe. The listener answers every request with an
empty 404 and never serves content.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Hit", "OutOfBandListener", "is_loopback", "out_of_band_listener"]


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


class _Server6(_Server):
    address_family = socket.AF_INET6


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

    def __init__(self, server: _Server, host: str) -> None:
        self._server = server
        self.host = host
        self.port: int = server.server_address[1]

    def token(self) -> str:
        """A new one-time token."""
        return f"oob-{secrets.token_hex(8)}"

    def url(self, token: str, suffix: str = "") -> str:
        """The URL a probe embeds for ``token``."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/{token}{suffix}"

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


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (so a system there can reach a listener on 127.0.0.1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextmanager
def out_of_band_listener(host: str = "127.0.0.1") -> Iterator[OutOfBandListener]:
    """Run a listener on ``host`` (random port) for the duration of the block.

    ``host`` is 127.0.0.1 unless the system under test is elsewhere: then it is an address of this machine
    that the system can reach (``--callback-host``), and the probes name it.
    """
    server_class = _Server6 if ":" in host else _Server
    server = server_class((host, 0), _Handler)
    server.hits = []
    server.lock = threading.Lock()
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield OutOfBandListener(server, host)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
