"""A small service that passes security-baseline, with switches that plant one violation at a time.

Clean, it is what the profile asks for: every security header on every answer, an HTML home page with
a strict CSP, a JSON and an XML operation behind HS256 bearer tokens, a throttled login that sets a
``__Host-`` session cookie, hardened XML and JSON parsing, a body limit, and no debug output. Each
name in :data:`DEFECTS` switches on one violation, named after the requirement it breaks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from lxml import etree
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.xml import XMLProblem, parse_untrusted

SECRET = b"security-baseline test secret, never a real one"
USERNAME, PASSWORD = "can-bo-thu", "mat-khau-dung-1"
ITEM = {"id": "item-000123456", "title": "Công văn số 12/UBND-VP", "owner": "000.00.11.H10"}
MAX_FAILURES = 5

DEFECTS = {
    "no-hsts-on-errors": "SB-HTTP-02", "hsts-no-subdomains": "SB-HTTP-02", "no-nosniff": "SB-HDR-01",
    "unsafe-inline-csp": "SB-HDR-02", "csp-base-self": "SB-HDR-02", "no-framing": "SB-HDR-03",
    "xfo-only": "SB-HDR-03", "no-referrer-policy": "SB-HDR-04", "no-charset": "SB-HDR-05",
    "cacheable-auth": "SB-HDR-06", "no-coop": "SB-HDR-07", "server-version": "SB-INFO-01",
    "stack-trace": "SB-INFO-02", "git-exposed": "SB-INFO-03", "actuator-open": "SB-INFO-04",
    "trace-echo": "SB-METH-01", "no-405": "SB-METH-02", "reflected-cors": "SB-CORS-01",
    "insecure-cookie": "SB-COOK-01", "cookie-no-samesite": "SB-COOK-01", "missing-auth": "SB-AUTH-01",
    "jwt-alg-none": "SB-AUTH-02", "no-throttle": "SB-AUTH-03", "xxe": "SB-XML-01",
    "xml-entities-500": "SB-XML-02", "deep-json-500": "SB-INPUT-01", "no-size-limit": "SB-INPUT-02",
    "any-content-type": "SB-INPUT-02",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_jwt(sub: str, *, exp: float | None = None) -> str:
    """An HS256 token for ``sub``, valid for an hour unless ``exp`` says otherwise."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": sub, "exp": int(exp if exp is not None else time.time() + 3600)}).encode())
    signature = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _document() -> dict[str, Any]:
    problem = {"description": "refused", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    item = {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Security baseline test service", "version": "1.0.0"},
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "paths": {
            "/v1/items": {
                "get": {"operationId": "listItems", "responses": {
                    "200": {"description": "items", "content": {"application/json": {
                        "schema": {"type": "array", "items": item}}}}, "401": problem}},
                "post": {"operationId": "addItem", "requestBody": {"required": True, "content": {
                    "application/json": {"schema": item}}},
                    "responses": {"201": {"description": "added"}, "400": problem, "401": problem, "413": problem,
                                  "415": problem}}},
            "/v1/items/{itemId}": {"get": {"operationId": "getItem", "parameters": [
                {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "an item"}, "401": problem, "404": problem}}},
            "/v1/docs": {"post": {"operationId": "addDocument", "requestBody": {"required": True, "content": {
                "application/xml": {"schema": {"type": "string"}}}},
                "responses": {"201": {"description": "stored"}, "400": problem, "401": problem, "413": problem,
                              "415": problem}}},
            "/v1/public": {"get": {"operationId": "public", "security": [], "responses": {
                "200": {"description": "public data"}}}},
            "/auth/login": {"post": {"operationId": "login", "security": [], "requestBody": {"content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": {"description": "signed in"}, "401": problem, "429": problem}}},
        },
    }


class Service:
    """The routes, with the defects switched on for this instance."""

    def __init__(self, defects: Iterable[str], max_body: int) -> None:
        self.defects = frozenset(defects)
        unknown = self.defects - set(DEFECTS)
        if unknown:
            raise ValueError(f"unknown defects {sorted(unknown)}")
        self.max_body = max_body
        self.failures: dict[str, int] = {}

    # -- answers ---------------------------------------------------------------------------------

    def json(self, data: Any, status: int = 200, media: str = "application/json") -> Response:
        charset = "" if "no-charset" in self.defects else "; charset=utf-8"
        return Response(json.dumps(data, ensure_ascii=False).encode(), status, media_type=None,
                        headers={"Content-Type": media + charset})

    def problem(self, status: int, title: str) -> Response:
        return self.json({"type": "about:blank", "title": title, "status": status}, status, "application/problem+json")

    def authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token.count(".") != 2:
            return False
        head, body, signature = token.split(".")
        try:
            header, payload = json.loads(_unb64(head)), json.loads(_unb64(body))
        except ValueError:
            return False
        if header.get("alg") == "none":
            return "jwt-alg-none" in self.defects
        expected = hmac.new(SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest()
        try:
            valid = hmac.compare_digest(expected, _unb64(signature))
        except ValueError:
            return False
        return valid and float(payload.get("exp", 0)) > time.time()

    def refuse(self) -> Response:
        response = self.problem(401, "Unauthorized")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    async def body(self, request: Request) -> bytes | Response:
        declared = request.headers.get("content-length")
        if "no-size-limit" not in self.defects and declared and declared.isdigit() and int(declared) > self.max_body:
            return self.problem(413, "Content Too Large")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body and "no-size-limit" not in self.defects:
                return self.problem(413, "Content Too Large")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- routes ------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        page = "<!doctype html><html lang='vi'><head><title>Cổng dịch vụ</title></head><body>Xin chào</body></html>"
        response = Response(page, media_type="text/html; charset=utf-8")
        response.set_cookie("lang", "vi", secure=True, path="/")
        return response

    async def openapi(self, request: Request) -> Response:
        return self.json(_document())

    async def items(self, request: Request) -> Response:
        if "missing-auth" not in self.defects and not self.authorised(request):
            return self.refuse()
        if request.method == "GET":
            return self.json([ITEM])
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return self.problem(415, "Unsupported Media Type")
        body = await self.body(request)
        if isinstance(body, Response):
            return body
        try:
            if "deep-json-500" not in self.defects and _json_depth(body) > 64:
                return self.problem(400, "Nested too deeply")
            data = json.loads(body)
        except ValueError as exc:
            if "stack-trace" in self.defects:
                trace = "".join(traceback.format_exception(exc))
                return Response(trace, 500, media_type="text/plain; charset=utf-8")
            return self.problem(400, "Not JSON")
        return self.json({"id": "item-new", "received": type(data).__name__}, 201)

    async def item(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.refuse()
        if request.path_params["itemId"] != ITEM["id"]:
            return self.problem(404, "Not Found")
        return self.json(ITEM)

    async def documents(self, request: Request) -> Response:
        if not self.authorised(request):
            return self.refuse()
        media = request.headers.get("content-type", "").split(";")[0].strip()
        if media != "application/xml" and "any-content-type" not in self.defects:
            return self.problem(415, "Unsupported Media Type")
        body = await self.body(request)
        if isinstance(body, Response):
            return body
        if media != "application/xml":
            return self.json({"stored": len(body)}, 201)
        if "xxe" in self.defects:
            return self.json({"text": await run_in_threadpool(_resolving_parse, body)}, 201)
        if "xml-entities-500" in self.defects:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=True, no_network=True))
            return self.json({"text": "".join(root.itertext())[:100]}, 201)
        try:
            parse_untrusted(body)
        except XMLProblem as exc:
            return self.problem(400, exc.message[:200])
        return self.json({"stored": len(body)}, 201)

    async def public(self, request: Request) -> Response:
        return self.json({"service": "public"})

    async def login(self, request: Request) -> Response:
        raw = await self.body(request)
        if isinstance(raw, Response):
            return raw
        try:
            if _json_depth(raw) > 64:
                raise ValueError("nested too deeply")
            data = json.loads(raw)
            user, password = str(data["username"]), str(data["password"])
        except (ValueError, KeyError, TypeError):
            return self.problem(400, "Bad login request")
        if self.failures.get(user, 0) >= MAX_FAILURES and "no-throttle" not in self.defects:
            response = self.problem(429, "Too Many Requests")
            response.headers["Retry-After"] = "60"
            return response
        if user != USERNAME or password != PASSWORD:
            self.failures[user] = self.failures.get(user, 0) + 1
            return self.problem(401, "Wrong username or password")
        response = self.json({"token": make_jwt(user)})
        if "insecure-cookie" in self.defects:
            response.set_cookie("session", "s3cr3t-session-value", path="/")
        elif "cookie-no-samesite" in self.defects:
            response.headers.append("Set-Cookie", "__Host-session=s3cr3t-session-value; Secure; HttpOnly; Path=/")
        else:
            response.set_cookie("__Host-session", "s3cr3t-session-value", secure=True, httponly=True,
                                samesite="strict", path="/")
        return response

    async def git_head(self, request: Request) -> Response:
        return Response("ref: refs/heads/main\n", media_type="text/plain; charset=utf-8")

    async def actuator(self, request: Request) -> Response:
        return self.json({"_links": {"health": {"href": "/actuator/health"}}})


def _json_depth(body: bytes) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class _Fetching(etree.Resolver):
    """What a vulnerable parser does: fetch every external resource it is pointed at."""

    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # the test listener only, on loopback
                data = answer.read(4096)
        except (urllib.error.URLError, OSError, ValueError):
            data = b""
        return self.resolve_string(data, context)


def _resolving_parse(body: bytes) -> str:
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    parser.resolvers.add(_Fetching())
    try:
        tree = etree.fromstring(body, parser).getroottree()
        tree.xinclude()
    except (etree.XMLSyntaxError, etree.XIncludeError):
        return ""
    return "".join(tree.getroot().itertext())[:200]


SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class Headers:
    """ASGI middleware: the security headers on every answer (with the header defects), CORS, TRACE."""

    def __init__(self, app: ASGIApp, defects: frozenset[str]) -> None:
        self.app = app
        self.defects = defects

    def _headers(self, status: int, credentialed: bool, html: bool) -> dict[str, str]:
        d = self.defects
        headers = dict(SECURITY_HEADERS)
        if "hsts-no-subdomains" in d:
            headers["strict-transport-security"] = "max-age=63072000"
        if "no-hsts-on-errors" in d and status >= 400:
            del headers["strict-transport-security"]
        if "no-nosniff" in d:
            del headers["x-content-type-options"]
        if html and "unsafe-inline-csp" in d:
            headers["content-security-policy"] = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                                  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
        if html and "csp-base-self" in d:
            headers["content-security-policy"] = "default-src 'none'; frame-ancestors 'none'; base-uri 'self'"
        if "no-framing" in d or "xfo-only" in d:
            headers["content-security-policy"] = headers["content-security-policy"].replace(
                "; frame-ancestors 'none'", "")
        if "xfo-only" in d:
            headers["x-frame-options"] = "DENY"
        if "no-referrer-policy" in d:
            del headers["referrer-policy"]
        if "cacheable-auth" in d and credentialed:
            del headers["cache-control"]
        if "no-coop" in d:
            del headers["cross-origin-opener-policy"]
        if "server-version" in d:
            headers["x-powered-by"] = "Express 4.18.2"
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] == "TRACE" and "trace-echo" in self.defects:
            echo = f"TRACE {scope['path']} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in request_headers.items())
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"message/http")]})
            await send({"type": "http.response.body", "body": echo.encode()})
            return
        credentialed = "authorization" in request_headers
        origin = request_headers.get("origin")

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 405 and "no-405" in self.defects and scope["path"].startswith("/v1/"):
                    status = 404
                kept = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in SECURITY_HEADERS]
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in kept)
                added = [(k.encode(), v.encode()) for k, v in self._headers(status, credentialed, html).items()]
                if origin and "reflected-cors" in self.defects:
                    added += [(b"access-control-allow-origin", origin.encode()),
                              (b"access-control-allow-credentials", b"true")]
                message = {**message, "status": status, "headers": kept + added}
            await send(message)

        await self.app(scope, receive, rewrite)


def build_app(defects: Iterable[str] = (), *, max_body: int = 2 * 1024 * 1024) -> ASGIApp:
    """The test service, with ``defects`` switched on."""
    service = Service(defects, max_body)
    routes = [
        Route("/", service.home, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
        Route("/v1/items", service.items, methods=["GET", "POST"]),
        Route("/v1/items/{itemId}", service.item, methods=["GET"]),
        Route("/v1/docs", service.documents, methods=["POST"]),
        Route("/v1/public", service.public, methods=["GET"]),
        Route("/auth/login", service.login, methods=["POST"]),
    ]
    if "git-exposed" in service.defects:
        routes.append(Route("/.git/HEAD", service.git_head, methods=["GET"]))
    if "actuator-open" in service.defects:
        routes.append(Route("/actuator", service.actuator, methods=["GET"]))
    return Headers(Starlette(routes=routes), service.defects)


def redirect_app(https_origin: str) -> ASGIApp:
    """A plain-HTTP listener that sends every request on to HTTPS on the same host (301)."""
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        location = https_origin + scope["path"]
        await send({"type": "http.response.start", "status": 301,
                    "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
    return app
