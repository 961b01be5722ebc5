"""A pytest fixture that plays a profile's peer on loopback, for a vendor's own tests of its client.

::

    def test_our_one_stop_system_syncs_a_day(conformance_listener):
        portal = conformance_listener("dossier-sync", credentials=("motcua", "secret"))
        our_system.sync(portal.url)                  # the client under test talks to the simulator
        report = portal.stop()                       # judged across the run; reports written
        assert report["verdict"] == "conformant", portal.written

Each call starts the peer on a free loopback port in a background thread; ``stop()`` writes ``report.json``
(and the other formats) under the test's temporary folder and returns the report. A peer still running at the
end of the test is stopped. Options are those of :class:`conformance.listen.ListenOptions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .listen import Listening, ListenOptions, start_listening
from .profiles import resolve_profile

__all__ = ["conformance_listener"]


@pytest.fixture
def conformance_listener(tmp_path: Path) -> Iterator[Callable[..., Listening]]:
    """Start a profile's peer on loopback: ``conformance_listener(profile, **options)``, then ``.stop()``."""
    started: list[Listening] = []

    def start(profile: str, **options: Any) -> Listening:
        options.setdefault("out_dir", tmp_path / f"listen-{len(started) + 1}")
        run = start_listening(ListenOptions(resolve_profile(profile), **options))
        started.append(run)
        return run

    yield start
    for run in started:
        if run.running:
            run.stop()
