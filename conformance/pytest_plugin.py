"""The pytest engine: each (requirement, subject) pair is a pytest item.

Offline: ``pytest --conformance-profile edxml --conformance-messages DIR [--conformance-out OUT]``.
Live: ``pytest --conformance-target target.yaml [--conformance-profile edoc-exchange] [--conformance-seed N]``
(no profile: every installed live profile). Either replaces normal collection with the profiles' items.
Each subject is judged, and each live scenario run, once per process and cached; a scenario's items
share an ``xdist_group``, so under ``--dist loadgroup`` it runs once per run. Results travel to the
controller in ``user_properties`` (so pytest-xdist works), and the controller writes the reports.
"""

from __future__ import annotations

import base64
import json
import pickle
import secrets
import shlex
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .clock import Clock, parse_now
from .engine import iter_subject_files, judge_file
from .errors import ConfigError, ConformanceError
from .evaluate import SubjectReport, judge_across
from .http import HttpLimits
from .listen_fixture import conformance_listener  # noqa: F401  (a fixture for vendors' own tests)
from .live import LiveChecks, LiveContext, Scenario, ScenarioResults, run_scenario
from .model import Level, Outcome, Result, worst_outcome
from .oauth import with_fetched_token
from .profiles import Profile, discover, resolve_profile
from .registry import CheckContext
from .report import ReportBuilder
from .reporting import FORMATS, write_reports
from .session import DEFAULT_FILE_PATTERNS
from .target import load_target, target_messages

__all__ = ["LiveItem", "RequirementItem", "SubjectCollector"]

_RESULT_KEY = "conformance_result"
_OMITTED_KEY = "conformance_omitted"
_UNTESTED_KEY = "conformance_untested"
_FACTS_KEY = "conformance_facts"


class ConformanceWarning(UserWarning):
    """A failed recommended requirement: shown, never fatal."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options of the conformance engine."""
    group = parser.getgroup("conformance", "conformance test suite")
    group.addoption("--conformance-profile", action="append", default=[], help="profile id or folder")
    group.addoption("--conformance-messages", action="append", default=[], help="message file or folder")
    group.addoption("--conformance-out", help="write reports into this folder")
    group.addoption("--conformance-now", help="pin the clock (RFC 3339)")
    group.addoption("--conformance-trust", action="append", default=[], help="trust anchor PEM")
    group.addoption("--conformance-claim", action="append", default=[], help="claimed optional feature")
    group.addoption("--conformance-lang", default="en", choices=["en", "vi"])
    group.addoption("--conformance-target", help="target file: run the live profiles against the system it describes")
    group.addoption("--conformance-seed", type=int, help="seed for generated cases (default: random, recorded)")
    group.addoption("--conformance-max-examples", type=int, default=50, help="generated cases per operation")
    group.addoption("--conformance-callback-host", help="address of this machine the system can reach (out-of-band)")
    group.addoption("--conformance-run-id", help="run-unique token the checks put in what they create")
    group.addoption("--conformance-format", action="append", default=[], choices=list(FORMATS),
                    help="report format (repeatable; default: all)")
    group.addoption("--conformance-reproduce", help="the command line recorded as the way to reproduce the run")


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance_profile") or config.getoption("conformance_target"))


