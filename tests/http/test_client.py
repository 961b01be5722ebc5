"""The hardened HTTP client against hostile loopback peers: it ends, it caps, it stays on the origin, it masks."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import shlex
import time
import tracemalloc
import urllib.parse
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.errors import ConfigError
from conformance.http import DEFAULT_USER_AGENT, Exchange, HardenedClient, HttpFailure, HttpLimits, Response
from conformance.target import MASK, SecretMasker, Target
from tests.http import hostile_servers as hs
from tests.http.conftest import BOMB_INFLATED, LoopbackGuard
from tests.http.hostile_servers import LoopbackServer, Pki

Serve = Callable[..., LoopbackServer]
BOUND_S = 10.0  # "ends, does not hang": never a tight timing
MiB = 1024 * 1024


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine and return its result with the wall-clock seconds it took."""
    started = time.monotonic()
    result = asyncio.run(coro)
    return result, time.monotonic() - started


async def get(url: str, path: str = "/x", *, limits: HttpLimits | None = None, ca_file: Path | None = None,
              masker: SecretMasker | None = None, **kwargs: Any) -> Response:
    async with HardenedClient(url, limits=limits or HttpLimits(), ca_file=ca_file, masker=masker) as client:
        return await client.request(kwargs.pop("method", "GET"), path, **kwargs)


async def failure(url: str, path: str = "/x", **kwargs: Any) -> HttpFailure:
    with pytest.raises(HttpFailure) as caught:
        await get(url, path, **kwargs)
    return caught.value


# -- the guard that keeps these tests on loopback --------------------------------------------------


def test_guard_sees_the_clients_connections(serve: Serve, loopback_guard: LoopbackGuard) -> None:
    server = serve(hs.ok())
    response, _ = run(get(server.url))
    assert response.status == 200
    assert loopback_guard.connects == [("127.0.0.1", server.port)]


# -- well-behaved peers ----------------------------------------------------------------------------


def test_roundtrip_records_one_exchange(serve: Serve) -> None:
    server = serve(hs.echo)

    async def go() -> tuple[Response, list[Exchange]]:
        async with HardenedClient(server.url, limits=HttpLimits()) as client:
            response = await client.request("POST", "/v1/items", json={"a": 1}, params={"q": "x y"})
            return response, client.exchanges

    (response, exchanges), _ = run(go())
    sent = json.loads(response.body)
    assert (response.status, sent["method"], sent["target"]) == (200, "POST", "/v1/items?q=x+y")
    assert sent["headers"]["user-agent"] == DEFAULT_USER_AGENT
    assert sent["headers"]["accept-encoding"] == "gzip, deflate"
    assert response.exchange is exchanges[0] and len(exchanges) == 1
    evidence = response.exchange.to_json()
    assert evidence["response"]["status"] == 200 and evidence["request"]["body"] == '{"a":1}'
    assert evidence["response"]["http_version"] == "HTTP/1.1" and "error" not in evidence
    json.dumps(evidence)  # report evidence is plain JSON


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "gzip, gzip", "br"])
def test_content_codings_decode_like_a_browser(serve: Serve, coding: str) -> None:
    plain = json.dumps({"value": "é" * 5000}).encode()
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    encoded = {
        "gzip": gzip.compress(plain),
        "x-gzip": gzip.compress(plain),
        "deflate-zlib": zlib.compress(plain),
        "deflate-raw": raw_deflate.compress(plain) + raw_deflate.flush(),
        "gzip, gzip": gzip.compress(gzip.compress(plain)),
        "br": b"not decoded: br was never asked for",
    }[coding]
    header = coding.removeprefix("deflate-zlib").removeprefix("deflate-raw") or "deflate"
    server = serve(hs.ok(encoded, {"Content-Encoding": header}))
    response, _ = run(get(server.url))
    assert response.body == (encoded if coding == "br" else plain)


def test_bad_gzip_is_a_protocol_failure(serve: Serve) -> None:
    server = serve(hs.ok(b"\x1f\x8b this is not gzip", {"Content-Encoding": "gzip"}))
    caught, _ = run(failure(server.url))
    assert caught.kind == "protocol" and "does not decode" in caught.message and "gzip" in caught.message
    assert caught.exchange is not None and caught.exchange.status == 200


