"""The one hardened HTTP client of live runs: deadlines, a decoded-size cap, TLS trust from the target, evidence.

Every HTTP call a live profile makes goes through :class:`HardenedClient`. What it guarantees:

- **Time.** httpx's connect, read and write timeouts, plus a wall-clock deadline per exchange
  (``asyncio.timeout(total_s)``) around connect, headers and body, so a peer that trickles bytes
  cannot stretch a call. Redirects followed on request get a deadline each, so a call with
  ``max_redirects=n`` ends within ``(n + 1) * total_s``, plus any wait for the rate limit.
- **Size.** The body is decoded here, from ``aiter_raw()``, one content coding at a time, and no
  decoder step yields more than 64 KiB; reading stops as soon as the decoded body passes
  ``max_response_bytes``. httpx's own ``aiter_bytes()`` inflates a whole network read at once
  (64 KiB of a gzip bomb becomes ~64 MB), so it is not used. Only ``gzip`` and ``deflate`` are
  asked for and decoded; a body in any other coding is kept as sent.
- **Headers.** httpx exposes no limit on response headers. httpcore hard-codes h11's
  ``max_incomplete_event_size`` at 100 KiB (``AsyncHTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE``), so
  a response head (or chunk-size line) longer than that fails as ``too-large`` once at most ~164 KiB
  is buffered (h11's "Receive buffer too long", status hint 431). Anything under 100 KiB is accepted.
- **Unresponsive systems.** Clients may share an :class:`Unresponsive` breaker (a live run's do): once
  ``UNRESPONSIVE_AFTER`` exchanges in a row have timed out, the system is deemed unresponsive and every
  later request fails at once, unsent, as a ``timeout`` naming the first of them. Without it, a system
  that never answers would hold a run for (requests × ``total_s``): minutes, for a few operations.
- **Where.** No automatic redirects: a 3xx comes back as a response with its ``Location``.
  ``max_redirects`` follows same-origin redirects only; another scheme, host or port is refused
  before any connection. ``trust_env=False``: no proxy or certificate settings from the environment.
  Cookies set by the peer are never stored or replayed: a ``Cookie`` header is sent only when the
  caller gives one, so every request is independent, as its ``curl()`` reproduction is.
- **Trust.** ``tls.ca_file`` is the only trust anchor when given; without it the system store
  (``ssl.create_default_context()``) is used, never certifi.
- **Evidence.** Each exchange is an :class:`Exchange`: secrets masked, credentials and cookie values
  always ``***`` (and masked wherever the peer echoes them), bodies masked *then* cut to
  ``max_evidence_bytes`` (no secret shorter than 32 Ki characters is ever cut in two), with a
  ``curl`` line that reproduces it.

The peer's misbehaviour is always an :class:`HttpFailure`; callers map it to ``inconclusive``, or to
``fail`` when the behaviour itself breaks a requirement.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import functools
import http.cookiejar
import os
import re
import shlex
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx

from . import __version__
from .errors import ConfigError
from .target import MASK, SecretMasker, Target

__all__ = [
    "DEFAULT_USER_AGENT",
    "UNRESPONSIVE_AFTER",
    "Exchange",
    "FailureKind",
    "HardenedClient",
    "HttpFailure",
    "HttpLimits",
    "Response",
    "Unresponsive",
]

DEFAULT_USER_AGENT = f"lienthong-conformance/{__version__}"
FailureKind = Literal["timeout", "too-large", "connect", "tls", "protocol", "off-host", "redirect-loop"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
_AUTH_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,31}")
_DECODE_STEP = 64 * 1024  # the most one decoder step may yield: bounds memory whatever the compression ratio
_MAX_CODINGS = 5  # as curl: more stacked content codings than this is an attack, not a server
_MASK_MARGIN = 64 * 1024  # characters masked past an excerpt's end, so no secret shorter than half of it is cut
_CLOSE_S = 2.0
_MAX_HEAD = 100 * 1024  # httpcore's h11 max_incomplete_event_size (AsyncHTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE)
UNRESPONSIVE_AFTER = 5  # timeouts in a row, with no answer between them, that make a system unresponsive


@dataclass(frozen=True)
class HttpLimits:
    """Time, size and rate limits for every request of a live run."""

    connect_s: float = 5.0
    read_s: float = 10.0
    total_s: float = 30.0
    max_response_bytes: int = 10 * 1024 * 1024
    max_evidence_bytes: int = 4096
    requests_per_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect_s", "read_s", "total_s", "max_response_bytes", "max_evidence_bytes"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"HTTP limit {name} must be positive, got {getattr(self, name)!r}")
        if self.requests_per_s is not None and not self.requests_per_s > 0:
            raise ConfigError(f"limits.requests_per_s must be positive, got {self.requests_per_s!r}",
                              hint="leave it out for no rate limit")

    @classmethod
    def from_target(cls, target: Target) -> HttpLimits:
        """The limits a target file sets: ``timeout_s`` is the total deadline and also caps connect and read."""
        limits = target.limits
        default = cls()
        total = float(limits.get("timeout_s", default.total_s))
        rate = limits.get("requests_per_s")
        return cls(
            connect_s=min(default.connect_s, total),
            read_s=min(default.read_s, total),
            total_s=total,
            max_response_bytes=int(limits.get("max_response_bytes", default.max_response_bytes)),
            requests_per_s=float(rate) if rate is not None else None,
        )


@dataclass(frozen=True)
class Exchange:
    """One request and its response (or failure) as report evidence: masked, and bodies cut."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str = ""
    request_body_bytes: int = 0
    request_body_truncated: bool = False
    status: int | None = None
    http_version: str | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: str = ""
    response_body_bytes: int = 0
    response_body_truncated: bool = False
    elapsed_ms: float = 0.0
    error: str | None = None
    ca_file: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The exchange as report evidence; ``response`` is null when no response arrived."""
        out: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "request": {
                "headers": [list(h) for h in self.request_headers],
                "body": self.request_body,
                "body_bytes": self.request_body_bytes,
                "body_truncated": self.request_body_truncated,
            },
            "response": None,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "curl": self.curl(),
        }
        if self.status is not None:
            out["response"] = {
                "status": self.status,
                "http_version": self.http_version,
                "headers": [list(h) for h in self.response_headers],
                "body": self.response_body,
                "body_bytes": self.response_body_bytes,
                "body_truncated": self.response_body_truncated,
            }
        if self.error is not None:
            out["error"] = self.error
        return out

    def curl(self) -> str:
        """A curl command line that repeats this request, with the same masking as the evidence."""
        parts = ["curl", "--http1.1", "-sS", "-i"]
        parts += ["--head"] if self.method.upper() == "HEAD" else ["-X", self.method]
        if self.ca_file:
            parts += ["--cacert", self.ca_file]
        for name, value in self.request_headers:
            if name.lower() not in ("host", "content-length"):  # curl writes both itself
                parts += ["-H", f"{name}: {value}"]
        if self.request_body_bytes:
            parts += ["--data-binary", self.request_body]
        parts.append(self.url)
        line = " ".join(shlex.quote(p) for p in parts)
        if self.request_body_truncated:
            line += f"  # body cut to its first bytes; the request sent {self.request_body_bytes} bytes"
        return line


class HttpFailure(Exception):
    """The peer could not be talked to, or misbehaved: ``kind`` says how, ``exchange`` holds what was seen.

    ``exchange`` is None only when nothing was sent (an off-host URL refused up front, or any request once
    the system is deemed unresponsive).
    """

    def __init__(self, kind: FailureKind, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind
        self.message = message
        self.exchange = exchange

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class Unresponsive:
    """A breaker shared by the clients of one run: after ``limit`` timeouts in a row, no request is sent.

    Any exchange that ends otherwise (an answer, or a failure that is not a timeout) resets the count
    while the breaker is still closed; once open, it stays open for the rest of the run.
    """

    def __init__(self, limit: int = UNRESPONSIVE_AFTER) -> None:
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, got {limit}")
        self.limit = limit
        self._streak: list[str] = []
        self._reason: str | None = None

    @property
    def reason(self) -> str | None:
        """Why requests are no longer sent; None while the breaker is closed."""
        return self._reason

    def record(self, timeout: str | None) -> None:
        """Count one finished exchange: ``timeout`` is its (masked) timeout message, or None."""
        if self._reason is not None:
            return
        if timeout is None:
            self._streak.clear()
            return
        self._streak.append(timeout)
        if len(self._streak) >= self.limit:
            self._reason = (f"not sent: the last {len(self._streak)} requests in a row got no answer within their "
                            f"deadline, so the system is deemed unresponsive for the rest of the run "
                            f"(the first: {self._streak[0]})")


@dataclass(frozen=True)
class Response:
    """A complete response: ``body`` is decoded, unmasked and at most ``max_response_bytes`` long."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    http_version: str
    exchange: Exchange


