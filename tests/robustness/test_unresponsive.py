"""The breaker that clients of one run share: a system that stops answering stops costing a deadline per request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from conformance.http import UNRESPONSIVE_AFTER, HardenedClient, HttpFailure, HttpLimits, Unresponsive
from tests.http import hostile_servers as hs
from tests.http.hostile_servers import Conn, LoopbackServer

FAST = HttpLimits(connect_s=0.5, read_s=0.5, total_s=0.5)


async def _silent_on_slow_paths(conn: Conn) -> None:
    """Answers ``/fast`` at once; reads any other request and never answers it."""
    while True:
        seen = await conn.read_request()
        if seen.target != "/fast":
            await asyncio.sleep(hs.LIFETIME_S)
        await conn.send(hs.respond(200, {"Content-Type": "text/plain"}, b"ok"))


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    started = LoopbackServer(_silent_on_slow_paths).start()
    yield started
    started.stop()


async def _outcomes(url: str, paths: list[str], breaker: Unresponsive | None) -> list[str]:
    """For each path in turn: ``ok``, ``timeout`` (sent, unanswered) or ``not sent``."""
    found = []
    for path in paths:
        async with HardenedClient(url, limits=FAST, unresponsive=breaker) as client:  # one client per call, as a run
            try:
                await client.request("GET", path)
                found.append("ok")
            except HttpFailure as exc:
                assert exc.kind == "timeout"
                found.append("not sent" if exc.exchange is None else "timeout")
    return found


def test_after_enough_timeouts_in_a_row_nothing_more_is_sent(server: LoopbackServer) -> None:
    breaker = Unresponsive(limit=3)
    outcomes = asyncio.run(_outcomes(server.url, ["/slow"] * 5 + ["/fast"], breaker))
    assert outcomes == ["timeout"] * 3 + ["not sent"] * 3
    assert len(server.requests) == 3  # the system saw nothing after the third timeout
    assert breaker.reason is not None and "deemed unresponsive" in breaker.reason and "0.5 s deadline" in breaker.reason


def test_an_answer_between_timeouts_starts_the_count_again(server: LoopbackServer) -> None:
    breaker = Unresponsive(limit=3)
    outcomes = asyncio.run(_outcomes(server.url, ["/slow", "/slow", "/fast", "/slow", "/slow", "/fast"], breaker))
    assert outcomes == ["timeout", "timeout", "ok", "timeout", "timeout", "ok"]
    assert breaker.reason is None


def test_without_a_breaker_every_request_is_sent(server: LoopbackServer) -> None:
    outcomes = asyncio.run(_outcomes(server.url, ["/slow"] * (UNRESPONSIVE_AFTER + 1), None))
    assert outcomes == ["timeout"] * (UNRESPONSIVE_AFTER + 1)


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="1 or more"):
        Unresponsive(limit=0)