def test_stacked_codings_are_refused(serve: Serve) -> None:
    server = serve(hs.ok(b"x", {"Content-Encoding": ", ".join(["gzip"] * 6)}))
    caught, _ = run(failure(server.url))
    assert caught.kind == "protocol" and "6 stacked content codings" in caught.message


def test_peer_cookies_are_never_replayed(serve: Serve) -> None:
    server = serve(hs.ok(b"ok", [("Set-Cookie", "sid=abc123; Path=/"), ("Content-Type", "text/plain")]))

    async def go() -> None:
        async with HardenedClient(server.url, limits=HttpLimits()) as client:
            await client.request("GET", "/one")
            await client.request("GET", "/two")

    run(go())
    assert [r.target for r in server.requests] == ["/one", "/two"]
    assert all("cookie" not in r.headers for r in server.requests)


def test_environment_proxies_are_ignored(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy, server = serve(hs.ok(b"from the proxy")), serve(hs.ok(b"direct"))
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    response, _ = run(get(server.url))
    assert response.body == b"direct" and proxy.connections == 0


# -- hostile peers: time ---------------------------------------------------------------------------


def test_trickled_headers_hit_the_total_deadline(serve: Serve) -> None:
    server = serve(hs.trickle_headers)
    caught, elapsed = run(failure(server.url, limits=HttpLimits(read_s=5, total_s=1)))
    assert caught.kind == "timeout" and "within the 1 s deadline" in caught.message
    assert "headers had not all arrived" in caught.message
    assert caught.exchange is not None and caught.exchange.status is None and caught.exchange.error
    assert elapsed < BOUND_S


def test_trickled_body_hits_the_total_deadline(serve: Serve) -> None:
    server = serve(hs.trickle_body)
    caught, elapsed = run(failure(server.url, limits=HttpLimits(read_s=5, total_s=1)))
    assert caught.kind == "timeout" and "within the 1 s deadline" in caught.message
    assert caught.exchange is not None and caught.exchange.status == 200
    assert 0 < caught.exchange.response_body_bytes < 100_000
    assert caught.exchange.response_body == "a" * caught.exchange.response_body_bytes
    assert elapsed < BOUND_S


def test_client_is_usable_after_a_deadline(serve: Serve) -> None:
    async def first_trickles(conn: hs.Conn) -> None:
        await (hs.trickle_headers(conn) if conn.server.connections == 1 else hs.ok(b"second")(conn))

    server = serve(first_trickles)

    async def go() -> tuple[str, Response]:
        async with HardenedClient(server.url, limits=HttpLimits(total_s=0.5)) as client:
            with pytest.raises(HttpFailure) as caught:
                await client.request("GET", "/slow")
            return caught.value.kind, await client.request("GET", "/fast")

    (kind, response), elapsed = run(go())
    assert kind == "timeout" and response.body == b"second"
    assert elapsed < BOUND_S


def test_silence_after_accept_hits_the_read_timeout(serve: Serve) -> None:
    server = serve(hs.silent)
    caught, elapsed = run(failure(server.url, limits=HttpLimits(read_s=0.5, total_s=5)))
    assert caught.kind == "timeout" and "read timeout" in caught.message
    assert elapsed < BOUND_S


def test_silence_is_bounded_by_the_total_deadline_too(serve: Serve) -> None:
    server = serve(hs.silent)
    caught, elapsed = run(failure(server.url, limits=HttpLimits(read_s=20, total_s=0.5)))
    assert caught.kind == "timeout" and "deadline" in caught.message
    assert elapsed < BOUND_S


# -- hostile peers: size ---------------------------------------------------------------------------


def test_endless_chunked_body_stops_at_the_cap(serve: Serve) -> None:
    server = serve(hs.endless_chunked)
    caught, elapsed = run(failure(server.url, limits=HttpLimits(max_response_bytes=MiB)))
    assert caught.kind == "too-large" and f"{MiB}-byte cap" in caught.message
    assert caught.exchange is not None and caught.exchange.response_body_bytes == MiB
    assert caught.exchange.response_body_truncated
    assert elapsed < BOUND_S


def test_gzip_bomb_stops_early_with_little_memory(serve: Serve, gzip_bomb_body: bytes) -> None:
    server = serve(hs.gzip_bomb(gzip_bomb_body))
    tracemalloc.start()
    try:
        caught, elapsed = run(failure(server.url, limits=HttpLimits(max_response_bytes=MiB)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.kind == "too-large" and "decoded size" in caught.message
    assert caught.exchange is not None and caught.exchange.response_body_bytes == MiB
    # httpx's aiter_bytes() would inflate a 64 KiB read of this bomb into one ~64 MiB chunk.
    assert peak < 32 * MiB < BOMB_INFLATED
    assert elapsed < BOUND_S


def test_a_body_exactly_at_the_cap_is_accepted(serve: Serve) -> None:
    server = serve(hs.ok(b"z" * 1000))
    response, _ = run(get(server.url, limits=HttpLimits(max_response_bytes=1000)))
    assert len(response.body) == 1000


def test_a_2mib_header_block_fails_cleanly(serve: Serve) -> None:
    server = serve(hs.huge_headers(2 * MiB))
    caught, elapsed = run(failure(server.url))
    # httpcore runs h11 with max_incomplete_event_size=100 KiB: h11 raises "Receive buffer too long" (hint 431).
    assert caught.kind == "too-large" and "100 KiB" in caught.message and "h11" in caught.message
    assert caught.exchange is not None and caught.exchange.status is None
    assert elapsed < BOUND_S


# -- hostile peers: broken transport or protocol ---------------------------------------------------


def test_non_http_garbage_is_a_protocol_failure(serve: Serve) -> None:
    server = serve(hs.garbage)
    caught, elapsed = run(failure(server.url))
    assert caught.kind == "protocol" and "valid HTTP/1.1" in caught.message and "SSH-2.0" in caught.message
    assert elapsed < BOUND_S


def test_reset_on_accept_is_a_connect_failure(serve: Serve) -> None:
    server = serve(hs.reset_on_accept)
    caught, elapsed = run(failure(server.url))
    # The RST may land while connecting or once the request is sent: the same kind, either way.
    assert caught.kind == "connect" and server.url in caught.message
    assert "Connection reset by peer (ECONNRESET)" in caught.message or "(EPIPE)" in caught.message
    assert elapsed < BOUND_S


def test_refused_connection_is_a_connect_failure(closed_port: int) -> None:
    caught, elapsed = run(failure(f"http://127.0.0.1:{closed_port}"))
    assert caught.kind == "connect" and f"cannot connect to http://127.0.0.1:{closed_port}" in caught.message
    assert "Connection refused (ECONNREFUSED)" in caught.message
    assert caught.exchange is not None and caught.exchange.error == caught.message
    assert elapsed < BOUND_S


def test_unsendable_request_is_wrapped(serve: Serve) -> None:
    server = serve(hs.ok())
    caught, _ = run(failure(server.url, headers={"X-Bad": "a\r\nInjected: yes"}))
    assert caught.kind == "protocol" and "could not be sent" in caught.message
    assert server.requests == []


# -- redirects and the origin ----------------------------------------------------------------------


def test_redirect_is_returned_not_followed(serve: Serve) -> None:
    server = serve(hs.redirect_loop)
    response, _ = run(get(server.url, "/loop"))
    assert response.status == 302 and response.headers["location"] == "/loop"
    assert len(server.requests) == 1


def test_redirect_loop_stops_after_max_hops(serve: Serve) -> None:
    server = serve(hs.redirect_loop)
    caught, elapsed = run(failure(server.url, "/loop", max_redirects=3))
    assert caught.kind == "redirect-loop" and "more than 3 redirects" in caught.message
    assert len(server.requests) == 4
    assert caught.exchange is not None and caught.exchange.status == 302
    assert elapsed < BOUND_S


def test_same_origin_redirect_is_followed_when_asked(serve: Serve) -> None:
    async def handler(conn: hs.Conn) -> None:
        while True:
            seen = await conn.read_request()
            if seen.target == "/old":
                await conn.send(hs.respond(303, {"Location": "/new?page=2"}))
            else:
                await conn.send(hs.respond(200, {}, f"{seen.method} {seen.target} {len(seen.body)}".encode()))

    server = serve(handler)

    async def go() -> tuple[Response, list[Exchange]]:
        async with HardenedClient(server.url, limits=HttpLimits()) as client:
            response = await client.request("POST", "/old", content=b"payload", max_redirects=2)
            return response, client.exchanges

    (response, exchanges), _ = run(go())
    assert response.body == b"GET /new?page=2 0"  # 303: the next hop is a GET without the body
    assert [e.status for e in exchanges] == [303, 200]


OFF_HOST = "http://169.254.169.254/latest/meta-data/"


def test_off_host_redirect_is_returned_as_a_response(serve: Serve, loopback_guard: LoopbackGuard) -> None:
    server = serve(hs.redirect_to(OFF_HOST))
    response, _ = run(get(server.url))
    assert response.status == 302 and response.headers["location"] == OFF_HOST
    assert loopback_guard.connects == [("127.0.0.1", server.port)]


def test_off_host_redirect_is_refused_before_connecting(serve: Serve, loopback_guard: LoopbackGuard) -> None:
    server = serve(hs.redirect_to(OFF_HOST))
    caught, elapsed = run(failure(server.url, max_redirects=5))
    assert caught.kind == "off-host" and "169.254.169.254" in caught.message and "not followed" in caught.message
    assert caught.exchange is not None and caught.exchange.status == 302
    # Only the loopback server was ever contacted, once; nothing looked up or connected to 169.254.169.254.
    assert loopback_guard.connects == [("127.0.0.1", server.port)]
    assert not any("169.254" in host for host in loopback_guard.lookups)
    assert server.connections == 1 and len(server.requests) == 1
    assert elapsed < BOUND_S


@pytest.mark.parametrize("location", [
    "//169.254.169.254/latest",  # scheme-relative: another host
    "https://127.0.0.1:{port}/x",  # another scheme
    "http://127.0.0.1:1/x",  # another port
    "http://localhost:{port}/x",  # another host name for the same machine is still another origin
])
def test_any_other_origin_is_off_host(serve: Serve, loopback_guard: LoopbackGuard, location: str) -> None:
    server = serve(hs.redirect_to(location))
    caught, _ = run(failure(server.url, max_redirects=5))
    assert caught.kind == "off-host"
    assert loopback_guard.connects == [("127.0.0.1", server.port)]


def test_absolute_off_host_url_is_refused_before_anything(serve: Serve, loopback_guard: LoopbackGuard) -> None:
    server = serve(hs.ok())

    async def go() -> tuple[HttpFailure, list[Exchange]]:
        async with HardenedClient(server.url, limits=HttpLimits()) as client:
            with pytest.raises(HttpFailure) as caught:
                await client.request("GET", OFF_HOST)
            return caught.value, client.exchanges

    (caught, exchanges), _ = run(go())
    assert caught.kind == "off-host" and "refusing to contact http://169.254.169.254/latest" in caught.message
    assert caught.exchange is None and exchanges == []
    assert loopback_guard.connects == [] and server.connections == 0


# -- TLS -------------------------------------------------------------------------------------------


def test_tls_trusted_through_ca_file(serve: Serve, pki: Pki) -> None:
    server = serve(hs.ok(b"secure"), ssl_context=Pki.server_context(pki.good))
    response, _ = run(get(server.url, ca_file=pki.ca_file))
    assert response.body == b"secure"
    assert f"--cacert {pki.ca_file}" in response.exchange.curl()


@pytest.mark.parametrize(("pair", "reason"), [
    ("wrong_host", "certificate is not valid for '127.0.0.1'"),
    ("expired", "certificate has expired"),
])
def test_tls_bad_certificate_fails(serve: Serve, pki: Pki, pair: str, reason: str) -> None:
    server = serve(hs.ok(), ssl_context=Pki.server_context(getattr(pki, pair)))
    caught, elapsed = run(failure(server.url, ca_file=pki.ca_file))
    assert caught.kind == "tls" and reason in caught.message and "TLS handshake" in caught.message
    assert str(pki.ca_file) in caught.message
    assert server.requests == [] and elapsed < BOUND_S


def test_tls_trust_is_only_the_ca_file(serve: Serve, pki: Pki) -> None:
    server = serve(hs.ok(), ssl_context=Pki.server_context(pki.good))
    caught, _ = run(failure(server.url, ca_file=pki.other_ca_file))
    assert caught.kind == "tls" and "unable to get local issuer certificate" in caught.message


def test_tls_without_ca_file_uses_the_system_store(serve: Serve, pki: Pki) -> None:
    server = serve(hs.ok(), ssl_context=Pki.server_context(pki.good))
    caught, _ = run(failure(server.url))
    assert caught.kind == "tls" and "system trust store" in caught.message


def test_tls_client_to_a_plaintext_server(serve: Serve) -> None:
    async def plaintext(conn: hs.Conn) -> None:
        await conn.reader.read(1)
        await conn.send(hs.respond(400, {}, b"plain HTTP here"))

    server = serve(plaintext)
    caught, elapsed = run(failure(server.url.replace("http://", "https://")))
    assert caught.kind == "tls" and "TLS handshake" in caught.message
    assert elapsed < BOUND_S


def test_stalled_tls_handshake_is_a_timeout_not_a_tls_failure(serve: Serve) -> None:
    server = serve(hs.silent)  # takes the connection, never answers the ClientHello
    caught, elapsed = run(failure(server.url.replace("http://", "https://"), limits=HttpLimits(connect_s=0.5)))
    assert caught.kind == "timeout" and "TLS handshakes) within 0.5 s" in caught.message
    assert elapsed < BOUND_S


def test_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    for path in (tmp_path / "missing.pem", tmp_path / "ca.pem"):
        with pytest.raises(ConfigError, match=r"tls\.ca_file"):
            HardenedClient("https://127.0.0.1:8443", ca_file=path)


@pytest.mark.parametrize("base_url", ["ftp://127.0.0.1/", "127.0.0.1:8443", "http://"])
def test_bad_base_url_is_a_config_error(base_url: str) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        HardenedClient(base_url)


# -- evidence: masking and cutting -----------------------------------------------------------------

SECRET = "s3cr3t/T0ken+with=odd chars"
PASSWORD = "hunter2-password"


def _forms(secret: str) -> list[str]:
    return [secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            base64.b64encode(secret.encode()).decode()]


def test_secrets_are_masked_in_evidence_and_curl(serve: Serve) -> None:
    server = serve(hs.echo)
    masker = SecretMasker([SECRET, PASSWORD])
    basic = base64.b64encode(f"agency-a:{PASSWORD}".encode()).decode()

    async def go() -> tuple[Response, list[Exchange]]:
        async with HardenedClient(server.url, limits=HttpLimits(), masker=masker,
                                  default_headers={"Authorization": f"Bearer {SECRET}"}) as client:
            await client.request("GET", "/a", headers={"Authorization": f"Basic {basic}"})
            response = await client.request(
                "POST", "/b", params={"token": SECRET},
                headers={"X-Api-Key": SECRET, "Cookie": f"sid={SECRET}; theme=dark",
                         "Proxy-Authorization": "Basic opaque-value"},
                json={"password": PASSWORD, "note": f"token={SECRET}"})
            return response, client.exchanges

    (response, exchanges), _ = run(go())
    # The peer got, and the caller gets back, the real values: only the evidence is masked.
    assert server.requests[0].headers["authorization"] == f"Basic {basic}"
    assert json.loads(response.body)["headers"]["x-api-key"] == SECRET
    assert len(exchanges) == 2
    for exchange in exchanges:
        for text in (json.dumps(exchange.to_json()), exchange.curl(), repr(exchange)):
            for leaked in [*_forms(SECRET), *_forms(PASSWORD), basic, "opaque-value"]:
                assert leaked not in text
    assert dict(exchanges[0].request_headers)["Authorization"] == f"Basic {MASK}"
    headers = dict(response.exchange.request_headers)
    assert headers["Authorization"] == f"Bearer {MASK}"
    assert headers["Proxy-Authorization"] == f"Basic {MASK}"
    assert headers["Cookie"] == f"sid={MASK}; theme={MASK}"
    assert headers["X-Api-Key"] == MASK
    assert response.exchange.url.endswith(f"/b?token={MASK}")
    assert MASK in response.exchange.response_body and MASK in response.exchange.request_body
    assert f"Authorization: Bearer {MASK}" in shlex.split(response.exchange.curl())


def test_basic_credentials_are_masked(serve: Serve) -> None:
    server = serve(hs.echo)
    basic = base64.b64encode(f"agency-a:{PASSWORD}".encode()).decode()
    response, _ = run(get(server.url, headers={"Authorization": f"Basic {basic}"},
                          masker=SecretMasker([PASSWORD])))
    text = json.dumps(response.exchange.to_json())
    assert dict(response.exchange.request_headers)["Authorization"] == f"Basic {MASK}"
    assert basic not in text and PASSWORD not in text


def test_set_cookie_values_are_masked(serve: Serve) -> None:
    server = serve(hs.ok(b"ok", [("Set-Cookie", "sid=live-session-value; Path=/; HttpOnly; Secure")]))
    response, _ = run(get(server.url))
    assert response.headers["set-cookie"].startswith("sid=live-session-value")
    assert dict(response.exchange.response_headers)["Set-Cookie"] == f"sid={MASK}; Path=/; HttpOnly; Secure"


def test_userinfo_password_is_masked(serve: Serve) -> None:
    server = serve(hs.ok())
    url = server.url.replace("http://", "http://user:pa55word-in-url@")
    response, _ = run(get(url, url))
    assert "pa55word-in-url" not in json.dumps(response.exchange.to_json())


def test_evidence_is_cut_to_max_evidence_bytes(serve: Serve) -> None:
    server = serve(hs.ok(b"r" * 1000))
    response, _ = run(get(server.url, method="POST", content=b"q" * 1000,
                          limits=HttpLimits(max_evidence_bytes=64)))
    exchange = response.exchange
    assert len(response.body) == 1000
    assert exchange.response_body == "r" * 64 and exchange.response_body_truncated
    assert exchange.response_body_bytes == 1000
    assert exchange.request_body == "q" * 64 and exchange.request_body_truncated
    assert exchange.request_body_bytes == 1000
    assert "request sent 1000 bytes" in exchange.curl()


def test_a_secret_across_the_cut_leaks_no_prefix(serve: Serve) -> None:
    token = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    server = serve(hs.ok(b"x" * 50 + token.encode() + b"y" * 100))
    response, _ = run(get(server.url, limits=HttpLimits(max_evidence_bytes=64), masker=SecretMasker([token])))
    assert response.exchange.response_body == "x" * 50 + MASK + "y" * 11
    assert "ABCD" not in json.dumps(response.exchange.to_json())


def test_a_body_full_of_secrets_is_masked_past_the_window(serve: Serve) -> None:
    token = "T" * 40 + "secret-tail"
    body = (token.encode() + b" ") * 20_000  # ~1 MB: masks shrink the window, so the whole body is masked
    server = serve(hs.ok(body))
    response, _ = run(get(server.url, limits=HttpLimits(max_evidence_bytes=4096), masker=SecretMasker([token])))
    assert "secret-tail" not in response.exchange.response_body and "TTTT" not in response.exchange.response_body
    assert response.exchange.response_body.startswith(f"{MASK} {MASK} ")


def test_binary_bodies_are_escaped_in_evidence(serve: Serve) -> None:
    server = serve(hs.ok(b"\x00\xff\xfeok", {"Content-Type": "application/octet-stream"}))
    response, _ = run(get(server.url))
    assert response.exchange.response_body == "\x00\\xff\\xfeok"


def test_curl_line_repeats_the_request(serve: Serve) -> None:
    server = serve(hs.ok())

    async def go() -> list[Exchange]:
        async with HardenedClient(server.url, limits=HttpLimits()) as client:
            await client.request("PUT", "/v1/doc/1", content=b"it's <xml/>", headers={"Content-Type": "text/xml"})
            await client.request("HEAD", "/v1/doc/1")
            return client.exchanges

    (put, head), _ = run(go())
    words = shlex.split(put.curl())
    assert words[:4] == ["curl", "--http1.1", "-sS", "-i"]
    assert words[words.index("-X") + 1] == "PUT" and words[-1] == f"{server.url}/v1/doc/1"
    assert words[words.index("--data-binary") + 1] == "it's <xml/>"
    assert "Content-Type: text/xml" in words and not any(w.lower().startswith("host:") for w in words)
    assert "--head" in shlex.split(head.curl()) and "-X" not in shlex.split(head.curl())


def test_failures_are_recorded_with_their_error(serve: Serve) -> None:
    server = serve(hs.garbage)

    async def go() -> list[Exchange]:
        async with HardenedClient(server.url, limits=HttpLimits()) as client:
            with pytest.raises(HttpFailure):
                await client.request("GET", "/x")
            return client.exchanges

    (exchange,), _ = run(go())
    evidence = exchange.to_json()
    assert evidence["response"] is None and "illegal status line" in evidence["error"]


# -- rate and limits -------------------------------------------------------------------------------


def test_requests_per_second_spaces_requests(serve: Serve) -> None:
    server = serve(hs.ok())

    async def go() -> None:
        async with HardenedClient(server.url, limits=HttpLimits(requests_per_s=10)) as client:
            await asyncio.gather(*(client.request("GET", f"/{i}") for i in range(5)))

    _, elapsed = run(go())
    assert 0.3 <= elapsed < BOUND_S  # 5 requests at 10/s: at least 4 gaps of 0.1 s
    assert len(server.requests) == 5


def test_limits_from_the_target_file() -> None:
    target = Target(path=Path("target.yaml"), data={"limits": {"timeout_s": 3, "max_response_bytes": 500,
                                                               "requests_per_s": 20}})
    limits = HttpLimits.from_target(target)
    assert (limits.total_s, limits.connect_s, limits.read_s) == (3.0, 3.0, 3.0)
    assert (limits.max_response_bytes, limits.requests_per_s) == (500, 20.0)
    assert HttpLimits.from_target(Target(path=Path("t.yaml"), data={})) == HttpLimits()


@pytest.mark.parametrize("bad", [{"total_s": 0}, {"max_response_bytes": -1}, {"requests_per_s": 0}])
def test_bad_limits_are_config_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        HttpLimits(**bad)


def test_only_http_failures_escape(serve: Serve) -> None:
    """A sweep over every hostile peer: each ends as an HttpFailure, never another exception."""
    handlers = [hs.trickle_headers, hs.trickle_body, hs.endless_chunked, hs.huge_headers(2 * MiB), hs.garbage,
                hs.reset_on_accept, hs.silent]
    limits = HttpLimits(read_s=0.5, total_s=1, max_response_bytes=MiB)

    async def go() -> list[str]:
        kinds: list[str] = []
        for handler in handlers:
            server = serve(handler)
            async with HardenedClient(server.url, limits=limits) as client:
                try:
                    await client.request("GET", "/")
                except HttpFailure as exc:
                    kinds.append(exc.kind)
        return kinds

    kinds, elapsed = run(go())
    assert kinds == ["timeout", "timeout", "too-large", "too-large", "protocol", "connect", "timeout"]
    assert elapsed < 3 * BOUND_S


def test_httpx_headers_are_exposed(serve: Serve) -> None:
    server = serve(hs.ok(b"{}", [("Content-Type", "application/json"), ("X-Dup", "1"), ("X-Dup", "2")]))
    response, _ = run(get(server.url))
    assert isinstance(response.headers, httpx.Headers)
    assert response.headers.get_list("x-dup") == ["1", "2"]
    assert [v for k, v in response.exchange.response_headers if k == "X-Dup"] == ["1", "2"]