class HardenedClient:
    """An async HTTP/1.1 client bound to one origin, with hard limits and evidence for every exchange."""

    def __init__(
        self,
        base_url: str,
        *,
        limits: HttpLimits | None = None,
        ca_file: Path | None = None,
        masker: SecretMasker | None = None,
        default_headers: Mapping[str, str] | None = None,
        unresponsive: Unresponsive | None = None,
    ) -> None:
        self.limits = limits or HttpLimits()
        self._unresponsive = unresponsive
        self.base_url = _parse_base_url(base_url)
        self._origin = _origin(self.base_url)
        self._ca_file = ca_file
        self._masker = masker or SecretMasker([])
        self._exchanges: list[Exchange] = []
        self._bucket = _Spacing(self.limits.requests_per_s) if self.limits.requests_per_s else None
        headers = {"User-Agent": DEFAULT_USER_AGENT, "Accept-Encoding": "gzip, deflate"}
        headers.update(default_headers or {})
        no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            cookies=no_cookies,
            timeout=httpx.Timeout(connect=self.limits.connect_s, read=self.limits.read_s,
                                  write=self.limits.read_s, pool=self.limits.total_s),
            follow_redirects=False,
            trust_env=False,
            transport=httpx.AsyncHTTPTransport(verify=_tls_context(ca_file), http1=True, http2=False,
                                               trust_env=False, retries=0),
        )

    async def __aenter__(self) -> HardenedClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._client.aclose()

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange attempted so far, failures included, in order."""
        return list(self._exchanges)

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json: Any = None,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        max_redirects: int = 0,
    ) -> Response:
        """Send one request; with ``max_redirects`` > 0, follow that many same-origin redirects. Raises HttpFailure."""
        if max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, got {max_redirects}")
        url: httpx.URL | str = path_or_url
        masks = _Masks(self._masker, [*self._client.headers.multi_items(), *(headers or {}).items()])
        for hop in range(max_redirects + 1):
            response = await self._exchange(method, url, headers, content, json, params, masks)
            location = response.headers.get("location")
            if max_redirects == 0 or response.status not in _REDIRECTS or location is None:
                return response
            if hop == max_redirects:
                break
            try:
                url = httpx.URL(response.url).join(location)
            except (httpx.InvalidURL, ValueError) as exc:
                raise HttpFailure("protocol", masks.mask(f"{response.exchange.url} redirects to an invalid Location "
                                                           f"{location!r}: {exc}"), response.exchange) from exc
            if _origin(url) != self._origin:
                raise HttpFailure("off-host", masks.mask(
                    f"{response.exchange.url} redirects to {_hide_userinfo(url)}, outside the target origin "
                    f"{_show(self._origin)}; not followed"), response.exchange)
            if response.status == 303 or (response.status in (301, 302) and method.upper() not in ("GET", "HEAD")):
                method, content, json = "GET", None, None  # as browsers do; 307 and 308 keep method and body
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
            params = None  # the Location carries its own query
        raise HttpFailure("redirect-loop", masks.mask(
            f"more than {max_redirects} redirects; the last answer, from {response.exchange.url}, "
            f"redirects to {location}"), response.exchange)

    # -- one exchange -----------------------------------------------------------------------------

    async def _exchange(self, method: str, url: httpx.URL | str, headers: Mapping[str, str] | None,
                        content: bytes | None, json: Any,
                        params: Mapping[str, str] | Sequence[tuple[str, str]] | None, masks: _Masks) -> Response:
        try:
            query = httpx.QueryParams(list(params.items()) if isinstance(params, Mapping) else list(params or ()))
            request = self._client.build_request(method, url, headers=headers, content=content, json=json,
                                                 params=query if params is not None else None)
        except httpx.InvalidURL as exc:
            raise HttpFailure("protocol", masks.mask(f"not a valid URL {str(url)!r}: {exc}")) from exc
        shown = _hide_userinfo(request.url)
        if _origin(request.url) != self._origin:
            raise HttpFailure("off-host", masks.mask(
                f"refusing to contact {shown}: outside the target origin {_show(self._origin)}"))
        if self._unresponsive is not None and self._unresponsive.reason is not None:
            raise HttpFailure("timeout", masks.mask(f"{shown}: {self._unresponsive.reason}"))
        if self._bucket is not None:
            await self._bucket.wait()
        seen = _Seen()
        started = time.perf_counter()
        deadline = asyncio.timeout(self.limits.total_s)
        failure: tuple[FailureKind, str] | None = None
        try:
            async with deadline:
                response = await self._client.send(request, stream=True)
                seen.response = response
                try:
                    await self._read_body(response, seen)
                finally:
                    await _close(response)
        except TimeoutError as exc:
            cause: BaseException = exc
            failure = ("timeout", f"no complete response from {shown} within the {self.limits.total_s:g} s deadline "
                                  f"({seen.describe()})" if deadline.expired() else f"{shown}: timed out ({exc})")
        except _TooLarge as exc:
            cause, failure = exc, ("too-large", f"the response body from {shown} passes the "
                                                f"{self.limits.max_response_bytes}-byte cap (decoded size); "
                                                "reading stopped")
        except _BadCoding as exc:
            cause, failure = exc, ("protocol", f"the response body from {shown} does not decode: {exc}")
        except (httpx.HTTPError, OSError) as exc:
            cause, failure = exc, self._classify(exc, request.url, shown)
        if self._unresponsive is not None:
            self._unresponsive.record(masks.mask(failure[1]) if failure and failure[0] == "timeout" else None)
        if failure is not None:
            message = masks.mask(failure[1])
            raise HttpFailure(failure[0], message, self._record(request, seen, started, message, masks)) from cause
        exchange = self._record(request, seen, started, None, masks)
        return Response(status=response.status_code, headers=response.headers, body=b"".join(seen.parts),
                        url=str(request.url), http_version=response.http_version, exchange=exchange)

    async def _read_body(self, response: httpx.Response, seen: _Seen) -> None:
        decoder = _Decoder(response.headers.get_list("content-encoding", split_commas=True))
        cap = self.limits.max_response_bytes
        async for raw in response.aiter_raw():
            for piece in decoder.feed(raw):
                seen.add(piece, cap)
        for piece in decoder.flush():
            seen.add(piece, cap)

    def _classify(self, exc: BaseException, url: httpx.URL, shown: str) -> tuple[FailureKind, str]:
        where = _show(_origin(url))
        chain = _chain(exc)
        os_error = next((e for e in reversed(chain) if isinstance(e, OSError) and e.errno), None)
        detail = (f"{os.strerror(os_error.errno)} ({errno.errorcode.get(os_error.errno, os_error.errno)})"
                  if os_error is not None and os_error.errno is not None
                  else next((str(e) for e in chain if str(e)), type(exc).__name__))
        if isinstance(exc, httpx.ConnectTimeout):
            steps = "TCP and TLS handshakes" if url.scheme == "https" else "TCP handshake"
            return "timeout", f"could not connect to {where} ({steps}) within {self.limits.connect_s:g} s"
        if isinstance(exc, httpx.ReadTimeout):
            return "timeout", f"{shown} sent nothing for {self.limits.read_s:g} s (read timeout)"
        if isinstance(exc, httpx.WriteTimeout):
            return "timeout", f"{where} took no request bytes for {self.limits.read_s:g} s (write timeout)"
        if isinstance(exc, httpx.TimeoutException):
            return "timeout", f"{shown}: {detail}"
        # anyio leaves SSLWantReadError in the chain of any interrupted handshake: it is not a TLS failure.
        tls = next((e for e in chain if isinstance(e, ssl.SSLError)
                    and not isinstance(e, (ssl.SSLWantReadError, ssl.SSLWantWriteError))), None)
        if tls is not None:
            trust = f"tls.ca_file {self._ca_file}" if self._ca_file else "the system trust store (no tls.ca_file)"
            reason = tls.verify_message if isinstance(tls, ssl.SSLCertVerificationError) else tls.reason
            return "tls", f"TLS handshake with {where} failed: {reason or tls} (trusted: {trust})"
        if isinstance(exc, httpx.ConnectError):
            return "connect", f"cannot connect to {where}: {detail}"
        if isinstance(exc, (httpx.NetworkError, OSError)):
            return "connect", f"the connection to {where} broke: {detail}"
        if any(getattr(e, "error_status_hint", None) == 431 for e in chain):  # h11: "Receive buffer too long"
            return "too-large", (f"{where} sent a response head (status line, headers or a chunk line) longer than "
                                 f"the {_MAX_HEAD // 1024} KiB that httpcore lets h11 buffer; reading stopped")
        if isinstance(exc, httpx.LocalProtocolError):
            return "protocol", f"the request to {shown} could not be sent as built: {detail}"
        return "protocol", f"{where} did not answer {shown} with valid HTTP/1.1: {detail}"

    def _record(self, request: httpx.Request, seen: _Seen, started: float, error: str | None,
                masks: _Masks) -> Exchange:
        limit = self.limits.max_evidence_bytes
        sent = request.content
        body, body_cut = _excerpt(sent, limit, masks)
        exchange = Exchange(
            method=request.method,
            url=masks.mask(_hide_userinfo(request.url)),
            request_headers=_headers(request.headers, masks, limit),
            request_body=body,
            request_body_bytes=len(sent),
            request_body_truncated=body_cut,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            error=error,
            ca_file=str(self._ca_file) if self._ca_file and request.url.scheme == "https" else None,
        )
        if seen.response is not None:
            received = b"".join(seen.parts)
            text, cut = _excerpt(received, limit, masks)
            exchange = replace(exchange, status=seen.response.status_code, http_version=seen.response.http_version,
                               response_headers=_headers(seen.response.headers, masks, limit), response_body=text,
                               response_body_bytes=len(received), response_body_truncated=cut)
        self._exchanges.append(exchange)
        return exchange


# -- helpers ------------------------------------------------------------------------------------


class _Masks:
    """The target's secrets, plus the credentials one request carries, in case the peer echoes them."""

    def __init__(self, base: SecretMasker, sent: Iterable[tuple[str, str]]) -> None:
        credentials = [c for name, value in sent for c in _credentials(name, value)]
        self._base = base
        self._sent = SecretMasker(credentials) if credentials else None

    def mask(self, text: str) -> str:
        """``text`` with every secret and every credential sent replaced by ``***``."""
        return self._base.mask(self._sent.mask(text) if self._sent else text)


