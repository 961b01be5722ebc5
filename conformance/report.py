"""Building the canonical report (``conformance-report/1``) from results."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import __version__, i18n
from .clock import Clock
from .model import Level, Outcome, RequirementTally, Result, Verdict, decides_verdict, roll_up
from .profiles import Profile

__all__ = ["FORMAT", "TOOL_NAME", "ReportBuilder"]

FORMAT = "conformance-report/1"
TOOL_NAME = "lienthong-conformance"


def _counts(tallies: Iterable[Mapping[Outcome, int]]) -> dict[str, int]:
    out = {o.value: 0 for o in Outcome}
    for counts in tallies:
        for outcome, n in counts.items():
            out[outcome.value] += n
    return out


class ReportBuilder:
    """Accumulates results of a run, keeps the ones to list, and renders the report."""

    def __init__(self, profiles: list[Profile], *, list_passes: bool) -> None:
        self.profiles = profiles
        self.list_passes = list_passes
        self.tallies: dict[tuple[str, str], RequirementTally] = {
            (p.id, r.id): RequirementTally(r, p.id) for p in profiles for r in p.requirements.values()
        }
        self.listed: list[Result] = []
        self.omitted: set[tuple[str, str]] = set()
        self.subjects = 0
        # WARN parts: recommended-level results under a requirement of another level (they never decide)
        self.warned: dict[tuple[str, str], RequirementTally] = {}
        self.reasons: dict[tuple[str, str], str] = {}

    def add(self, results: Iterable[Result], omitted: Iterable[str] = (), profile: str | None = None) -> None:
        """Count (and list, where the listing rule says so) the results of one subject."""
        self.subjects += 1
        for result in results:
            key = (result.profile, result.requirement)
            tally = self.tallies[key]
            if result.level is Level.RECOMMENDED and tally.requirement.level is not Level.RECOMMENDED:
                self.warned.setdefault(key, RequirementTally(tally.requirement, result.profile)).add(result.outcome)
            else:
                tally.add(result.outcome)
            if self.list_passes or result.outcome not in (Outcome.PASS, Outcome.NOT_APPLICABLE):
                self.listed.append(result)
        if profile is not None:
            self.omitted.update((profile, r) for r in omitted)

    def add_counts(self, profile: str, counts: Mapping[tuple[str, Outcome], int], listed: Iterable[Result],
                   omitted: Iterable[str], subjects: int) -> None:
        """Merge (requirement, outcome) counts computed elsewhere (a worker process) into this report."""
        for (rid, outcome), n in counts.items():
            self.tallies[(profile, rid)].add(outcome, n)
        self.listed.extend(listed)
        self.omitted.update((profile, r) for r in omitted)
        self.subjects += subjects

    def add_run_results(self, results: Iterable[Result]) -> None:
        """Count (and list, where the listing rule says so) results judged across the run, not on one subject."""
        for result in results:
            self.tallies[(result.profile, result.requirement)].add(result.outcome)
            if self.list_passes or result.outcome not in (Outcome.PASS, Outcome.NOT_APPLICABLE):
                self.listed.append(result)

    def untested_because(self, profile: str, requirement: str, reason: str) -> None:
        """Say why ``requirement`` was not tested (a probe that needs consent, an extra not installed)."""
        self.reasons[(profile, requirement)] = reason

    def untested(self) -> list[str]:
        """Ids no check exercised (except those skipped because evaluation stopped early), and ids a profile
        left partly untested with a reason, unless they already failed."""
        return [rid for (pid, rid), tally in self.tallies.items()
                if (not tally.exercised and (pid, rid) not in self.omitted)
                or ((pid, rid) in self.reasons and tally.outcome is not Outcome.FAIL)]  # a part left untested

    def verdict(self, claims: frozenset[str]) -> Verdict:
        """The run's verdict (``design.md``, verdict roll-up)."""
        return roll_up(self.tallies.values(), claims, self.untested())

    def build(self, *, command: str, clock: Clock, lang: str, claims: frozenset[str],
              target: Mapping[str, Any] | None, reproduce: str, seed: int | None) -> dict[str, Any]:
        """The report as the plain mapping ``report.json`` holds."""
        untested = self.untested()
        by_requirement: dict[str, Any] = {}
        for (pid, rid), tally in self.tallies.items():
            counts = {o.value: tally.counts.get(o, 0) for o in Outcome}
            outcome = tally.outcome
            by_requirement[rid] = {
                "profile": pid,
                "level": tally.requirement.level.value,
                "outcome": outcome.value if outcome else "untested",
                "decides": decides_verdict(tally.requirement, tally, claims),
                "counts": counts,
            }
            warned = self.warned.get((pid, rid))
            if warned is not None:
                by_requirement[rid]["warnings"] = warned.counts.get(Outcome.FAIL, 0)
        by_level = {level.value: _counts(t.counts for t in self.tallies.values() if t.requirement.level is level)
                    for level in Level}
        warnings = sum(1 for t in self.tallies.values()
                       if t.requirement.level is Level.RECOMMENDED and t.outcome is Outcome.FAIL)
        warnings += sum(1 for t in self.warned.values() if t.counts.get(Outcome.FAIL))
        reasons = {rid: self.reasons.get((pid, rid)) or i18n.t("result.untested", lang)
                   for (pid, rid), tally in self.tallies.items() if rid in untested}
        return {
            "format": FORMAT,
            "id": str(uuid.uuid4()),
            "created": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "tool": {"name": TOOL_NAME, "version": __version__},
            "command": command,
            "lang": lang,
            "clock": clock.now().isoformat(),
            "profiles": [{"id": p.id, "version": p.version, "title": p.title_in(lang)} for p in self.profiles],
            "target": dict(target or {}),
            "claims": sorted(claims),
            "verdict": self.verdict(claims).value,
            "summary": {
                "subjects": self.subjects,
                "results": sum(sum(t.counts.values()) for t in self.tallies.values()),
                "by_outcome": _counts(t.counts for t in self.tallies.values()),
                "by_level": by_level,
                "by_requirement": by_requirement,
                "untested": untested,
                "untested_reasons": reasons,
                "warnings": warnings,
            },
            "requirements": [
                {"id": r.id, "profile": p.id, "level": r.level.value, "feature": r.feature,
                 "title": dict(r.title), "clause": r.clause}
                for p in self.profiles for r in p.requirements.values()
            ],
            "listing": "all" if self.list_passes else "non-passing",
            "results": [r.to_json() for r in self.listed],
            "reproduce": {"command": reproduce, "seed": seed},
        }
