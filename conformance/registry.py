"""Check registration by requirement id, and the values a check returns.

A profile's ``checks.py`` makes one :class:`Checks` registry and decorates its functions::

    checks = Checks("edxml")

    @checks.loader("EDX-01", "EDX-17")
    def load(raw: RawSubject, ctx: CheckContext) -> Package: ...

    @checks.check("EDX-08", applies=lambda pkg: pkg.kind == "edoc" or "e-documents only")
    def promulgation_date(pkg: Package, ctx: CheckContext) -> Iterator[Finding]: ...

A profile whose files hold several subjects registers a :meth:`Checks.splitter`; a requirement judged
across every subject of a run (a sequence of messages) registers a :meth:`Checks.across` judgement,
fed with the facts each subject contributed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, KeysView, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .clock import Clock
from .errors import ProfileError
from .i18n import Catalogue, Phrase, load_catalogue
from .model import Finding, Outcome

__all__ = [
    "Accepted",
    "Across",
    "Check",
    "CheckContext",
    "Checks",
    "Contribution",
    "Finding",
    "Judgement",
    "Loader",
    "RawSubject",
    "RunJudgement",
    "Stop",
    "inconclusive",
    "not_applicable",
    "passed",
]


@dataclass(frozen=True, slots=True)
class RawSubject:
    """What a loader turns into a subject: a name for the report and the bytes as received."""

    name: str
    data: bytes
    path: str | None = None


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a check may read besides its subject: clock, claims, trust, limits, artefacts, messages.

    ``messages`` is the profile's message catalogue (``key -> {lang: template}``, plain dicts so the
    context pickles to worker processes); when it is empty, :meth:`say` reads the ``messages`` artefact.
    """

    profile_id: str
    clock: Clock
    claims: frozenset[str] = frozenset()
    trust_anchors: tuple[Path, ...] = ()
    artefacts: Mapping[str, Path] = field(default_factory=dict)
    limits: Mapping[str, int] = field(default_factory=dict)
    lang: str = "en"
    seed: int | None = None
    messages: Catalogue = field(default_factory=dict)

    def artefact(self, name: str) -> Path:
        """The path of the profile artefact ``name``."""
        return artefact_path(self.profile_id, self.artefacts, name)

    def say(self, key: str, /, **params: object) -> str:
        """Message ``key`` of the profile's catalogue in the run's language (else English), filled from ``params``.

        A :class:`~conformance.i18n.Phrase` among ``params`` is said in the same language. An unknown key,
        or a template that ``params`` cannot fill, is a bug of the profile: :class:`ProfileError`.
        """
        messages = self.messages
        if not messages and "messages" in self.artefacts:
            messages = load_catalogue(self.artefacts["messages"])
        return say_message(self.profile_id, messages, self.lang, key, params)


def artefact_path(profile_id: str, artefacts: Mapping[str, Path], name: str) -> Path:
    """The path of artefact ``name`` of a profile, or :class:`ProfileError` naming what is missing."""
    try:
        return artefacts[name]
    except KeyError:
        raise ProfileError(f"profile '{profile_id}' declares no artefact '{name}'") from None


