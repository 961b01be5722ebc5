"""The result model: requirements, outcomes, results, the verdict roll-up and exit codes.

Vocabulary from ISO/IEC 9646 and ``design.md``. Everything here is a frozen value with one
JSON form; reporters, engines and the CLI all build on it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ExitCode",
    "Finding",
    "Level",
    "Outcome",
    "Requirement",
    "RequirementTally",
    "Result",
    "Verdict",
    "decides_verdict",
    "exit_code_for",
    "roll_up",
    "worst_outcome",
]


class Level(enum.StrEnum):
    """How much a requirement weighs in the verdict."""

    MANDATORY = "mandatory"
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"


class Outcome(enum.StrEnum):
    """The result of one requirement on one subject."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    NOT_APPLICABLE = "not-applicable"


class Verdict(enum.StrEnum):
    """The result of a whole run."""

    CONFORMANT = "conformant"
    NON_CONFORMANT = "non-conformant"
    INCONCLUSIVE = "inconclusive"


class ExitCode(enum.IntEnum):
    """Process exit codes shared by every command (``design.md``)."""

    OK = 0
    NON_CONFORMANT = 1
    USAGE = 2
    INCOMPLETE = 3


# Precedence when one requirement has several outcomes (over subjects or checks): the worst wins.
_SEVERITY = {
    Outcome.NOT_APPLICABLE: 0,
    Outcome.PASS: 1,
    Outcome.INCONCLUSIVE: 2,
    Outcome.ERROR: 3,
    Outcome.FAIL: 4,
}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One testable statement of a profile's catalogue, with a stable id."""

    id: str
    level: Level
    title: Mapping[str, str]
    clause: str
    feature: str | None = None
    text: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    applies_to: tuple[str, ...] = ()
    mandatory_from: int | None = None  # mandatory from this security level of the target up, recommended below

    def title_in(self, lang: str) -> str:
        """The title in ``lang``, falling back to English."""
        return self.title.get(lang) or self.title.get("en") or self.id


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of evidence that a subject broke (or could not be judged on) a requirement."""

    message: str
    path: str | None = None
    line: int | None = None
    value: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The finding's JSON form; empty fields are left out."""
        out: dict[str, Any] = {"message": self.message}
        if self.path is not None:
            out["path"] = self.path
        if self.line is not None:
            out["line"] = self.line
        if self.value is not None:
            out["value"] = self.value
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one requirement on one subject, with the evidence behind it."""

    requirement: str
    profile: str
    level: Level
    outcome: Outcome
    subject: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The result's form in ``report.json``."""
        return {
            "requirement": self.requirement,
            "profile": self.profile,
            "level": self.level.value,
            "outcome": self.outcome.value,
            "subject": self.subject,
            "message": self.message,
            "evidence": dict(self.evidence),
            "duration_ms": round(self.duration_ms, 3),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from its ``report.json`` form."""
        return cls(
            requirement=data["requirement"],
            profile=data["profile"],
            level=Level(data["level"]),
            outcome=Outcome(data["outcome"]),
            subject=data["subject"],
            message=data["message"],
            evidence=data.get("evidence", {}),
            duration_ms=float(data.get("duration_ms", 0.0)),
        )


def worst_outcome(outcomes: Iterable[Outcome]) -> Outcome | None:
    """The most severe outcome of several (fail > error > inconclusive > pass > n/a), or None."""
    worst: Outcome | None = None
    for outcome in outcomes:
        if worst is None or _SEVERITY[outcome] > _SEVERITY[worst]:
            worst = outcome
    return worst


@dataclass(slots=True)
class RequirementTally:
    """Counts of outcomes for one requirement over every subject of a run."""

    requirement: Requirement
    profile: str
    counts: dict[Outcome, int] = field(default_factory=dict)

    def add(self, outcome: Outcome, n: int = 1) -> None:
        """Count ``n`` more results with ``outcome``."""
        self.counts[outcome] = self.counts.get(outcome, 0) + n

    @property
    def exercised(self) -> bool:
        """Whether any check produced a result for this requirement."""
        return any(self.counts.values())

    @property
    def outcome(self) -> Outcome | None:
        """The requirement's outcome over the run: the worst of its counted outcomes."""
        return worst_outcome(o for o, n in self.counts.items() if n)


def decides_verdict(requirement: Requirement, tally: RequirementTally, claims: frozenset[str]) -> bool:
    """Whether this requirement's outcome decides the verdict (``design.md``, verdict roll-up).

    Mandatory requirements always do. Optional ones do when their feature is claimed, or when a
    check found the feature in a subject (any outcome other than not-applicable). Recommended
    requirements never do.
    """
    if requirement.level is Level.MANDATORY:
        return True
    if requirement.level is Level.OPTIONAL:
        if requirement.feature is not None and requirement.feature in claims:
            return True
        return any(n for o, n in tally.counts.items() if o is not Outcome.NOT_APPLICABLE)
    return False


def roll_up(tallies: Iterable[RequirementTally], claims: frozenset[str], untested: Iterable[str]) -> Verdict:
    """The verdict of a run from the per-requirement tallies and the untested ids."""
    untested_ids = set(untested)
    failed = inconclusive = False
    for tally in tallies:
        if not decides_verdict(tally.requirement, tally, claims):
            continue
        if tally.requirement.id in untested_ids:
            inconclusive = True
            continue
        outcome = tally.outcome
        if outcome is Outcome.FAIL:
            failed = True
        elif outcome in (Outcome.INCONCLUSIVE, Outcome.ERROR):
            inconclusive = True
    if failed:
        return Verdict.NON_CONFORMANT
    if inconclusive:
        return Verdict.INCONCLUSIVE
    return Verdict.CONFORMANT


def exit_code_for(verdict: Verdict) -> ExitCode:
    """The exit code that a verdict maps to."""
    return {
        Verdict.CONFORMANT: ExitCode.OK,
        Verdict.NON_CONFORMANT: ExitCode.NON_CONFORMANT,
        Verdict.INCONCLUSIVE: ExitCode.INCOMPLETE,
    }[verdict]
