"""``conformance listen``: play a profile's peer (a portal, a hub) on a socket and judge what a client sends.

The profile registers the peer (``Checks.peer``): a function that takes a :class:`ListenSession` and returns
an ASGI application. The application answers every call as the real peer would, and hands each message it
receives to :meth:`ListenSession.judge`, which judges it with the profile's checks, there and then, so the
answer can refuse a message that fails. The harness serves the application with uvicorn, stops on
``--count`` (messages judged), ``--duration``, SIGINT or SIGTERM, runs the run-level judgements over the
messages in arrival order, and writes the usual reports, listing every result. Nothing here knows a
standard: paths, credentials and answers belong to the profile's peer.

::

    run = start_listening(ListenOptions(profile, port=0, out_dir=out))   # in a thread, for tests and demos
    client(run.url)
    report = run.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import signal
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .clock import Clock
from .errors import ConfigError, ProfileError
from .evaluate import SubjectReport, evaluate_subject, judge_across, unreadable_subject
from .i18n import t
from .model import Level, Outcome, Result
from .profiles import Profile, discover
from .registry import CheckContext, Checks, Contribution, RawSubject
from .report import ReportBuilder
from .reporting import FORMATS, write_reports
from .session import default_out_dir

__all__ = [
    "Judged",
    "ListenOptions",
    "ListenSession",
    "Listening",
    "listen",
    "listen_demo",
    "listen_demos",
    "read_body",
    "send_json",
    "start_listening",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_HOST = "127.0.0.1"
# Bounds that keep a hostile client from exhausting the simulator; over them a call waits or is refused.
MAX_CONNECTIONS = 64
GRACEFUL_SECONDS = 5
START_SECONDS = 10


@dataclass(frozen=True)
class ListenOptions:
    """What ``listen`` was asked to do."""

    profile: Profile
    host: str = DEFAULT_HOST
    port: int = 0
    count: int | None = None
    duration: float | None = None
    clock: Clock = field(default_factory=Clock)  # live: a listening run lasts, and dates are judged as they come
    lang: str = "en"
    out_dir: Path | None = None
    formats: Sequence[str] = FORMATS
    claims: Sequence[str] = ()
    credentials: tuple[str, str] | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    max_bytes: int | None = None
    reproduce: str = ""


@dataclass
class Judged:
    """One message the peer received: its subject name, its judgement, and the exchange as evidence.

    The peer adds what it answered to ``evidence`` (``judged.evidence["response"] = …``); every result of
    the subject carries the evidence under ``exchange``. Secrets never go into it.
    """

    subject: str
    report: SubjectReport
    evidence: dict[str, Any]

    def failures(self, level: Level = Level.MANDATORY) -> list[Result]:
        """The failed results of this message at ``level``: what a receiver refuses a message for."""
        return [r for r in self.report.results if r.outcome is Outcome.FAIL and r.level is level]

    def facts(self, requirement: str) -> tuple[Any, ...]:
        """The facts this message contributed to run-level requirement ``requirement``."""
        return next((c.facts for rid, c in self.report.contributions if rid == requirement), ())


class ListenSession:
    """What a profile's peer gets: the check context, the limits and credentials, and ``judge``."""

    def __init__(self, profile: Profile, checks: Checks, ctx: CheckContext, *, credentials: tuple[str, str] | None,
                 max_bytes: int, count: int | None, on_count: Callable[[], None]) -> None:
        self.profile = profile
        self.checks = checks
        self.ctx = ctx
        self.credentials = credentials
        self.max_bytes = max_bytes
        self._count = count
        self._on_count = on_count
        self._lock = threading.Lock()
        self.judged: list[Judged] = []

    def _record(self, label: str, judge: Callable[[str], SubjectReport], evidence: dict[str, Any]) -> Judged:
        with self._lock:
            name = f"#{len(self.judged) + 1} {label}"
            judged = Judged(name, judge(name), evidence)
            self.judged.append(judged)
            reached = self._count is not None and len(self.judged) >= self._count
        if reached:
            self._on_count()
        return judged

    def judge(self, label: str, body: bytes, *, refused: bool = False, **evidence: Any) -> Judged:
        """Judge one received message now; it is recorded as subject ``#<n> <label>`` and counts for ``--count``.

        ``refused`` says the peer refuses the call whatever its content (a bad session): the message is still
        judged, but its run-level facts are marked rejected.
        """
        return self._record(label, lambda name: evaluate_subject(
            self.profile.id, self.profile.requirements, self.checks, RawSubject(name, body), self.ctx,
            refused=refused), dict(evidence))

    def too_large(self, label: str, **evidence: Any) -> Judged:
        """Record a message whose body was over the size cap: inconclusive, with the limit named."""
        reason = t("body.too_large", self.ctx.lang, limit=self.max_bytes)
        return self._record(label, lambda name: unreadable_subject(
            self.profile.id, self.profile.requirements, self.checks, name, reason, {"limit_bytes": self.max_bytes}),
            dict(evidence))

    def contributions(self) -> list[tuple[str, Contribution]]:
        """Every message's run-level facts, in arrival order."""
        with self._lock:
            return [c for judged in self.judged for c in judged.report.contributions]


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None as soon as it is over ``limit`` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def send_json(send: Send, payload: Any, status: int = 200) -> None:
    """Answer with ``payload`` as a JSON body."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode("ascii"))]})
    await send({"type": "http.response.body", "body": body})


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          hint="choose a free port (or --port 0 for any), and a host address of this machine") \
            from None


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, but SIGINT and SIGTERM only stop it: the report is written, then the exit code."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

        def _stop(self, sig: int, frame: object) -> None:
            if self.should_exit:
                self.force_exit = True  # a second Ctrl-C: stop waiting for open connections
            self.should_exit = True

    return Server


class Listening:
    """A peer being played on a bound socket, until ``--count``, ``--duration``, a signal or :meth:`stop`."""

    def __init__(self, opts: ListenOptions) -> None:
        import uvicorn

        self.opts = opts
        profile = opts.profile
        checks = profile.load_checks()
        if checks.peer_factory is None:
            raise ConfigError(f"profile '{profile.id}' has no peer to play, so it cannot listen",
                              hint="listen with a profile that registers one (checks.peer in its checks.py), "
                                   "or validate its messages offline with 'conformance validate'")
        if (opts.tls_cert is None) != (opts.tls_key is None):
            raise ConfigError("--tls-cert and --tls-key go together", hint="give both files, or neither for HTTP")
        max_bytes = opts.max_bytes or int(profile.limits.get("max_subject_bytes", 100 * 1024 * 1024))
        self.ctx = CheckContext(profile.id, opts.clock, frozenset(opts.claims), (), dict(profile.artefacts),
                                dict(profile.limits), opts.lang, messages=profile.messages())
        self.session = ListenSession(profile, checks, self.ctx, credentials=opts.credentials, max_bytes=max_bytes,
                                     count=opts.count, on_count=self.request_stop)
        try:
            app = checks.peer_factory(self.session)
        except Exception as exc:
            raise ProfileError(f"the peer of profile '{profile.id}' could not be built: "
                               f"{type(exc).__name__}: {exc}") from exc
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                                server_header=False, limit_concurrency=MAX_CONNECTIONS,
                                timeout_graceful_shutdown=GRACEFUL_SECONDS,
                                ssl_certfile=str(opts.tls_cert) if opts.tls_cert else None,
                                ssl_keyfile=str(opts.tls_key) if opts.tls_key else None)
        try:
            config.load()
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot use the TLS certificate and key: {exc}",
                              hint="give a PEM certificate (--tls-cert) and its PEM private key (--tls-key)") from None
        self.sock = _bind(opts.host, opts.port)
        self.server = _server_class()(config)
        host, port = self.sock.getsockname()[:2]
        scheme = "https" if opts.tls_cert else "http"
        self.url = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
        self._thread: threading.Thread | None = None
        self.report: dict[str, Any] | None = None
        self.written: list[Path] = []

    def request_stop(self) -> None:
        """Ask the server to stop; calls in flight are answered first."""
        self.server.should_exit = True

    def serve(self) -> None:
        """Serve until a stop condition, in this thread (signals are caught when it is the main thread)."""
        timer = threading.Timer(self.opts.duration, self.request_stop) if self.opts.duration else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            asyncio.run(self.server.serve(sockets=[self.sock]))
        finally:
            if timer is not None:
                timer.cancel()
            self.sock.close()

    def start(self) -> Listening:
        """Serve in a background thread; return once the server accepts connections."""
        self._thread = threading.Thread(target=self.serve, name=f"listen-{self.opts.profile.id}", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self.server.started and self._thread.is_alive() and waited < START_SECONDS:
            time.sleep(0.01)
            waited += 0.01
        if not self.server.started:
            raise ConfigError(f"the peer of profile '{self.opts.profile.id}' did not start on {self.url}")
        return self

    @property
    def running(self) -> bool:
        """Whether the background server is still serving."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> dict[str, Any]:
        """Stop the background server, write the reports, and return the report."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join()
        return self.finish()

    def finish(self) -> dict[str, Any]:
        """Judge across the run, write the reports (every result listed), and return the report."""
        if self.report is not None:
            return self.report
        profile, session = self.opts.profile, self.session
        builder = ReportBuilder([profile], list_passes=True)
        for judged in list(session.judged):
            results = [replace(r, evidence={**r.evidence, "exchange": judged.evidence}) for r in judged.report.results]
            builder.add(results, judged.report.omitted, profile.id)
        if session.checks.across_judgements:
            builder.add_run_results(judge_across(profile.id, profile.requirements, session.checks,
                                                 session.contributions(), self.ctx))
        self.report = builder.build(command="listen", clock=self.opts.clock, lang=self.opts.lang,
                                    claims=frozenset(self.opts.claims), target=None,
                                    reproduce=self.opts.reproduce, seed=None)
        out_dir = self.opts.out_dir or default_out_dir(profile.id)
        self.written = write_reports(self.report, out_dir, ["json", *self.opts.formats])
        return self.report


def listen(opts: ListenOptions, ready: Callable[[str], None] | None = None) -> tuple[dict[str, Any], list[Path]]:
    """Play the profile's peer in this thread until a stop condition; write and return the report."""
    run = Listening(opts)
    if ready is not None:
        ready(run.url)
    run.serve()
    report = run.finish()
    return report, run.written


