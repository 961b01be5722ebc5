"""The pytest engine: each (requirement, subject) pair is a pytest item.

``pytest --conformance-profile edxml --conformance-messages DIR [--conformance-out OUT]`` replaces
normal collection with the profile's items. Each subject is judged once per process and cached;
results travel to the controller in ``user_properties`` (so pytest-xdist works), and the controller
writes the same reports as the bulk engine.
"""

from __future__ import annotations

import json
import shlex
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .clock import Clock, parse_now
from .engine import iter_subject_files, judge_file
from .errors import ConformanceError
from .evaluate import SubjectReport
from .model import Level, Outcome, Result
from .profiles import Profile, resolve_profile
from .registry import CheckContext
from .report import ReportBuilder
from .reporting import write_reports
from .session import DEFAULT_FILE_PATTERNS

__all__ = ["RequirementItem", "SubjectCollector"]

_RESULT_KEY = "conformance_result"
_OMITTED_KEY = "conformance_omitted"


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


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("conformance_profile"))


class _State:
    """Per-process state: profiles, context and the cache of judged subjects."""

    def __init__(self, config: pytest.Config) -> None:
        now = config.getoption("conformance_now")
        self.clock = parse_now(now) if now else Clock.start()
        self.profiles = [resolve_profile(name) for name in config.getoption("conformance_profile")]
        self.paths = [Path(p) for p in config.getoption("conformance_messages")]
        self.claims = frozenset(config.getoption("conformance_claim"))
        self.trust = tuple(Path(p) for p in config.getoption("conformance_trust"))
        self.lang = config.getoption("conformance_lang")
        self.cache: dict[tuple[str, Path], SubjectReport] = {}
        self.results: list[Result] = []
        self.omitted: dict[str, set[str]] = {}

    def context(self, profile: Profile) -> CheckContext:
        return CheckContext(profile.id, self.clock, self.claims, self.trust, dict(profile.artefacts),
                            dict(profile.limits), self.lang, messages=profile.messages())

    def judge(self, profile: Profile, path: Path, name: str) -> SubjectReport:
        key = (profile.id, path)
        if key not in self.cache:
            self.cache[key] = judge_file(profile, profile.load_checks(), self.context(profile), str(path), name,
                                         int(profile.limits.get("max_subject_bytes", 100 * 1024 * 1024)))
        return self.cache[key]


_STATE = pytest.StashKey[_State]()


def pytest_configure(config: pytest.Config) -> None:
    """Set up the engine when conformance options are given."""
    config.addinivalue_line("markers", "conformance(requirement, subject): a conformance item")
    if _active(config):
        try:
            state = config.stash[_STATE] = _State(config)
        except ConformanceError as exc:  # a usage error, with its fix: never a traceback
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(_Engine(state), "conformance-engine")


class RequirementItem(pytest.Item):
    """One requirement judged on one subject."""

    def __init__(self, *, profile: Profile, requirement: str, path: Path, subject: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.requirement = requirement
        self.path_of_subject = path
        self.subject = subject
        self.add_marker(pytest.mark.conformance(requirement, subject))

    def runtest(self) -> None:
        """Judge the subject (once per process) and turn this requirement's result into a pytest outcome."""
        state = self.config.stash[_STATE]
        report = state.judge(self.profile, self.path_of_subject, self.subject)
        result = next((r for r in report.results if r.requirement == self.requirement), None)
        if result is None:
            self.user_properties.append((_OMITTED_KEY, [self.profile.id, self.requirement, self.subject]))
            pytest.skip(f"{self.requirement}: not evaluated (evaluation stopped at an earlier requirement)")
        self.user_properties.append((_RESULT_KEY, json.dumps(result.to_json(), ensure_ascii=False)))
        if result.outcome is Outcome.FAIL:
            if result.level is Level.RECOMMENDED:
                warnings.warn(ConformanceWarning(result.message), stacklevel=1)
                return
            pytest.fail(result.message, pytrace=False)
        if result.outcome is Outcome.ERROR:
            raise RuntimeError(result.message)
        if result.outcome in (Outcome.INCONCLUSIVE, Outcome.NOT_APPLICABLE):
            pytest.skip(f"{result.outcome.value}: {result.message}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The result message, not a Python traceback."""
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the item comes from, for pytest's output."""
        return self.path_of_subject, 0, f"{self.requirement} {self.subject}"


class SubjectCollector(pytest.Collector):
    """The items of one subject: one per requirement of its profile."""

    def __init__(self, *, profile: Profile, path: Path, subject: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.subject_path = path
        self.subject = subject

    def collect(self) -> Iterator[RequirementItem]:
        """One item per requirement of the profile."""
        for rid in self.profile.requirements:
            yield RequirementItem.from_parent(self, name=rid, profile=self.profile, requirement=rid,
                                              path=self.subject_path, subject=self.subject)


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
            profile.load_checks()
            patterns = tuple(profile.raw.get("file_patterns", DEFAULT_FILE_PATTERNS))
            for file, name in iter_subject_files(self.state.paths, patterns):
                path = Path(file)
                collector = SubjectCollector.from_parent(session, name=f"{profile.id}::{name}", profile=profile,
                                                         path=path, subject=name)
                items.extend(collector.collect())
        config.hook.pytest_collection_modifyitems(session=session, config=config, items=items)
        session.items = items
        session.testscollected = len(items)
        config.hook.pytest_collection_finish(session=session)
        return True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Gather results (on the controller under xdist) from the items' user properties."""
        if report.when != "call":  # user_properties ride on the teardown report too
            return
        for key, value in report.user_properties:
            if key == _RESULT_KEY:
                self.state.results.append(Result.from_json(json.loads(str(value))))
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
        self.report = builder.build(
            command="run", clock=state.clock, lang=state.lang, claims=state.claims, target=None,
            reproduce=shlex.join(["pytest", *config.invocation_params.args]), seed=None)
        out = config.getoption("conformance_out")
        if out:
            write_reports(self.report, Path(out), ["json", "html", "junit", "allure"])

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        """Print the verdict under pytest's own summary."""
        if self.report is not None:
            terminalreporter.write_sep("=", f"conformance verdict: {self.report['verdict']} "
                                            f"({self.report['summary']['subjects']} subjects)")