def _credentials(name: str, value: str) -> list[str]:
    lower = name.lower()
    if lower in _CREDENTIAL_HEADERS:
        scheme, _, rest = value.strip().partition(" ")
        if not (rest.strip() and _AUTH_SCHEME.fullmatch(scheme)):
            return [value.strip()]
        found = [rest.strip()]
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(rest.strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return found
            found += [decoded, decoded.partition(":")[2]]
        return found
    if lower == "cookie":  # short values (lang=vi, theme=dark) are settings, and masking them would garble reports
        return [v for pair in value.split(";") if len(v := pair.partition("=")[2].strip()) >= 8]
    return []


def _headers(headers: httpx.Headers, masks: _Masks, limit: int) -> tuple[tuple[str, str], ...]:
    return tuple((name.decode("latin-1"), _mask_header(name.decode("latin-1"), value.decode("latin-1"), masks, limit))
                 for name, value in headers.raw)


class _TooLarge(Exception):
    pass


class _BadCoding(Exception):
    pass


class _Seen:
    """What one exchange has received so far, kept for the evidence when it fails midway."""

    def __init__(self) -> None:
        self.response: httpx.Response | None = None
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, piece: bytes, cap: int) -> None:
        self.size += len(piece)
        if self.size > cap:
            self.parts.append(piece[: len(piece) - (self.size - cap)])
            raise _TooLarge
        self.parts.append(piece)

    def describe(self) -> str:
        if self.response is None:
            return "the status line and headers had not all arrived"
        return f"status {self.response.status_code} and {self.size} body bytes had arrived"


