"""Fixtures for harness tests: the toy profiles and files to judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.profiles import PATH_ENV, Profile, load_profile

PROFILES = Path(__file__).parent / "profiles"


@pytest.fixture(autouse=True)
def toy_profiles_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the toy profiles installable by id, as a third-party profile would be."""
    monkeypatch.setenv(PATH_ENV, str(PROFILES))


@pytest.fixture
def toy() -> Profile:
    """The toy profile."""
    return load_profile(PROFILES / "toy")


@pytest.fixture
def toy_files(tmp_path: Path) -> Path:
    """A folder of toy files: good, too long, no newline, bad signature, not UTF-8, too large, a crash."""
    folder = tmp_path / "msgs"
    folder.mkdir()
    (folder / "good.txt").write_text("short\nSIG OK\n")
    (folder / "long.txt").write_text("this line is far too long\n")
    (folder / "nonewline.txt").write_text("fine")
    (folder / "badsig.txt").write_text("SIG NO\n")
    (folder / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (folder / "big.txt").write_text("x\n" * 600)
    (folder / "boom.txt").write_text("boom\n")
    (folder / "ignored.dat").write_text("not a txt file, never picked up from a folder\n")
    return folder
