"""The edXML corpus, built once per worker, with tripwires that detect any file read or network contact."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.clock import Clock
from conformance.profiles import resolve_profile
from conformance.reporting.json_writer import validate_report
from conformance.session import ValidateOptions, validate
from conformance_fixtures.edxml_corpus import build_corpus
from tests.conftest import NOW


@dataclass
class Tripwires:
    """A FIFO whose opening for reading is noticed, and a loopback listener that counts connections."""

    fifo: Path
    url: str
    opened: threading.Event = field(default_factory=threading.Event)
    connections: list[tuple[str, int]] = field(default_factory=list)

    def reset(self) -> None:
        self.opened.clear()
        self.connections.clear()


def _watch_fifo(wires: Tripwires, stop: threading.Event) -> None:
    # Opening a FIFO for writing blocks until someone opens it for reading: that someone is a reader.
    while not stop.is_set():
        fd = os.open(wires.fifo, os.O_WRONLY)
        if not stop.is_set():
            wires.opened.set()
            try:
                os.write(fd, b"CANARY-FILE-CONTENT-7f3a\n")
            except BrokenPipeError:
                pass
        os.close(fd)


def _listen(server: socket.socket, wires: Tripwires, stop: threading.Event) -> None:
    server.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, addr = server.accept()
        except TimeoutError:
            continue
        wires.connections.append(addr)
        conn.close()


@pytest.fixture(scope="session")
def tripwires(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tripwires]:
    """Tripwires for the duration of the session."""
    folder = tmp_path_factory.mktemp("canary")
    fifo = folder / "secret.txt"
    os.mkfifo(fifo)
    server = socket.create_server(("127.0.0.1", 0))
    wires = Tripwires(fifo, f"http://127.0.0.1:{server.getsockname()[1]}/evil.dtd")
    stop = threading.Event()
    threads = [threading.Thread(target=_watch_fifo, args=(wires, stop), daemon=True),
               threading.Thread(target=_listen, args=(server, wires, stop), daemon=True)]
    for thread in threads:
        thread.start()
    yield wires
    stop.set()
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # release the blocked writer
    os.close(fd)
    for thread in threads:
        thread.join(timeout=5)
    server.close()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, tripwires: Tripwires) -> Path:
    """The labelled corpus (without the 60 MB package), pointing its attacks at the tripwires."""
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(out, now=NOW, canary_file=tripwires.fifo, canary_url=tripwires.url)
    return out


def labels(corpus: Path) -> dict[str, dict[str, Any]]:
    """The corpus labels: ``{"invalid/EDX-08-….edxml": {"breaks": [...], "why": ...}}``."""
    data: dict[str, dict[str, Any]] = json.loads((corpus / "labels.json").read_text("utf-8"))
    return data


def run_validate(paths: list[Path], out: Path, *, trust: list[Path] | None = None, claims: tuple[str, ...] = (),
                 max_bytes: int | None = None, list_passes: bool = True, jobs: int = 1,
                 lang: str = "en") -> dict[str, Any]:
    """Validate with the edxml profile in-process, with the pinned clock; returns report.json's content."""
    opts = ValidateOptions(profiles=[resolve_profile("edxml")], paths=paths, clock=Clock(NOW), out_dir=out,
                           formats=("json",), trust=trust or [], claims=list(claims), list_passes=list_passes,
                           max_bytes=max_bytes, jobs=jobs, lang=lang)
    report, _ = validate(opts)
    assert validate_report(report) == [], validate_report(report)  # every report a test writes is valid
    return report


@pytest.fixture(scope="session")
def corpus_report(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One validation of the whole corpus, with the test CA as trust anchor."""
    return run_validate([corpus / "conformant", corpus / "invalid", corpus / "hostile"],
                        tmp_path_factory.mktemp("report"), trust=[corpus / "trust" / "ca.pem"])