class _Spacing:
    """A token bucket holding one token: requests start at least ``1/rate`` seconds apart."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = max(now, self._next) + self._interval


class _Inflate:
    """One gzip or deflate layer whose every output piece is at most ``_DECODE_STEP`` bytes."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._head = b""  # deflate: the first two bytes tell zlib-wrapped (RFC 9110) from raw deflate
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16) if coding != "deflate" else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            self._head += data
            if len(self._head) < 2:
                return
            wrapped = (self._head[0] & 0x0F) == 8 and int.from_bytes(self._head[:2], "big") % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        while not self._zlib.eof:  # bytes after the end of the stream are ignored, as httpx does
            try:
                out = self._zlib.decompress(data, _DECODE_STEP)
            except zlib.error as exc:
                raise _BadCoding(f"not valid {self._coding} ({exc})") from exc
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _DECODE_STEP:  # a full step may leave output pending: ask again
                return

    def flush(self) -> Iterator[bytes]:
        if self._zlib is None:  # fewer than two bytes in all: not a deflate stream
            if self._head:
                raise _BadCoding(f"not valid {self._coding} (body of {len(self._head)} byte)")
            return
        if not self._zlib.eof:  # a cut stream: yield what is there, as browsers do
            while out := self._zlib.decompress(b"", _DECODE_STEP):
                yield out