def say_message(profile_id: str, messages: Catalogue, lang: str, key: str, params: Mapping[str, object]) -> str:
    """Message ``key`` of a profile's catalogue in ``lang`` (else English), filled from ``params``."""
    entry = messages.get(key)
    if entry is None:
        raise ProfileError(f"profile '{profile_id}' has no message '{key}' in its catalogue (artefact 'messages')")
    template = entry.get(lang) or entry["en"]
    if not params:
        return template
    filled = {name: say_message(profile_id, messages, lang, value.key, value.params) if isinstance(value, Phrase)
              else value for name, value in params.items()}
    try:
        return template.format(**filled)
    except (KeyError, IndexError, ValueError) as exc:
        raise ProfileError(f"message '{key}' ({lang}) of profile '{profile_id}' cannot be filled "
                           f"from {sorted(filled)}: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Judgement:
    """An explicit outcome from a check, when a list of findings is not enough."""

    outcome: Outcome
    message: str
    findings: tuple[Finding, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)


def passed(message: str, **evidence: Any) -> Judgement:
    """A pass that carries positive evidence."""
    return Judgement(Outcome.PASS, message, evidence=evidence)


def not_applicable(reason: str, **evidence: Any) -> Judgement:
    """The requirement does not apply to this subject."""
    return Judgement(Outcome.NOT_APPLICABLE, reason, evidence=evidence)


def inconclusive(reason: str, *findings: Finding, **evidence: Any) -> Judgement:
    """The check could not decide: input missing, a peer timed out, no trust anchors."""
    return Judgement(Outcome.INCONCLUSIVE, reason, findings=findings, evidence=evidence)


class Stop(Exception):
    """Raised by a loader: the subject cannot be read safely, so no other rule is evaluated."""

    def __init__(self, requirement: str, findings: Iterable[Finding], *, passed: Iterable[str] = ()) -> None:
        self.requirement = requirement
        self.findings = tuple(findings)
        self.passed = tuple(passed)
        super().__init__(f"{requirement}: {self.findings[0].message if self.findings else 'evaluation stopped'}")


@dataclass(frozen=True, slots=True)
class Contribution:
    """The facts one subject contributed to a run-level requirement, in the order subjects were judged.

    ``rejected`` is true when the subject failed a mandatory requirement of its own, or the peer refused it
    (``listen``): a receiver would not have taken it in, so a judgement across the run may leave it out.
    """

    subject: str
    facts: tuple[Any, ...]
    rejected: bool = False


class Accepted(NamedTuple):
    """What a raw acceptor proves of a subject: the outcome of the loader's requirements and of every check (all
    ``pass`` or ``not-applicable``), and the facts it contributes to each run-level requirement."""

    outcomes: Mapping[str, Outcome]
    facts: Mapping[str, Sequence[Any]]


CheckFunc = Callable[[Any, CheckContext], Iterable[Finding] | Judgement | None]
AcceptFunc = Callable[[Any, CheckContext], "Mapping[str, Outcome] | None"]
RawAcceptFunc = Callable[[RawSubject, CheckContext], "Accepted | None"]
Applies = Callable[[Any], "bool | str"]
LoaderFunc = Callable[[RawSubject, CheckContext], Any]
SplitFunc = Callable[[RawSubject, CheckContext], Iterable[RawSubject]]
GatherFunc = Callable[[Any, CheckContext], Iterable[Any]]
RunJudgement = tuple[str, "Iterable[Finding] | Judgement"]
"""One result of a run-level judgement: the name of what was judged (a dossier, a sequence) and its outcome."""
AcrossFunc = Callable[[Sequence[Contribution], CheckContext], Iterable[RunJudgement]]
PeerFunc = Callable[[Any], Any]


def _where(func: Callable[..., Any]) -> str:
    try:
        return f"{inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]} ({func.__qualname__})"
    except (OSError, TypeError):
        return func.__qualname__


@dataclass(frozen=True, slots=True)
class Check:
    """One registered check: the requirement it verifies, the code, and where it is applicable."""

    requirement: str
    func: CheckFunc
    where: str
    applies: Applies | None = None


@dataclass(frozen=True, slots=True)
class Loader:
    """Turns raw bytes into a subject, and verifies the requirements that reading itself decides."""

    requirements: tuple[str, ...]
    func: LoaderFunc
    where: str


@dataclass(frozen=True, slots=True)
class Across:
    """A requirement judged once per run: ``gather`` takes facts from each subject, ``func`` judges them all."""

    requirement: str
    gather: GatherFunc
    func: AcrossFunc
    where: str


class Checks:
    """The registry of one profile's checks, keyed by requirement id."""

    def __init__(self, profile_id: str) -> None:
        self.profile_id = profile_id
        self._checks: dict[str, Check] = {}
        self._ids: frozenset[str] = frozenset()
        self._subject_ids: frozenset[str] = frozenset()
        self.subject_loader: Loader | None = None
        self.acceptor: AcceptFunc | None = None
        self.raw_acceptor: RawAcceptFunc | None = None
        self.subject_splitter: SplitFunc | None = None
        self.peer_factory: PeerFunc | None = None
        self._across: dict[str, Across] = {}

    def _claim(self, requirement: str, where: str) -> None:
        owner: Check | Across | None = self._checks.get(requirement) or self._across.get(requirement)
        if owner is not None:
            raise ProfileError(f"{requirement} is registered twice in profile '{self.profile_id}': "
                               f"at {owner.where} and at {where}")
        if self.subject_loader and requirement in self.subject_loader.requirements:
            raise ProfileError(f"{requirement} is registered twice in profile '{self.profile_id}': "
                               f"by the loader at {self.subject_loader.where} and at {where}")

    def check(self, requirement: str, *, applies: Applies | None = None) -> Callable[[CheckFunc], CheckFunc]:
        """Register the decorated function as the check of ``requirement``.

        ``applies(subject)`` returns True when the requirement applies, or the reason it does not: a
        :class:`~conformance.i18n.Phrase` of the profile's catalogue is said in the run's language.
        """

        def decorate(func: CheckFunc) -> CheckFunc:
            where = _where(func)
            self._claim(requirement, where)
            self._checks[requirement] = Check(requirement, func, where, applies)
            self._ids = frozenset(self._checks)
            self._subject_ids = self._ids | self._subject_ids
            return func

        return decorate

    def loader(self, *requirements: str) -> Callable[[LoaderFunc], LoaderFunc]:
        """Register the decorated function as the subject loader, verifying ``requirements``."""

        def decorate(func: LoaderFunc) -> LoaderFunc:
            where = _where(func)
            if self.subject_loader is not None:
                raise ProfileError(f"profile '{self.profile_id}' registers two loaders: "
                                   f"at {self.subject_loader.where} and at {where}")
            for requirement in requirements:
                self._claim(requirement, where)
            self.subject_loader = Loader(tuple(requirements), func, where)
            self._subject_ids = self._subject_ids.union(requirements)
            return func

        return decorate

    def accept(self, func: AcceptFunc) -> AcceptFunc:
        """Register a fast acceptor: it proves that every check passes (or does not apply) on a subject.

        It returns an outcome, ``pass`` or ``not-applicable``, for every registered check, or None when it
        cannot prove it; then the checks run as usual. It never fails a subject, so findings always come
        from the checks. The harness uses it only where passes are counted, not listed (bulk validation),
        and a profile that registers one must prove in its tests that it agrees with the checks.
        """
        if self.acceptor is not None:
            raise ProfileError(f"profile '{self.profile_id}' registers two acceptors: "
                               f"at {_where(self.acceptor)} and at {_where(func)}")
        self.acceptor = func
        return func

    def accept_raw(self, func: RawAcceptFunc) -> RawAcceptFunc:
        """Register a raw acceptor: from the subject's bytes, it proves that the loader and every check pass.

        It is tried before the loader, in bulk validation only, and returns :class:`Accepted` (an outcome,
        ``pass`` or ``not-applicable``, for each requirement the loader and the checks verify, and the facts
        for each run-level requirement, as the gatherers would give them) or None; then the subject is loaded
        and judged as usual. It spares what the loaded subject costs to build when most subjects are small and
        fine. A profile that registers one must test that, wherever it accepts, the loader, the checks and
        the gatherers agree with it.
        """
        if self.raw_acceptor is not None:
            raise ProfileError(f"profile '{self.profile_id}' registers two raw acceptors: "
                               f"at {_where(self.raw_acceptor)} and at {_where(func)}")
        self.raw_acceptor = func
        return func

    def splitter(self, func: SplitFunc) -> SplitFunc:
        """Register a splitter: it cuts one file into the subjects it holds (a JSON array, an NDJSON stream).

        It yields a :class:`RawSubject` per subject, named after the file and the subject's place in it
        (``day.ndjson:3``, ``batch.json[2]``); each is loaded and judged on its own. A file it cannot cut
        it yields whole, so the loader says what is wrong with it. It never raises for bad input.
        """
        if self.subject_splitter is not None:
            raise ProfileError(f"profile '{self.profile_id}' registers two splitters: "
                               f"at {_where(self.subject_splitter)} and at {_where(func)}")
        self.subject_splitter = func
        return func

    def across(self, requirement: str, *, gather: GatherFunc) -> Callable[[AcrossFunc], AcrossFunc]:
        """Register the decorated function as the run-level judgement of ``requirement``.

        ``gather(subject, ctx)`` runs on every subject that loaded, wherever it is judged (worker processes
        too), and returns the facts it contributes (picklable values). Once every subject is judged, the
        decorated function gets one :class:`Contribution` per subject, in run order, and yields
        ``(name, findings or Judgement)`` for each thing it judged; yielding nothing leaves the requirement
        untested. An exception in either is an ``error``, never a ``fail``.
        """

        def decorate(func: AcrossFunc) -> AcrossFunc:
            where = _where(func)
            self._claim(requirement, where)
            self._across[requirement] = Across(requirement, gather, func, where)
            return func

        return decorate

    def peer(self, func: PeerFunc) -> PeerFunc:
        """Register the peer that ``conformance listen`` plays (a portal, a hub) for clients under test.

        ``func(session)`` returns an ASGI application. It answers each call as the real peer would, and
        hands every message it receives to ``session.judge`` (:class:`conformance.listen.ListenSession`),
        which judges it with these checks. Import web frameworks inside ``func``, so that loading the
        checks stays cheap.
        """
        if self.peer_factory is not None:
            raise ProfileError(f"profile '{self.profile_id}' registers two peers: "
                               f"at {_where(self.peer_factory)} and at {_where(func)}")
        self.peer_factory = func
        return func

    @property
    def across_judgements(self) -> tuple[Across, ...]:
        """The run-level judgements, in registration order."""
        return tuple(self._across.values())

    @property
    def checks(self) -> tuple[Check, ...]:
        """The registered checks, in registration order."""
        return tuple(self._checks.values())

    @property
    def check_ids(self) -> frozenset[str]:
        """The requirement ids the checks (not the loader) verify."""
        return self._ids

    @property
    def subject_ids(self) -> frozenset[str]:
        """The requirement ids judged on each subject: the loader's and the checks'."""
        return self._subject_ids

    @property
    def across_ids(self) -> KeysView[str]:
        """The requirement ids judged across a run."""
        return self._across.keys()

    def verified(self) -> frozenset[str]:
        """Every requirement id that some check, the loader or a run-level judgement verifies."""
        ids = set(self._checks) | set(self._across)
        if self.subject_loader:
            ids.update(self.subject_loader.requirements)
        return frozenset(ids)
