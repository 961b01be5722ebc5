"""Live checks: scenarios that talk to a running system and judge requirements from its answers.

A live profile's ``checks.py`` makes one :class:`LiveChecks` registry::

    live = LiveChecks("edoc-exchange")

    @live.scenario("EXC-10", "EXC-16", subject="delivery")
    async def delivery(ctx: LiveContext) -> AsyncIterator[Verdict]:
        ...
        yield Verdict("EXC-10", passed("every recipient got the same bytes", sha256=digest))

    @live.planner
    def per_operation(ctx: LiveContext) -> Iterable[Scenario]: ...   # scenarios known only from the target

A scenario runs once per run and must give a verdict for every requirement it declares: one it
forgets is an ``error`` (a profile bug), never a silent pass. An exception, or a scenario that
overruns its budget, is ``error`` or ``inconclusive`` for each of its requirements, with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .clock import Clock
from .errors import ConfigError, ProfileError
from .evaluate import make_result
from .http import HardenedClient, HttpFailure, HttpLimits, Unresponsive
from .i18n import Catalogue, t
from .model import Finding, Level, Outcome, Requirement, Result
from .oauth import OAUTH2
from .oob import OutOfBandListener, is_loopback, out_of_band_listener
from .registry import Judgement, artefact_path, say_message
from .target import SecretMasker, Target

__all__ = [
    "Identity",
    "LiveChecks",
    "LiveContext",
    "Scenario",
    "ScenarioFunc",
    "ScenarioResults",
    "Untested",
    "Verdict",
    "failed",
    "run_scenario",
]

DEFAULT_BUDGET_S = 300.0


def failed(message: str, *findings: Finding, **evidence: Any) -> Judgement:
    """The system broke the requirement; ``evidence`` shows how (exchanges, values)."""
    return Judgement(Outcome.FAIL, message, findings=findings, evidence=evidence)


@dataclass(frozen=True, slots=True)
class Untested:
    """The requirement was deliberately not tested (a probe needs consent, an optional extra is missing)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """A scenario's judgement on one requirement, for its own subject unless ``subject`` is given.

    ``warning`` marks a WARN part: a finding at recommended level under a requirement of another level,
    shown in every report but never deciding the verdict. An :class:`Untested` judgement produces no
    result: the requirement is listed as untested with its reason.
    """

    requirement: str
    judgement: Judgement | Untested
    subject: str | None = None
    warning: bool = False


@dataclass(frozen=True)
class ScenarioResults:
    """What one scenario produced: results, and the requirements it deliberately left untested, with why."""

    results: list[Result]
    untested: dict[str, str]


@dataclass(frozen=True)
class Identity:
    """One caller of the system under test: a name, the agency it stands for, and its credentials."""

    name: str
    organ_id: str | None = None
    token: str | None = field(default=None, repr=False)
    expired_token: str | None = field(default=None, repr=False)
    basic: tuple[str, str] | None = field(default=None, repr=False)  # (username, password) for HTTP Basic


ScenarioFunc = Callable[["LiveContext"], "AsyncIterator[Verdict] | Awaitable[Iterable[Verdict]]"]


@dataclass(frozen=True)
class Scenario:
    """One unit of live work: it runs once and judges ``requirements`` on ``subject``."""

    name: str
    subject: str
    requirements: tuple[str, ...]
    func: ScenarioFunc
    budget_s: float = DEFAULT_BUDGET_S


