"""The profile's data files read into typed values: field names per message type, code lists, lifecycle.

Field spellings differ between portal generations, so nothing here names a field: the artefact
``codes`` (``codes/dossier-sync-1.yaml``) does, and the checks read it through :func:`codebook`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ProfileError
from conformance.registry import CheckContext

__all__ = ["CodeBook", "LifecycleRules", "ServiceSpec", "book_of", "codebook"]


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """The fields of one message type (``service``) that the rules judge."""

    name: str
    status: str
    integers: tuple[str, ...]
    codes: Mapping[str, str]
    dates: tuple[str, ...]
    past_dated: frozenset[str]
    free_text: tuple[str, ...]
    received: str | None = None
    appointment: str | None = None
    returned: str | None = None
    returned_status: int | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class LifecycleRules:
    """Which status may follow which (DVC-07)."""

    statuses: frozenset[int]
    open: frozenset[int]
    final: frozenset[int]
    next: Mapping[int, frozenset[int]]
    from_any_open: frozenset[int]

    def allowed(self, before: int) -> frozenset[int]:
        """The statuses that may follow ``before``: its successors, repeating it, and the any-open ones."""
        allowed = set(self.next.get(before, ())) | {before}
        if before in self.open:
            allowed |= self.from_any_open
        return frozenset(allowed)


@dataclass(frozen=True, slots=True)
class CodeBook:
    """One generation of the portal's messages: field names, code lists and the lifecycle."""

    generation: int
    dossier_code: str
    services: Mapping[str, ServiceSpec]
    lists: Mapping[str, Mapping[Any, Mapping[str, str]]]
    lifecycle: LifecycleRules

    def name_of(self, list_name: str, code: object, lang: str) -> str:
        """The name of ``code`` in code list ``list_name``, in ``lang`` (else English), or the code itself."""
        entry = self.lists.get(list_name, {}).get(code)
        return (entry.get(lang) or entry["en"]) if entry else str(code)


def _spec(name: str, data: Mapping[str, Any]) -> ServiceSpec:
    return ServiceSpec(
        name=name, status=data["status"], integers=tuple(data.get("integers", ())), codes=dict(data.get("codes", {})),
        dates=tuple(data.get("dates", ())), past_dated=frozenset(data.get("past_dated", ())),
        free_text=tuple(data.get("free_text", ())), received=data.get("received"),
        appointment=data.get("appointment"), returned=data.get("returned"),
        returned_status=data.get("returned_status"), email=data.get("email"), phone=data.get("phone"))


_last: tuple[Path, CodeBook] | None = None


def book_of(ctx: CheckContext) -> CodeBook:
    """The code book of a run (artefact ``codes``): every message asks, so the last one is kept at hand."""
    global _last
    path = ctx.artefact("codes")
    last = _last
    if last is not None and last[0] is path:
        return last[1]
    book = codebook(path)
    _last = (path, book)
    return book


@cache
def codebook(path: Path) -> CodeBook:
    """The code book in artefact file ``path`` (read once per process)."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        cycle = data["lifecycle"]
        statuses = frozenset(data["lists"]["status"])
        return CodeBook(
            generation=int(data["generation"]),
            dossier_code=data["dossier_code"],
            services={name: _spec(name, spec) for name, spec in data["services"].items()},
            lists={name: dict(codes) for name, codes in data["lists"].items()},
            lifecycle=LifecycleRules(
                statuses=statuses, open=frozenset(cycle["open"]), final=frozenset(cycle["final"]),
                next={int(k): frozenset(v) for k, v in cycle["next"].items()},
                from_any_open=frozenset(cycle["from_any_open"])),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"cannot read the code book {path}: {type(exc).__name__}: {exc}") from exc
