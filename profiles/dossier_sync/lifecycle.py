"""The dossier lifecycle (DVC-07): which status may follow which, over the messages of a run.

The same :class:`Lifecycle` judges a validation run once every file is read (``checks.lifecycle``) and the
portal simulator message by message as they arrive (``peer.py``), so both give the same verdicts. A message
is taken whole or not at all: when one of its steps breaks the lifecycle, none of its steps advances a
dossier, as the portal refuses the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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

    def offer(self, steps: Sequence[Step]) -> list[Illegal]:
        """Judge one message's steps against the current states; advance the dossiers only if none is illegal.

        The first status seen of a dossier may be any status. A status outside the status list is not judged,
        neither as a step nor as the status it would leave (DVC-03 reports it).
        """
        tentative: dict[str, int] = {}
        illegal: list[Illegal] = []
        for step in steps:
            if step.status not in self.rules.statuses:
                continue
            before = tentative.get(step.dossier, self.state.get(step.dossier))
            if before is not None and step.status not in self.rules.allowed(before):
                illegal.append(Illegal(step, before))
                continue
            tentative[step.dossier] = step.status
        if not illegal:
            self.state.update(tentative)
        return illegal
