"""Report writers, one per output format, all rendered from the canonical ``report.json`` form.

Writers take the report as the plain mapping that ``report.json`` holds, so a stored report renders
again exactly as the run did (``conformance report``). They import neither click nor pytest.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ProfileError, did_you_mean

__all__ = ["FORMATS", "Writer", "register_writer", "write_reports"]

Writer = Callable[[Mapping[str, Any], Path], Path]
_WRITERS: dict[str, tuple[Writer, str]] = {}


def register_writer(name: str) -> Callable[[Writer], Writer]:
    """Register a writer for format ``name``; a second registration names both places."""

    def decorate(func: Writer) -> Writer:
        where = f"{inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]}"
        if name in _WRITERS:
            raise ProfileError(f"report format '{name}' is registered twice: at {_WRITERS[name][1]} and at {where}")
        _WRITERS[name] = (func, where)
        return func

    return decorate


def write_reports(report: Mapping[str, Any], out_dir: Path, formats: list[str]) -> list[Path]:
    """Write ``report`` into ``out_dir`` in each of ``formats`` (``json`` first when asked for)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = list(dict.fromkeys(formats))
    ordered = (["json"] if "json" in wanted else []) + [f for f in wanted if f != "json"]
    written = []
    for name in ordered:
        if name not in _WRITERS:
            hint = did_you_mean(name, _WRITERS)
            raise ConfigError(f"unknown report format '{name}'", hint=hint or f"choose from {', '.join(FORMATS)}")
        written.append(_WRITERS[name][0](report, out_dir))
    return written


# Import for registration; the order fixes FORMATS.
from . import allure, html, json_writer, junit  # noqa: E402

FORMATS: tuple[str, ...] = tuple(_WRITERS)
__all__ += ["allure", "html", "json_writer", "junit"]