class _State:
    """Per-process state: profiles, context and the cache of judged subjects."""

    def __init__(self, config: pytest.Config) -> None:
        now = config.getoption("conformance_now")
        self.clock = parse_now(now) if now else Clock.start()
        target_file = config.getoption("conformance_target")
        self.target = load_target(Path(target_file)) if target_file else None
        names = config.getoption("conformance_profile")
        if names:
            self.profiles = [resolve_profile(name) for name in names]
        elif self.target is not None:
            self.profiles = [p for p in discover().values() if p.load_live() is not None]
        if self.target is not None:  # requirements whose level depends on the system's security level
            self.profiles = [p.at_security_level(self.target.security_level) for p in self.profiles]
            if any(p.load_live() is not None for p in self.profiles):  # live callers may need an OAuth token
                self.target = with_fetched_token(self.target)
        seed = config.getoption("conformance_seed")
        self.seed = seed if seed is not None else secrets.randbelow(2**31)
        self.max_examples = int(config.getoption("conformance_max_examples"))
        self.run_id = config.getoption("conformance_run_id") or secrets.token_hex(4)
        self.callback_host: str | None = config.getoption("conformance_callback_host")
        self.live_cache: dict[tuple[str, str], ScenarioResults] = {}
        self.untested: dict[tuple[str, str], str] = {}
        self.facts: dict[str, list[tuple[int, Any]]] = {}
        self.contexts: dict[str, LiveContext] = {}
        self.paths = [Path(p) for p in config.getoption("conformance_messages")]
        self.claims = frozenset(config.getoption("conformance_claim")) | (self.target.claims if self.target
                                                                           else frozenset())
        self.trust = tuple(Path(p) for p in config.getoption("conformance_trust")) + (
            self.target.trust_anchors if self.target else ())
        self.lang = config.getoption("conformance_lang")
        self.cache: dict[tuple[str, Path], SubjectReport] = {}
        self.results: list[Result] = []
        self.omitted: dict[str, set[str]] = {}

    def context(self, profile: Profile) -> CheckContext:
        return CheckContext(profile.id, self.clock, self.claims, self.trust, dict(profile.artefacts),
                            dict(profile.limits), self.lang, messages=profile.messages())

    def live_context(self, profile: Profile) -> LiveContext:
        """The live context of ``profile`` (one per process): target, seed, budget, limits."""
        if profile.id not in self.contexts:
            if self.target is None:
                raise ConfigError(f"profile '{profile.id}' runs against a live system and needs a target file",
                                  hint="give --conformance-target target.yaml (conformance run -t target.yaml)")
            self.contexts[profile.id] = LiveContext(
                profile.id, self.target, self.clock, self.run_id, self.seed, self.max_examples, self.lang,
                dict(profile.artefacts), profile.messages(), dict(profile.requirements),
                HttpLimits.from_target(self.target), callback_host=self.callback_host,
                profile_limits=dict(profile.limits))
        return self.contexts[profile.id]

    def run_live(self, profile: Profile, scenario: Scenario) -> ScenarioResults:
        """Run ``scenario`` once per process and keep its results."""
        key = (profile.id, scenario.name)
        if key not in self.live_cache:
            self.live_cache[key] = run_scenario(scenario, self.live_context(profile))
        return self.live_cache[key]

    def judge(self, profile: Profile, path: Path, name: str) -> SubjectReport:
        key = (profile.id, path)
        if key not in self.cache:
            cap = int(profile.limits.get("max_subject_bytes", 100 * 1024 * 1024))
            self.cache[key] = judge_file(profile, profile.load_checks(), self.context(profile), str(path), name, cap)
        return self.cache[key]


_STATE = pytest.StashKey[_State]()


def pytest_configure(config: pytest.Config) -> None:
    """Set up the engine when conformance options are given."""
    config.addinivalue_line("markers", "conformance(requirement, subject): a conformance item")
    config.addinivalue_line("markers", "xdist_group(name): items that run in one worker (a live scenario's)")
    if _active(config):
        try:
            state = config.stash[_STATE] = _State(config)
        except ConformanceError as exc:  # a usage error, with its fix: never a traceback
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(_Engine(state), "conformance-engine")


class _ResultItem(pytest.Item):
    """An item whose failure is a result message, never a Python traceback."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The result message, not a Python traceback."""
        return str(excinfo.value)