class LiveChecks:
    """The registry of one profile's live scenarios."""

    def __init__(self, profile_id: str) -> None:
        self.profile_id = profile_id
        self._static: list[Scenario] = []
        self._planners: list[tuple[Callable[[LiveContext], Iterable[Scenario]], tuple[str, ...]]] = []
        self._declared: set[str] = set()

    def scenario(self, *requirements: str, subject: str | None = None,
                 budget_s: float = DEFAULT_BUDGET_S) -> Callable[[ScenarioFunc], ScenarioFunc]:
        """Register the decorated async function as a scenario judging ``requirements``."""
        if not requirements:
            raise ProfileError(f"a scenario of profile '{self.profile_id}' must declare the requirements it judges")

        def decorate(func: ScenarioFunc) -> ScenarioFunc:
            name = func.__name__
            if any(s.name == name for s in self._static):
                raise ProfileError(f"profile '{self.profile_id}' registers scenario '{name}' twice")
            self._static.append(Scenario(name, subject or name, tuple(requirements), func, budget_s))
            self._declared.update(requirements)
            return func

        return decorate

    def planner(self, *requirements: str) -> Callable[[Callable[[LiveContext], Iterable[Scenario]]],
                                                      Callable[[LiveContext], Iterable[Scenario]]]:
        """Register a function that makes scenarios from the target (one per API operation, say)."""

        def decorate(func: Callable[[LiveContext], Iterable[Scenario]]) -> Callable[[LiveContext],
                                                                                      Iterable[Scenario]]:
            self._planners.append((func, tuple(requirements)))
            self._declared.update(requirements)
            return func

        return decorate

    def verified(self) -> frozenset[str]:
        """Every requirement id some scenario or planner declares."""
        return frozenset(self._declared)

    def plan(self, ctx: LiveContext) -> list[Scenario]:
        """Every scenario of this run, in a stable order: static ones first, then each planner's."""
        scenarios = list(self._static)
        for func, declared in self._planners:
            for scenario in func(ctx):
                stray = set(scenario.requirements) - set(declared)
                if stray:
                    raise ProfileError(f"planner {func.__qualname__} of profile '{self.profile_id}' made scenario "
                                       f"'{scenario.name}' with undeclared requirements {sorted(stray)}")
                scenarios.append(scenario)
        names = [s.name for s in scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ProfileError(f"profile '{self.profile_id}' plans scenarios with the same name: {twice}")
        return scenarios


@dataclass
class LiveContext:
    """Everything a scenario may use: the target, its callers, limits, seed and budget, messages, artefacts."""

    profile_id: str
    target: Target
    clock: Clock
    run_id: str
    seed: int
    max_examples: int = 50
    lang: str = "en"
    artefacts: Mapping[str, Path] = field(default_factory=dict)
    messages: Catalogue = field(default_factory=dict)
    requirements: Mapping[str, Requirement] = field(default_factory=dict)
    limits: HttpLimits = field(default_factory=HttpLimits)
    concurrency: int = 8
    profile_limits: Mapping[str, int] = field(default_factory=dict)  # the manifest's limits: profile parameters
    callback_host: str | None = None  # an address of this machine the system can reach (out-of-band probes)
    shared: dict[str, Any] = field(default_factory=dict)  # what scenarios of one profile share within a process
    # One breaker for every client of the run: a system that stops answering stops costing a deadline per request.
    unresponsive: Unresponsive = field(default_factory=Unresponsive)

    @property
    def base_url(self) -> str:
        """The system's origin (``endpoints.base_url``)."""
        endpoints: Mapping[str, str] = self.target.data.get("endpoints", {})
        url = endpoints.get("base_url")
        if not url:
            raise ConfigError(f"target file {self.target.path} has no endpoints.base_url",
                              hint="add endpoints: {base_url: https://host:port}")
        return url

    @property
    def ca_file(self) -> Path | None:
        """The TLS trust anchor the target file gives, if any."""
        ca = self.target.data.get("tls", {}).get("ca_file")
        return Path(ca) if ca else None

    @property
    def consent(self) -> str:
        """``active`` allows disruptive probes; ``passive`` (the default) does not."""
        return str(self.target.data.get("consent", "passive"))

    @property
    def identities(self) -> tuple[Identity, ...]:
        """The callers the target file declares; without ``identities``, one made from ``auth``."""
        declared = self.target.data.get("identities")
        if declared:
            return tuple(Identity(i["name"], i.get("organ_id"), i.get("token"), i.get("expired_token"))
                         for i in declared)
        auth = self.target.data.get("auth", {})
        token = auth.get("token") if auth.get("type") in ("bearer", OAUTH2) else None  # OAUTH2: fetched at start
        basic = ((auth["username"], auth["password"]) if auth.get("type") == "basic" and "username" in auth
                 and "password" in auth else None)
        return (Identity("default", None, token, basic=basic),)

    @property
    def callback_reachable(self) -> bool:
        """Whether the system can reach this machine's out-of-band listener: it is local, or a callback host is set."""
        host = httpx.URL(self.base_url).host
        return self.callback_host is not None or is_loopback(host)

    def out_of_band(self) -> AbstractContextManager[OutOfBandListener]:
        """An out-of-band listener the system under test can reach (127.0.0.1, or ``--callback-host``)."""
        return out_of_band_listener(self.callback_host or "127.0.0.1")

    def seed_for(self, name: str) -> int:
        """A seed for one scenario: stable for the run's seed, different between scenarios."""
        digest = hashlib.sha256(f"{self.seed}:{self.profile_id}:{name}".encode()).digest()
        return int.from_bytes(digest[:4], "big")

    def client(self, identity: Identity | None = None, *, token: str | None = None,
               headers: Mapping[str, str] | None = None) -> HardenedClient:
        """A hardened client for the target; it sends ``Bearer`` with ``token``, else the identity's credentials."""
        sent: dict[str, str] = dict(headers or {})
        bearer = token if token is not None else (identity.token if identity else None)
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        elif token is None and identity is not None and identity.basic is not None:
            pair = ":".join(identity.basic).encode()
            sent["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        return HardenedClient(self.base_url, limits=self.limits, ca_file=self.ca_file,
                              masker=self.target.masker(), default_headers=sent, unresponsive=self.unresponsive)

    def artefact(self, name: str) -> Path:
        """The path of the profile artefact ``name``."""
        return artefact_path(self.profile_id, self.artefacts, name)

    def say(self, key: str, /, **params: object) -> str:
        """Message ``key`` of the profile's catalogue in the run's language, filled from ``params``."""
        return say_message(self.profile_id, self.messages, self.lang, key, params)


async def _collect(scenario: Scenario, ctx: LiveContext, into: list[Verdict]) -> None:
    async with asyncio.timeout(scenario.budget_s):
        produced = scenario.func(ctx)
        if isinstance(produced, AsyncIterator):
            async for verdict in produced:
                into.append(verdict)
        else:
            into.extend(await produced)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    return f" at {Path(last.filename).name}:{last.lineno}" if last else ""


def run_scenario(scenario: Scenario, ctx: LiveContext) -> ScenarioResults:
    """Run one scenario to the end and turn its verdicts into results, one at least per declared requirement."""
    started = time.perf_counter()
    verdicts: list[Verdict] = []  # what the scenario judged before any failure is kept
    problem: tuple[Outcome, str] | None = None
    try:
        asyncio.run(_collect(scenario, ctx, verdicts))
    except TimeoutError:
        problem = (Outcome.INCONCLUSIVE, t("live.budget", ctx.lang, seconds=scenario.budget_s))
    except HttpFailure as exc:
        problem = (Outcome.INCONCLUSIVE, t("live.http", ctx.lang, problem=str(exc)))
    except ConfigError as exc:  # the target file lacks what this scenario needs: undecided, with the fix
        problem = (Outcome.INCONCLUSIVE, exc.message + (f" ({exc.hint})" if exc.hint else ""))
    except Exception as exc:  # a bug of the profile or the harness: error, never the vendor's fault
        problem = (Outcome.ERROR, t("live.crash", ctx.lang, scenario=scenario.name,
                                                  problem=f"{type(exc).__name__}: {exc}{_where(exc)}"))
    elapsed = (time.perf_counter() - started) * 1000
    results: list[Result] = []
    untested: dict[str, str] = {}
    judged: set[str] = set()
    for verdict in verdicts:
        requirement = ctx.requirements.get(verdict.requirement)
        if requirement is None or verdict.requirement not in scenario.requirements:
            raise ProfileError(f"scenario '{scenario.name}' of profile '{ctx.profile_id}' judged "
                               f"{verdict.requirement}, which it does not declare")
        judged.add(verdict.requirement)
        j = verdict.judgement
        if isinstance(j, Untested):
            untested[verdict.requirement] = j.reason
            continue
        result = make_result(requirement, ctx.profile_id, verdict.subject or scenario.subject, j.outcome,
                             j.message, j.findings, dict(j.evidence), elapsed, ctx.lang)
        results.append(dataclasses.replace(result, level=Level.RECOMMENDED) if verdict.warning else result)
    for rid in scenario.requirements:
        if rid in judged:
            continue
        outcome, message = problem or (Outcome.ERROR, t("live.no_verdict", ctx.lang, scenario=scenario.name))
        results.append(make_result(ctx.requirements[rid], ctx.profile_id, scenario.subject, outcome, message,
                                   (), {"scenario": scenario.name}, elapsed, ctx.lang))
    # Messages and evidence quote what the system sent, which may echo a credential: mask before anything is written.
    masker = ctx.target.masker()
    return ScenarioResults([_masked(r, masker) for r in results],
                           {rid: masker.mask(reason) for rid, reason in untested.items()})


def _masked(result: Result, masker: SecretMasker) -> Result:
    return dataclasses.replace(result, subject=masker.mask(result.subject), message=masker.mask(result.message),
                               evidence=_mask_value(result.evidence, masker))


def _mask_value(value: Any, masker: SecretMasker) -> Any:
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, Mapping):
        return {_mask_value(k, masker): _mask_value(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v, masker) for v in value]
    return value
