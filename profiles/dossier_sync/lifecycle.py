"""The dossier lifecycle (DVC-07): which status may follow which, over the messages of a run.

The same :class:`Lifecycle` judges a validation run once every file is read (``checks.lifecycle``) and the
portal simulator message by message as they arrive (``peer.py``), so both give the same verdicts. A message
is taken whole or not at all: when one of its steps breaks the lifecycle, none of its steps advances a
dossier, as the portal refuses the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .codebook import LifecycleRules

__all__ = ["Illegal", "Lifecycle", "Step", "steps_of"]


@dataclass(frozen=True, slots=True)
class Step:
    """One status report: the dossier, the status, and where it stands (subject and JSON pointer)."""

    dossier: str
    status: int
    subject: str
    path: str


@dataclass(frozen=True, slots=True)
class Illegal:
    """A step the lifecycle does not allow, and the status it would have left."""

    step: Step
    before: int


def steps_of(subject: str, facts: Iterable[tuple[str, int, str]]) -> list[Step]:
    """The steps of one message, from the facts it contributed: ``(dossier, status, path)``."""
    return [Step(dossier, status, subject, path) for dossier, status, path in facts]


@dataclass
class Lifecycle:
    """The current status of every dossier seen so far, advanced one accepted message at a time."""

    rules: LifecycleRules
    state: dict[str, int] = field(default_factory=dict)
    # What may follow each status, worked out once: a run asks it for every status report.
    _allowed: dict[int, frozenset[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._allowed = {status: self.rules.allowed(status) for status in self.rules.statuses}

    def offer(self, steps: Sequence[Step]) -> list[Illegal]:
        """Judge one message's steps against the current states; advance the dossiers only if none is illegal.

        The first status seen of a dossier may be any status. A status outside the status list is not judged,
        neither as a step nor as the status it would leave (DVC-03 reports it).
        """
        return [Illegal(steps[index], before)
                for index, before in self.refusals([(step.dossier, step.status) for step in steps])]

    def refusals(self, reports: Sequence[tuple[Any, ...]]) -> list[tuple[int, int]]:
        """:meth:`offer` on bare status reports ``(dossier, status, …)``: the index of each illegal one, with
        the status it would have left. A run has one per item of every message, so no step is built for them."""
        allowed = self._allowed
        if len(reports) == 1:  # most messages report one dossier: no tentative state to keep
            dossier, status = reports[0][0], reports[0][1]
            if status in allowed:
                before = self.state.get(dossier)
                if before is not None and status not in (allowed.get(before) or self.rules.allowed(before)):
                    return [(0, before)]
                self.state[dossier] = status
            return []
        tentative: dict[str, int] = {}
        illegal: list[tuple[int, int]] = []
        for index, (dossier, status, *_) in enumerate(reports):
            if status not in allowed:
                continue
            before = tentative.get(dossier, self.state.get(dossier))
            if before is not None and status not in (allowed.get(before) or self.rules.allowed(before)):
                illegal.append((index, before))
                continue
            tentative[dossier] = status
        if not illegal:
            self.state.update(tentative)
        return illegal