class _Decoder:
    """The content codings of one response, undone in reverse order, lazily and in bounded pieces."""

    def __init__(self, codings: list[str]) -> None:
        names = [c.strip().lower() for c in codings if c.strip().lower() not in ("", "identity")]
        if len(names) > _MAX_CODINGS:
            raise _BadCoding(f"{len(names)} stacked content codings (more than {_MAX_CODINGS})")
        known = all(n in ("gzip", "x-gzip", "deflate") for n in names)
        # A coding we never asked for (br, zstd, …) is kept as sent: nothing decodes it, nothing inflates.
        self._layers = [_Inflate("deflate" if n == "deflate" else "gzip") for n in reversed(names)] if known else []

    def feed(self, raw: bytes) -> Iterator[bytes]:
        pieces: Iterable[bytes] = (raw,)
        for layer in self._layers:
            pieces = _through(layer, pieces)
        return iter(pieces)

    def flush(self) -> Iterator[bytes]:
        for i, layer in enumerate(self._layers):
            pieces: Iterable[bytes] = layer.flush()
            for later in self._layers[i + 1:]:
                pieces = _through(later, pieces)
            yield from pieces


def _through(layer: _Inflate, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.feed(piece)


async def _close(response: httpx.Response) -> None:
    # Closing drops the connection; the deadline guards it too, as the outer one fires only once.
    try:
        async with asyncio.timeout(_CLOSE_S):
            await response.aclose()
    except (TimeoutError, httpx.HTTPError, OSError):
        pass


def _parse_base_url(base_url: str) -> httpx.URL:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"endpoints.base_url {base_url!r} is not a valid URL: {exc}") from exc
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise ConfigError(f"endpoints.base_url {base_url!r} must be an http:// or https:// URL with a host",
                          hint="for example https://127.0.0.1:8443")
    return url