class RequirementItem(_ResultItem):
    """One requirement judged on one subject."""

    def __init__(self, *, profile: Profile, requirement: str, path: Path, subject: str, order: int = 0,
                 carries_facts: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.requirement = requirement
        self.path_of_subject = path
        self.subject = subject
        self.order = order
        self.carries_facts = carries_facts
        self.add_marker(pytest.mark.conformance(requirement, subject))

    def runtest(self) -> None:
        """Judge the subject (once per process) and turn this requirement's result into a pytest outcome."""
        state = self.config.stash[_STATE]
        report = state.judge(self.profile, self.path_of_subject, self.subject)
        if self.carries_facts and report.contributions:  # the run-level judgements need every subject's facts
            facts = base64.b64encode(pickle.dumps((self.order, report.contributions))).decode("ascii")
            self.user_properties.append((_FACTS_KEY, [self.profile.id, facts]))
        results = [r for r in report.results if r.requirement == self.requirement]  # a file may hold several
        if not results:
            self.user_properties.append((_OMITTED_KEY, [self.profile.id, self.requirement, self.subject]))
            pytest.skip(f"{self.requirement}: not evaluated (evaluation stopped at an earlier requirement)")
        _to_pytest(self, results)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the item comes from, for pytest's output."""
        return self.path_of_subject, 0, f"{self.requirement} {self.subject}"


def _to_pytest(item: pytest.Item, results: list[Result]) -> None:
    """Hand ``results`` to the controller and turn the worst of them into this item's pytest outcome."""
    for result in results:
        item.user_properties.append((_RESULT_KEY, json.dumps(result.to_json(), ensure_ascii=False)))
    worst = worst_outcome(r.outcome for r in results)
    shown = next((r for r in results if r.outcome is worst), None)
    if worst is None or shown is None:
        return
    if worst is Outcome.FAIL:
        if shown.level is Level.RECOMMENDED:
            warnings.warn(ConformanceWarning(shown.message), stacklevel=1)
            return
        pytest.fail(shown.message, pytrace=False)
    if worst is Outcome.ERROR:
        raise RuntimeError(shown.message)
    if worst in (Outcome.INCONCLUSIVE, Outcome.NOT_APPLICABLE):
        pytest.skip(f"{worst.value}: {shown.message}")


class LiveItem(_ResultItem):
    """One requirement judged by one live scenario (which runs once, for all its requirements)."""

    def __init__(self, *, profile: Profile, scenario: Scenario, requirement: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.scenario = scenario
        self.requirement = requirement
        self.add_marker(pytest.mark.conformance(requirement, scenario.subject))
        self.add_marker(pytest.mark.xdist_group(f"{profile.id}::{scenario.name}"))

    def runtest(self) -> None:
        """Run the scenario (once per process) and report this requirement's results."""
        produced = self.config.stash[_STATE].run_live(self.profile, self.scenario)
        reason = produced.untested.get(self.requirement)
        if reason is not None:
            self.user_properties.append((_UNTESTED_KEY, [self.profile.id, self.requirement, reason]))
        _to_pytest(self, [r for r in produced.results if r.requirement == self.requirement])
        if reason is not None:
            pytest.skip(f"untested: {reason}")

    def reportinfo(self) -> tuple[str, int, str]:
        """Where the item comes from, for pytest's output."""
        return self.profile.id, 0, f"{self.requirement} {self.scenario.subject}"


class SubjectCollector(pytest.Collector):
    """The items of one subject: one per requirement of its profile."""

    def __init__(self, *, profile: Profile, path: Path, subject: str, order: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.subject_path = path
        self.subject = subject
        self.order = order

    def collect(self) -> Iterator[RequirementItem]:
        """One item per requirement judged on subjects (run-level ones are judged once, at the end)."""
        across = {a.requirement for a in self.profile.load_checks().across_judgements}
        ids = [rid for rid in self.profile.requirements if rid not in across]
        for rid in ids:
            yield RequirementItem.from_parent(self, name=rid, profile=self.profile, requirement=rid,
                                              path=self.subject_path, subject=self.subject, order=self.order,
                                              carries_facts=bool(across) and rid == ids[0])


class _Engine:
    """The hooks that run only when conformance options are given (registered in ``pytest_configure``)."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.report: dict[str, Any] | None = None

    def pytest_collection(self, session: pytest.Session) -> bool:
        """Replace normal collection with the profiles' items."""
        config = session.config
        items: list[pytest.Item] = []
        for profile in self.state.profiles:
            live = profile.load_live()
            if live is not None and self.state.target is not None:
                items.extend(self._live_items(session, profile, live))
                continue
            profile.load_checks()
            patterns = tuple(profile.raw.get("file_patterns", DEFAULT_FILE_PATTERNS))
            paths = self.state.paths
            if not paths and self.state.target is not None:  # a live run judges the samples the target lists
                try:
                    paths = target_messages(self.state.target)
                except ConformanceError as exc:
                    raise pytest.UsageError(exc.message + (f"\n  hint: {exc.hint}" if exc.hint else "")) from None
            for order, (file, name) in enumerate(iter_subject_files(paths, patterns)):
                path = Path(file)
                collector = SubjectCollector.from_parent(session, name=f"{profile.id}::{name}", profile=profile,
                                                         path=path, subject=name, order=order)
                items.extend(collector.collect())
        config.hook.pytest_collection_modifyitems(session=session, config=config, items=items)
        session.items = items
        session.testscollected = len(items)
        config.hook.pytest_collection_finish(session=session)
        return True

    def _live_items(self, session: pytest.Session, profile: Profile, live: LiveChecks) -> list[pytest.Item]:
        try:
            scenarios = live.plan(self.state.live_context(profile))
        except ConformanceError as exc:
            raise pytest.UsageError(f"{exc.message}" + (f"\n  hint: {exc.hint}" if exc.hint else "")) from None
        return [LiveItem.from_parent(session, name=f"{profile.id}::{scenario.name}::{rid}", profile=profile,
                                     scenario=scenario, requirement=rid)
                for scenario in scenarios for rid in scenario.requirements]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather results (on the controller under xdist) from the items' user properties."""
        if report.when != "call":  # user_properties ride on the teardown report too
            return
        for key, value in report.user_properties:
            if key == _RESULT_KEY:
                self.state.results.append(Result.from_json(json.loads(str(value))))
            elif key == _UNTESTED_KEY:
                profile, requirement, reason = (str(v) for v in value)  # type: ignore[attr-defined]
                self.state.untested[(profile, requirement)] = reason
            elif key == _FACTS_KEY:
                profile, facts = (str(v) for v in value)  # type: ignore[attr-defined]
                self.state.facts.setdefault(profile, []).append(pickle.loads(base64.b64decode(facts)))
            elif key == _OMITTED_KEY:
                omitted = list(value)  # type: ignore[call-overload]
                self.state.omitted.setdefault(str(omitted[0]), set()).add(str(omitted[1]))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write the reports once every item has run (on the controller only)."""
        config = session.config
        if hasattr(config, "workerinput"):
            return
        state = self.state
        builder = ReportBuilder(state.profiles, list_passes=True)
        by_subject: dict[tuple[str, str], list[Result]] = {}
        for result in state.results:
            by_subject.setdefault((result.profile, result.subject), []).append(result)
        for (profile, _), results in by_subject.items():
            builder.add(results, state.omitted.get(profile, ()), profile)
        for (profile, requirement), reason in state.untested.items():
            builder.untested_because(profile, requirement, reason)
        for judged in state.profiles:  # requirements judged across the run, from every subject's facts, in order
            checks = judged.load_checks()
            if checks.across_judgements and judged.load_live() is None:
                ordered = [c for _, contributions in sorted(state.facts.get(judged.id, []), key=lambda f: f[0])
                           for c in contributions]
                builder.add_run_results(judge_across(judged.id, judged.requirements, checks, ordered,
                                                     state.context(judged)))
        claims = state.claims
        live = state.target is not None
        self.report = builder.build(
            command="run", clock=state.clock, lang=state.lang, claims=claims,
            target=state.target.redacted() if state.target else None,
            reproduce=(config.getoption("conformance_reproduce")
                       or shlex.join(["pytest", *config.invocation_params.args])),
            seed=state.seed if live else None)
        out = config.getoption("conformance_out")
        if out:
            formats = config.getoption("conformance_format") or list(FORMATS)
            write_reports(self.report, Path(out), ["json", *(f for f in formats if f != "json")])

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        """Print the verdict under pytest's own summary."""
        if self.report is not None:
            terminalreporter.write_sep("=", f"conformance verdict: {self.report['verdict']} "
                                            f"({self.report['summary']['subjects']} subjects)")
