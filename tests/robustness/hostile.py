"""The hostile systems under test, and how to point a target file at one.

Each :class:`Hostile` is a loopback peer from ``tests/http/hostile_servers.py`` that misbehaves on
every path, the API document's path included, plus the words a result or a doctor line must use
to say what went wrong. A target file points at it in one of two ways:

- ``served``: ``endpoints.openapi`` is a path on the hostile server, so the document itself is hostile;
- ``local``: the document is a local file (the registry API's, which has parameters, security and a
  link), so every operation is sent to the hostile server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from conformance_fixtures.registry_api import document
from tests.http import hostile_servers as hs
from tests.http.hostile_servers import Handler, LoopbackServer, Pki

__all__ = ["DEEP", "HOSTILES", "MODES", "TIMEOUT_S", "WALL_S", "Hostile", "Mode", "hostile_server", "write_target"]

Mode = Literal["served", "local"]
MODES: tuple[Mode, ...] = ("served", "local")
TIMEOUT_S = 2  # the target's limits.timeout_s
WALL_S = 60.0  # "ends, does not hang": a generous bound, never a timing claim
DEEP = 50_000
METADATA = "169.254.169.254"  # the cloud metadata address: never followed, never contacted


@dataclass(frozen=True)
class Hostile:
    """A hostile peer: how to make it, and the words that name its misbehaviour in a message."""

    name: str
    handler: Callable[[bytes], Handler]  # given the gzip bomb's bytes (only the bomb uses them)
    reason: str  # a regular expression every non-pass, non-n/a result of a run against it matches
    tls: Literal["wrong_host", "expired"] | None = None
    answers: bool = False  # it sends complete HTTP answers, so a requirement may fail on what it says
    deep_document: bool = False  # ``local`` mode uses a 50 000-deep local document, not the registry's

    def __str__(self) -> str:
        return self.name


HOSTILES = (
    Hostile("trickle-headers", lambda _: hs.trickle_headers, r"deadline"),
    Hostile("trickle-body", lambda _: hs.trickle_body, r"deadline"),
    Hostile("endless-chunked", lambda _: hs.endless_chunked, r"byte cap"),
    Hostile("gzip-bomb", hs.gzip_bomb, r"byte cap"),
    Hostile("huge-headers", lambda _: hs.huge_headers(2 * 1024 * 1024), r"response head .* longer than"),
    Hostile("garbage", lambda _: hs.garbage, r"valid HTTP/1\.1"),
    Hostile("reset-on-accept", lambda _: hs.reset_on_accept, r"reset|ECONNRESET|broke|EPIPE|closed"),
    Hostile("silence", lambda _: hs.silent, r"deadline"),
    Hostile("redirect-loop", lambda _: hs.redirect_loop, r"\b302\b", answers=True),
    Hostile("redirect-off-host", lambda _: hs.redirect_to(f"http://{METADATA}/latest/meta-data/"), r"\b302\b",
            answers=True),
    Hostile("deep-json", lambda _: hs.deep_json(DEEP), r"nested|deep", answers=True, deep_document=True),
    Hostile("tls-wrong-host", lambda _: hs.ok(), r"TLS handshake .*mismatch", tls="wrong_host"),
    Hostile("tls-expired", lambda _: hs.ok(), r"TLS handshake .*expired", tls="expired"),
)


@contextmanager
def hostile_server(hostile: Hostile, pki: Pki, bomb: bytes) -> Iterator[LoopbackServer]:
    """Serve ``hostile`` on loopback until the block ends."""
    context = Pki.server_context(getattr(pki, hostile.tls)) if hostile.tls else None
    server = LoopbackServer(hostile.handler(bomb), ssl_context=context).start()
    try:
        yield server
    finally:
        server.stop()


def write_target(folder: Path, server: LoopbackServer, hostile: Hostile, mode: Mode, pki: Pki) -> Path:
    """A target file for ``server``: the API document served by it, or a local file; ``timeout_s`` 2."""
    folder.mkdir(parents=True, exist_ok=True)
    if mode == "served":
        openapi = "/openapi.json"
    elif hostile.deep_document:
        openapi = "deep.json"
        (folder / openapi).write_bytes(b"[" * DEEP + b"]" * DEEP)
    else:
        openapi = "openapi.json"
        (folder / openapi).write_text(json.dumps(document("3.1.0")), "utf-8")
    data: dict[str, object] = {
        "target": {"vendor": "Hostile", "product": hostile.name, "version": "1"},
        "endpoints": {"base_url": server.url, "openapi": openapi},
        "limits": {"timeout_s": TIMEOUT_S},
    }
    if hostile.tls:
        data["tls"] = {"ca_file": str(pki.ca_file)}
    target = folder / "target.yaml"
    target.write_text(yaml.safe_dump(data), "utf-8")
    return target


def matches(reason: str, text: str) -> bool:
    """Whether ``text`` names the misbehaviour (``reason`` is a regular expression)."""
    return re.search(reason, text, re.IGNORECASE) is not None