def start_listening(opts: ListenOptions) -> Listening:
    """Play the profile's peer in a background thread; :meth:`Listening.stop` writes and returns the report."""
    return Listening(opts).start()


def _demo_client(profile: Profile) -> Callable[..., object] | None:
    name = (profile.raw.get("demo") or {}).get("client")
    if not name:
        return None
    module_name, _, func_name = str(name).partition(":")
    try:
        func: Callable[..., object] = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise ProfileError(f"profile '{profile.id}' names demo client '{name}', which cannot be loaded: {exc}") \
            from exc
    return func


def listen_demo(profile: Profile, out_dir: Path, *, clock: Clock | None = None, lang: str = "en",
                formats: Sequence[str] = FORMATS) -> tuple[dict[str, Any], list[Path]]:
    """Play ``profile``'s peer on a random loopback port, run its demo client against it, write ``out_dir``.

    The demo client is ``demo.client`` of profile.yaml, a function ``client(base_url, *, now)``; the run stops
    when it returns. Returns the report and the files written.
    """
    client = _demo_client(profile)
    if client is None:
        raise ProfileError(f"profile '{profile.id}' names no demo client (demo.client in profile.yaml)")
    clock = clock or Clock()
    run = start_listening(ListenOptions(profile, clock=clock, lang=lang, out_dir=out_dir, formats=formats,
                                        reproduce="conformance demo"))
    try:
        now: datetime = clock.now()
        client(run.url, now=now)
    finally:
        report = run.stop()
    return report, run.written


def listen_demos(out_root: Path, *, clock: Clock | None = None, lang: str = "en",
                 formats: Sequence[str] = FORMATS) -> list[tuple[Profile, dict[str, Any], list[Path]]]:
    """:func:`listen_demo` for every installed profile with a demo client, each into ``out_root/<profile id>/``."""
    done = []
    for profile in discover().values():
        if _demo_client(profile) is not None:
            report, written = listen_demo(profile, out_root / profile.id, clock=clock, lang=lang, formats=formats)
            done.append((profile, report, written))
    return done
