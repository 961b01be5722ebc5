"""Hostile HTTP peers on 127.0.0.1, each in its own thread and event loop, each ending by itself.

A handler gets one :class:`Conn` per accepted connection. Every handler runs under a lifetime
deadline, and the server stops when its fixture ends, so nothing outlives a test.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "LIFETIME_S",
    "Conn",
    "LoopbackServer",
    "Pki",
    "SeenRequest",
    "deep_json",
    "echo",
    "endless_chunked",
    "garbage",
    "gzip_bomb",
    "huge_headers",
    "make_gzip_bomb",
    "make_pki",
    "ok",
    "redirect_loop",
    "redirect_to",
    "reset_on_accept",
    "respond",
    "silent",
    "trickle_body",
    "trickle_headers",
]

LIFETIME_S = 30.0  # no connection lives longer than this, whatever the test does
TRICKLE_S = 0.05  # one byte every 50 ms: far inside any read timeout, so only the total deadline can stop it


@dataclass(frozen=True)
class SeenRequest:
    """A request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Conn:
    """One accepted connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    server: LoopbackServer

    async def read_request(self) -> SeenRequest:
        """Read one request (head and Content-Length body) and record it on the server."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        seen = SeenRequest(method, target, headers, body)
        self.server.requests.append(seen)
        return seen

    async def send(self, data: bytes) -> None:
        """Write and drain."""
        self.writer.write(data)
        await self.writer.drain()


Handler = Callable[[Conn], Awaitable[None]]


@dataclass
class LoopbackServer:
    """An asyncio server on 127.0.0.1 (port chosen by the OS) running ``handler`` per connection."""

    handler: Handler
    ssl_context: ssl.SSLContext | None = None
    port: int = 0
    connections: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's origin."""
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        """Start serving in a daemon thread; returns once the port is bound."""
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main(ready)), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("loopback server did not start")
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(lambda loop, context: None)  # failed TLS handshakes are expected here
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl_context,
                                            ssl_handshake_timeout=5 if self.ssl_context else None)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            async with asyncio.timeout(LIFETIME_S * 4):
                await self._stop.wait()
        except TimeoutError:
            pass
        server.close()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            async with asyncio.timeout(LIFETIME_S):
                await self.handler(Conn(reader, writer, self))
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass  # the client hung up or the lifetime ended: both are how these peers end
        finally:
            writer.transport.abort()


# -- well-behaved answers ---------------------------------------------------------------------------


