"""The portal simulator: the DVCQG adapter that ``conformance listen -p dossier-sync`` plays for a one-stop system.

``POST /dvcqg/auth`` takes ``{username, password}`` and the ``dstcode`` header and answers ``{error_code: 0,
session}``. ``POST /dvcqg/integration`` takes ``{session, madonvi, service, …}``: every such call is judged
with the profile's checks and recorded, and the answer refuses a message that fails a mandatory requirement,
naming the ids, as the real portal would. Every answer is HTTP 200 with a JSON body; ``error_code`` is 0 on
success and otherwise one of :data:`ERRORS`. The session token and the password never reach the report.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections import OrderedDict
from typing import Any

from conformance.listen import Judged, ListenSession, Receive, Scope, Send, read_body, send_json

from .checks import illegal_finding
from .codebook import codebook
from .lifecycle import Lifecycle, steps_of

__all__ = ["AUTH_PATH", "ERRORS", "INTEGRATION_PATH", "Portal", "portal_app"]

AUTH_PATH = "/dvcqg/auth"
INTEGRATION_PATH = "/dvcqg/integration"
ERRORS = {
    "bad_credentials": 1,
    "no_dstcode": 2,
    "unparseable": 3,
    "bad_session": 4,
    "no_madonvi": 5,
    "unknown_service": 6,
    "rejected": 7,
    "too_large": 8,
    "not_found": 9,
    "internal": 99,
}
MAX_SESSIONS = 10_000  # the oldest session is forgotten beyond this, so a client cannot fill the memory
QUOTED = 300
LIFECYCLE = "DVC-07"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _loose_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, read leniently to route the call; the checks judge the bytes strictly."""
    try:
        value = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    return value[:QUOTED] if isinstance(value, str) and value else None


class Portal:
    """The simulated portal: sessions, the lifecycle state of every dossier, and the answers."""

    def __init__(self, session: ListenSession) -> None:
        self.session = session
        self.ctx = session.ctx
        self.book = codebook(self.ctx.artefact("codes"))
        self.sessions: OrderedDict[str, str] = OrderedDict()
        self.lifecycle = Lifecycle(self.book.lifecycle)

    def error(self, kind: str, **params: object) -> dict[str, Any]:
        """A refusal: its error code and the catalogue message in the run's language."""
        return {"error_code": ERRORS[kind], "message": self.ctx.say(f"portal.{kind}", **params)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            answer = await self.answer(scope, receive)
        except Exception as exc:  # the simulator never crashes on what a client sends
            answer = {"error_code": ERRORS["internal"], "message": f"{type(exc).__name__}"}
        await send_json(send, answer)

    async def answer(self, scope: Scope, receive: Receive) -> dict[str, Any]:
        """Route one call and say what the portal answers."""
        path = scope.get("path", "")
        if scope.get("method") != "POST" or path not in (AUTH_PATH, INTEGRATION_PATH):
            return self.error("not_found")
        body = await read_body(receive, self.session.max_bytes)
        if path == AUTH_PATH:
            return self.authenticate(scope, body)
        return self.integrate(scope, body)

    def authenticate(self, scope: Scope, body: bytes | None) -> dict[str, Any]:
        """Open a session for any credentials, or only for ``--credentials`` when given."""
        if body is None:
            return self.error("too_large", limit=self.session.max_bytes)
        request = _loose_object(body)
        if request is None:
            return self.error("unparseable")
        dstcode = _header(scope, b"dstcode")
        if not dstcode:
            return self.error("no_dstcode")
        expected = self.session.credentials
        if expected is not None:
            user, password = request.get("username"), request.get("password")
            if not (isinstance(user, str) and isinstance(password, str)
                    and hmac.compare_digest(user.encode("utf-8", "replace"), expected[0].encode())
                    and hmac.compare_digest(password.encode("utf-8", "replace"), expected[1].encode())):
                return self.error("bad_credentials")
        token = secrets.token_urlsafe(24)
        self.sessions[token] = dstcode
        while len(self.sessions) > MAX_SESSIONS:
            self.sessions.popitem(last=False)
        return {"error_code": 0, "message": self.ctx.say("portal.ok"), "session": token}

    def integrate(self, scope: Scope, body: bytes | None) -> dict[str, Any]:
        """Judge and record the message, then take it or refuse it."""
        label = f"POST {INTEGRATION_PATH}"
        client = scope.get("client")
        request: dict[str, Any] = {"method": "POST", "path": INTEGRATION_PATH, "dstcode": _header(scope, b"dstcode"),
                                   "client": client[0] if client else None}
        if body is None:
            judged = self.session.too_large(label, request=request)
            answer = self.error("too_large", limit=self.session.max_bytes)
            judged.evidence["response"] = answer
            return answer
        envelope = _loose_object(body)
        token = envelope.get("session") if envelope else None
        known = isinstance(token, str) and token in self.sessions
        madonvi = _text(envelope.get("madonvi")) if envelope else None
        service = envelope.get("service") if envelope else None
        request.update({"session": "valid" if known else "unknown" if token else "missing", "madonvi": madonvi,
                        "service": _text(service) if isinstance(service, str) else service})
        judged = self.session.judge(label, body, refused=envelope is None or not known or madonvi is None,
                                    request=request)
        answer = self.decide(judged, envelope, known, madonvi, service)
        judged.evidence["response"] = answer
        return answer

    def decide(self, judged: Judged, envelope: dict[str, Any] | None, known: bool, madonvi: str | None,
               service: object) -> dict[str, Any]:
        """The portal's answer to a judged message; only a message it takes advances the lifecycle."""
        if envelope is None:
            return self.error("unparseable")
        if not known:
            return self.error("bad_session")
        if madonvi is None:
            return self.error("no_madonvi")
        if not isinstance(service, str) or service not in self.book.services:
            return self.error("unknown_service", service=_text(service) or json.dumps(service)[:QUOTED])
        failures = judged.failures()
        if not failures:
            illegal = self.lifecycle.offer(steps_of(judged.subject, judged.facts(LIFECYCLE)))
            if illegal:
                first = illegal_finding(illegal[0], self.book, self.ctx).message
                return self.error("rejected", ids=LIFECYCLE, first=first[:QUOTED])
            return {"error_code": 0, "message": self.ctx.say("portal.ok"),
                    "result": {"service": service, "items": len(envelope.get("data") or ())}}
        ids = ", ".join(sorted({r.requirement for r in failures}))
        return self.error("rejected", ids=ids, first=failures[0].message[:QUOTED])


def portal_app(session: ListenSession) -> Portal:
    """The portal's ASGI application, bound to one listening session."""
    return Portal(session)
