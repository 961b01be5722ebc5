"""Serving an ASGI app on a random loopback port in a background thread, for live-run tests."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve(app: Any, *, ssl_certfile: str | None = None, ssl_keyfile: str | None = None,
          ssl_context: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the origin (``http://127.0.0.1:PORT``).

    HTTPS from a certificate and key gets uvicorn's context, Python's default; ``ssl_context`` serves a context
    of the test's own (the reference platform's Mozilla-intermediate one, which the TLS rows judge).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    tls: dict[str, Any] = {"ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile}
    if ssl_context is not None:
        tls = {"ssl_context_factory": lambda _config, _default: ssl_context}
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", **tls)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"{'https' if ssl_certfile or ssl_context else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