def respond(status: int, headers: dict[str, str] | list[tuple[str, str]], body: bytes = b"") -> bytes:
    """A complete HTTP/1.1 response with Content-Length."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in items] + [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def ok(body: bytes = b"ok", headers: dict[str, str] | list[tuple[str, str]] | None = None) -> Handler:
    """Answers every request with 200 and ``body``."""
    async def handler(conn: Conn) -> None:
        while True:
            await conn.read_request()
            await conn.send(respond(200, headers or {"Content-Type": "text/plain"}, body))
    return handler


async def echo(conn: Conn) -> None:
    """Answers with a JSON description of the request, so secrets sent come back in the body."""
    while True:
        seen = await conn.read_request()
        body = json.dumps({"method": seen.method, "target": seen.target, "headers": seen.headers,
                           "body": seen.body.decode("utf-8", "replace")}).encode()
        await conn.send(respond(200, {"Content-Type": "application/json"}, body))


def redirect_to(location: str) -> Handler:
    """Answers every request with 302 to ``location`` (``{port}`` in it becomes the server's own port)."""
    async def handler(conn: Conn) -> None:
        while True:
            await conn.read_request()
            await conn.send(respond(302, {"Location": location.format(port=conn.server.port)}))
    return handler


async def redirect_loop(conn: Conn) -> None:
    """Redirects every request to itself."""
    while True:
        seen = await conn.read_request()
        await conn.send(respond(302, {"Location": seen.target}))


# -- hostile answers --------------------------------------------------------------------------------


async def trickle_headers(conn: Conn) -> None:
    """Sends a status line, then one endless header one byte at a time."""
    await conn.read_request()
    await conn.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while True:
        await conn.send(b"a")
        await asyncio.sleep(TRICKLE_S)


async def trickle_body(conn: Conn) -> None:
    """Sends complete headers announcing 100 kB, then the body one byte at a time."""
    await conn.read_request()
    await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    while True:
        await conn.send(b"a")
        await asyncio.sleep(TRICKLE_S)


async def endless_chunked(conn: Conn) -> None:
    """A chunked body that never ends, as fast as the client reads."""
    await conn.read_request()
    await conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
    while True:
        await conn.send(chunk)


def gzip_bomb(compressed: bytes) -> Handler:
    """Sends ``compressed`` as a gzip-encoded body."""
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(respond(200, {"Content-Encoding": "gzip", "Content-Type": "application/json"}, compressed))
        await asyncio.sleep(LIFETIME_S)
    return handler


def huge_headers(total: int) -> Handler:
    """Sends a header block of ``total`` bytes, in 1 KiB header lines."""
    async def handler(conn: Conn) -> None:
        await conn.read_request()
        await conn.send(b"HTTP/1.1 200 OK\r\n")
        line = b"X-Pad: " + b"p" * 1015 + b"\r\n"
        for _ in range(total // len(line)):
            await conn.send(line)
        await conn.send(b"Content-Length: 2\r\n\r\nok")
        await asyncio.sleep(LIFETIME_S)
    return handler


async def garbage(conn: Conn) -> None:
    """Answers with something that is not HTTP, then hangs up."""
    await conn.read_request()
    await conn.send(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe binary \x1b[31m noise\r\n\r\n")


def deep_json(depth: int = 50_000) -> Handler:
    """Answers every request, the API document's path included, with 200 and a JSON array ``depth`` levels deep."""
    body = b"[" * depth + b"]" * depth

    async def handler(conn: Conn) -> None:
        while True:
            await conn.read_request()
            await conn.send(respond(200, {"Content-Type": "application/json"}, body))
    return handler


async def reset_on_accept(conn: Conn) -> None:
    """Resets the connection at once (SO_LINGER 0, then close sends RST)."""
    sock = conn.writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.writer.transport.abort()


async def silent(conn: Conn) -> None:
    """Reads the request and never answers."""
    await conn.read_request()
    await asyncio.sleep(LIFETIME_S)


# -- certificates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    """A test CA and server certificates it issued, as PEM files."""

    ca_file: Path
    other_ca_file: Path
    good: tuple[Path, Path]
    wrong_host: tuple[Path, Path]
    expired: tuple[Path, Path]

    @staticmethod
    def server_context(pair: tuple[Path, Path]) -> ssl.SSLContext:
        """A server-side TLS context for a (certificate, key) pair."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pair[0], pair[1])
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _leaf(ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], names: list[x509.GeneralName],
          not_before: datetime.datetime, not_after: datetime.datetime) -> tuple[bytes, bytes]:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(_name("hostile test server")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def make_pki(folder: Path) -> Pki:
    """A CA, a second unrelated CA, and three server certificates: good, for another host, expired."""
    ca = _ca("hostile test CA")
    other = _ca("unrelated test CA")
    now = datetime.datetime.now(datetime.UTC)
    loopback: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                        x509.DNSName("localhost")]
    leaves = {
        "good": _leaf(ca, loopback, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)),
        "wrong-host": _leaf(ca, [x509.DNSName("wrong-host.invalid")], now - datetime.timedelta(days=1),
                            now + datetime.timedelta(days=30)),
        "expired": _leaf(ca, loopback, now - datetime.timedelta(days=60), now - datetime.timedelta(days=30)),
    }
    paths: dict[str, tuple[Path, Path]] = {}
    for label, (cert_pem, key_pem) in leaves.items():
        cert_path, key_path = folder / f"{label}.pem", folder / f"{label}.key"
        cert_path.write_bytes(cert_pem)
        key_path.write_bytes(key_pem)
        paths[label] = (cert_path, key_path)
    (folder / "ca.pem").write_bytes(ca[0].public_bytes(serialization.Encoding.PEM))
    (folder / "other-ca.pem").write_bytes(other[0].public_bytes(serialization.Encoding.PEM))
    return Pki(ca_file=folder / "ca.pem", other_ca_file=folder / "other-ca.pem", good=paths["good"],
               wrong_host=paths["wrong-host"], expired=paths["expired"])


def make_gzip_bomb(inflated: int) -> bytes:
    """``inflated`` zero bytes, gzip-compressed (about 1000:1), built without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)