@functools.lru_cache(maxsize=8)
def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """One client context per trust anchor (loading a CA store costs ~50 ms); contexts are safe to share."""
    if ca_file is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"tls.ca_file {ca_file} cannot be loaded: {exc}",
                          hint="give a PEM file holding the CA certificate that issued the target's certificate"
                          ) from exc


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 0)


def _show(origin: tuple[str, str, int]) -> str:
    scheme, host, port = origin
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not e for e in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _hide_userinfo(url: httpx.URL) -> str:
    return str(url.copy_with(password=MASK)) if url.password else str(url)


def _mask_cookie(pair: str) -> str:
    name, eq, _ = pair.strip().partition("=")
    return f"{name}={MASK}" if eq else MASK


def _mask_header(name: str, value: str, masks: _Masks, limit: int) -> str:
    lower = name.lower()
    if lower in _CREDENTIAL_HEADERS:
        scheme, _, rest = value.strip().partition(" ")
        value = f"{scheme} {MASK}" if rest.strip() and _AUTH_SCHEME.fullmatch(scheme) else MASK
    elif lower == "cookie":
        value = "; ".join(_mask_cookie(p) for p in value.split(";") if p.strip())
    elif lower == "set-cookie":
        first, sep, attributes = value.partition(";")
        value = _mask_cookie(first) + sep + attributes
    return _cut(masks.mask(value), limit)[0]


def _cut(text: str, limit: int) -> tuple[str, bool]:
    encoded = text.encode()
    if len(encoded) <= limit:
        return text, False
    return encoded[:limit].decode("utf-8", "ignore"), True


def _excerpt(data: bytes, limit: int, masks: _Masks) -> tuple[str, bool]:
    """The first ``limit`` bytes of the body as masked text (bytes that are not UTF-8 as ``\\xNN``)."""
    window = limit + _MASK_MARGIN
    whole = len(data) <= 4 * window  # a character takes at most 4 bytes
    text = data[: 4 * window].decode("utf-8", "backslashreplace")
    if not whole:
        text = text[:window]
    masked = masks.mask(text)
    if not whole and len(text) - len(masked) >= _MASK_MARGIN // 2:
        # Masks shortened the window so much that the excerpt could reach its edge, where a secret may be
        # cut in two: mask the whole body instead.
        masked, whole = masks.mask(data.decode("utf-8", "backslashreplace")), True
    excerpt, cut = _cut(masked, limit)
    return excerpt, cut or not whole


