"""Judging one subject against a profile's checks: the step both engines share."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ProfileError
from .i18n import Phrase, t
from .model import Finding, Level, Outcome, Requirement, Result
from .registry import Check, CheckContext, Checks, Contribution, Judgement, RawSubject, Stop

__all__ = [
    "MAX_FINDINGS",
    "AcceptingRun",
    "SubjectReport",
    "evaluate_parts",
    "evaluate_subject",
    "judge_across",
    "judge_across_counted",
    "make_result",
    "merge_reports",
    "split_subject",
    "unreadable_subject",
]

MAX_FINDINGS = 50


@dataclass(frozen=True, slots=True)
class SubjectReport:
    """The results for one subject, and the ids left out because evaluation stopped early.

    ``counted`` holds the (requirement, outcome) pairs that were only counted, not built into results:
    passes and not-applicable outcomes in bulk validation, where they are never listed. ``contributions``
    holds, per run-level requirement, the facts the subject contributed; ``subjects`` is how many
    subjects the report covers (several when a file was split).
    """

    results: tuple[Result, ...]
    omitted: frozenset[str] = frozenset()
    counted: tuple[tuple[str, Outcome], ...] = ()
    contributions: tuple[tuple[str, Contribution], ...] = ()
    subjects: int = 1


def _headline(requirement: str, finding: Finding, more: int, lang: str) -> str:
    line = t("result.line", lang, line=finding.line) if finding.line else None
    where = ", ".join(p for p in (finding.path, line) if p)
    text = f"{requirement}: {finding.message}" + (f" ({where})" if where else "")
    return text + (" " + t("result.more", lang, count=more) if more else "")


def make_result(
    req: Requirement,
    profile: str,
    subject: str,
    outcome: Outcome,
    message: str | None = None,
    findings: Iterable[Finding] = (),
    evidence: dict[str, object] | None = None,
    duration_ms: float = 0.0,
    lang: str = "en",
) -> Result:
    """A result with a headline built from the first finding and the findings as evidence, in ``lang``."""
    found = list(findings)
    ev: dict[str, object] = dict(evidence or {})
    if found:
        ev["findings"] = [f.to_json() for f in found[:MAX_FINDINGS]]
        if len(found) > MAX_FINDINGS:
            ev["omitted_findings"] = len(found) - MAX_FINDINGS
        headline = _headline(req.id, found[0], len(found) - 1, lang)
        message = f"{headline}. {message}" if message else headline
    elif message is None:
        message = f"{req.id}: {t(f'result.{outcome.value}', lang)}"
    elif not message.startswith(req.id):
        message = f"{req.id}: {message}"
    return Result(req.id, profile, req.level, outcome, subject, message, ev, duration_ms)


CheckOutput = tuple[Outcome, str | None, list[Finding], dict[str, object]]


def _broken(check: Check, exc: Exception, ctx: CheckContext) -> CheckOutput:
    """A broken check is the tool's fault: outcome error, never fail."""
    trace = traceback.format_exception(exc, limit=-3)
    return Outcome.ERROR, t("result.check_raised", ctx.lang, error=type(exc).__name__, detail=exc), [], {
        "error": type(exc).__name__, "check": check.where, "trace": "".join(trace)[-2000:]}


def _run_check(check: Check, subject: object, ctx: CheckContext) -> CheckOutput:
    """The check's outcome; its message may still be a Phrase, said only when the result is made."""
    if check.applies is not None:
        verdict = check.applies(subject)
        if verdict is not True:
            reason = verdict if isinstance(verdict, Phrase) else str(verdict) if verdict else \
                t("result.does_not_apply", ctx.lang)
            return Outcome.NOT_APPLICABLE, reason, [], {}
    try:
        returned = check.func(subject, ctx)
        if isinstance(returned, Judgement):
            return returned.outcome, returned.message, list(returned.findings), dict(returned.evidence)
        findings = list(returned or ())
    except Exception as exc:
        return _broken(check, exc, ctx)
    return (Outcome.FAIL if findings else Outcome.PASS), None, findings, {}


_QUIET = (Outcome.PASS, Outcome.NOT_APPLICABLE)
_QUIET_SET = frozenset(_QUIET)


def _accepted(checks: Checks, subject: object, ctx: CheckContext) -> tuple[tuple[str, Outcome], ...] | None:
    """The acceptor's outcomes, when it proves the subject passes every check; None otherwise."""
    assert checks.acceptor is not None
    try:
        outcomes = checks.acceptor(subject, ctx)
    except Exception:  # an acceptor that breaks proves nothing: the checks decide
        return None
    if outcomes is None:
        return None
    if outcomes.keys() != checks.check_ids or not _QUIET_SET.issuperset(outcomes.values()):
        return None  # not a proof: the acceptor may only accept, and for every check
    return tuple(outcomes.items())


class _Proofs:
    """What a raw acceptor proves of subjects, its answers checked once each.

    An acceptor answers with a few constant mappings of outcomes; each is checked the first time it comes, and
    its (requirement, outcome) pairs are then shared by every subject it fits, for as long as it holds the same.
    """

    def __init__(self, checks: Checks) -> None:
        self.checks = checks
        self.known: dict[int, tuple[Mapping[str, Outcome], dict[str, Outcome], tuple[tuple[str, Outcome], ...]]] = {}

    def of(self, raw: RawSubject, ctx: CheckContext) -> tuple[tuple[tuple[str, Outcome], ...],
                                                              Mapping[str, Sequence[Any]]] | None:
        """The counted pairs and run-level facts of ``raw`` when the raw acceptor proves it fine; else None."""
        checks = self.checks
        assert checks.raw_acceptor is not None
        try:
            accepted = checks.raw_acceptor(raw, ctx)
        except Exception:  # an acceptor that breaks proves nothing: the loader and the checks decide
            return None
        if accepted is None:
            return None
        outcomes, facts = accepted
        if facts.keys() != checks.across_ids:
            return None  # not a proof: it must give the facts of every run-level judgement
        known = self.known.get(id(outcomes))
        if known is not None and known[0] is outcomes and known[1] == outcomes:
            return known[2], facts
        if outcomes.keys() != checks.subject_ids or not _QUIET_SET.issuperset(outcomes.values()):
            return None  # not a proof: it may only accept, and for every requirement of the subject
        pairs = tuple(outcomes.items())
        if len(self.known) < 16:
            self.known[id(outcomes)] = (outcomes, dict(outcomes), pairs)
        return pairs, facts


class AcceptingRun:
    """Bulk validation with a raw acceptor, over any number of files: what it proves fine is only counted.

    A run of subjects it proves fine becomes one report of counts and facts; a subject it does not prove is
    loaded and judged as usual, in its place, so the facts keep the run's order.
    """

    longest = 4096  # subjects in one report of a run

    def __init__(self, profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                 ctx: CheckContext) -> None:
        self.profile_id, self.requirements, self.checks, self.ctx = profile_id, requirements, checks, ctx
        self._proofs = _Proofs(checks)
        self._across = tuple(checks.across_ids)
        self._counted: list[tuple[str, Outcome]] = []
        self._contributions: list[tuple[str, Contribution]] = []
        self._accepted = 0

    def judge(self, part: RawSubject) -> list[SubjectReport]:
        """Nothing when the acceptor proves ``part`` fine (it is counted); else the run so far, then its report."""
        proof = self._proofs.of(part, self.ctx)
        if proof is not None:
            pairs, facts = proof
            self._counted += pairs
            self._contributions += [(requirement, Contribution(part.name, tuple(facts[requirement])))
                                    for requirement in self._across]
            self._accepted += 1
            # A run spans files: given out now and then, so its counts never hold more than a bounded list.
            return self.flush() if self._accepted >= self.longest else []
        report = evaluate_subject(self.profile_id, self.requirements, self.checks, part, self.ctx, list_quiet=False)
        return [*self.flush(), report]

    def flush(self) -> list[SubjectReport]:
        """The run of proven subjects not yet given out, as one report (none if there is none)."""
        if not self._accepted:
            return []
        report = SubjectReport((), counted=tuple(self._counted), contributions=tuple(self._contributions),
                               subjects=self._accepted)
        self._counted, self._contributions, self._accepted = [], [], 0
        return [report]


def _gather(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks, subject: object,
            name: str, ctx: CheckContext, results: list[Result],
            rejected: bool) -> tuple[tuple[str, Contribution], ...]:
    """The facts ``subject`` contributes to each run-level requirement; a gatherer that breaks adds an error."""
    judgements = checks.across_judgements
    if not judgements:
        return ()
    if results and not rejected:
        rejected = any(r.outcome is Outcome.FAIL and r.level is Level.MANDATORY for r in results)
    out: list[tuple[str, Contribution]] = []
    for across in judgements:
        try:
            facts = tuple(across.gather(subject, ctx))
        except Exception as exc:
            trace = "".join(traceback.format_exception(exc, limit=-3))[-2000:]
            results.append(make_result(
                requirements[across.requirement], profile_id, name, Outcome.ERROR,
                t("result.gather_raised", ctx.lang, error=type(exc).__name__, detail=exc),
                evidence={"check": across.where, "trace": trace}, lang=ctx.lang))
            continue
        out.append((across.requirement, Contribution(name, facts, rejected)))
    return tuple(out)


def evaluate_subject(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                     raw: RawSubject, ctx: CheckContext, *, list_quiet: bool = True,
                     refused: bool = False) -> SubjectReport:
    """Load ``raw`` with the profile's loader, then run every check on it and gather its run-level facts.

    With ``list_quiet`` off, passes and not-applicable outcomes are only counted (bulk validation).
    ``refused`` marks a subject the peer refused (``listen``): its contributions are ``rejected``.
    """
    loader = checks.subject_loader
    results: list[Result] = []
    subject: object = raw
    if loader is not None:
        start = time.perf_counter()
        try:
            subject = loader.func(raw, ctx)
        except Stop as stop:
            ms = (time.perf_counter() - start) * 1000
            results += [make_result(requirements[r], profile_id, raw.name, Outcome.PASS, duration_ms=ms,
                                    lang=ctx.lang) for r in stop.passed]
            results.append(make_result(
                requirements[stop.requirement], profile_id, raw.name, Outcome.FAIL, t("result.stopped", ctx.lang),
                stop.findings, {"stopped": True}, ms, ctx.lang))
            done = {r.requirement for r in results}
            return SubjectReport(tuple(results), checks.verified() - done)
        except Exception as exc:
            trace = "".join(traceback.format_exception(exc, limit=-3))[-2000:]
            results += [make_result(requirements[r], profile_id, raw.name, Outcome.ERROR,
                                    t("result.loader_raised", ctx.lang, error=type(exc).__name__, detail=exc),
                                    evidence={"check": loader.where, "trace": trace})
                        for r in loader.requirements]
            return SubjectReport(tuple(results), checks.verified() - set(loader.requirements))
        ms = (time.perf_counter() - start) * 1000
        if list_quiet:
            results += [make_result(requirements[r], profile_id, raw.name, Outcome.PASS, duration_ms=ms,
                                    lang=ctx.lang) for r in loader.requirements]
    counted = [] if list_quiet or loader is None else [(r, Outcome.PASS) for r in loader.requirements]
    if not list_quiet and checks.acceptor is not None:
        accepted = _accepted(checks, subject, ctx)
        if accepted is not None:  # proven: every outcome is quiet, so nothing is listed
            contributions = _gather(profile_id, requirements, checks, subject, raw.name, ctx, results, refused)
            return SubjectReport(tuple(results), counted=(*counted, *accepted), contributions=contributions)
    for check in checks.checks:
        start = time.perf_counter()
        outcome, message, findings, evidence = _run_check(check, subject, ctx)
        if not list_quiet and outcome in _QUIET:
            counted.append((check.requirement, outcome))
            continue
        if isinstance(message, Phrase):  # a reason from the profile's catalogue, said now it is listed
            try:
                message = ctx.say(message.key, **message.params)
            except ProfileError as exc:
                outcome, message, findings, evidence = _broken(check, exc, ctx)
        results.append(make_result(requirements[check.requirement], profile_id, raw.name, outcome, message,
                                   findings, evidence, (time.perf_counter() - start) * 1000, ctx.lang))
    contributions = _gather(profile_id, requirements, checks, subject, raw.name, ctx, results, refused)
    return SubjectReport(tuple(results), counted=tuple(counted), contributions=contributions)


def split_subject(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks, raw: RawSubject,
                  ctx: CheckContext) -> list[RawSubject] | SubjectReport:
    """The subjects ``raw`` holds (the splitter's parts, or ``raw`` itself); an error if the splitter breaks."""
    if checks.subject_splitter is None:
        return [raw]
    try:
        return list(checks.subject_splitter(raw, ctx))
    except Exception as exc:  # a splitter that breaks is the profile's fault: error, and the run goes on
        trace = "".join(traceback.format_exception(exc, limit=-3))[-2000:]
        return unreadable_subject(profile_id, requirements, checks, raw.name,
                                  t("result.splitter_raised", ctx.lang, error=type(exc).__name__, detail=exc),
                                  {"trace": trace}, Outcome.ERROR)


def evaluate_parts(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                   raw: RawSubject, ctx: CheckContext, *, list_quiet: bool = True) -> Iterator[SubjectReport]:
    """Judge every subject ``raw`` holds: the parts the profile's splitter cuts it into, or ``raw`` itself.

    With ``list_quiet`` off (bulk validation) and a raw acceptor, what it proves fine is only counted, run by run.
    """
    parts = split_subject(profile_id, requirements, checks, raw, ctx)
    if isinstance(parts, SubjectReport):
        yield parts
        return
    if not list_quiet and checks.raw_acceptor is not None:
        run = AcceptingRun(profile_id, requirements, checks, ctx)
        for part in parts:
            yield from run.judge(part)
        yield from run.flush()
        return
    for part in parts:
        yield evaluate_subject(profile_id, requirements, checks, part, ctx, list_quiet=list_quiet)


def merge_reports(reports: Iterable[SubjectReport]) -> SubjectReport:
    """One report for several subjects (the parts of one file)."""
    results: list[Result] = []
    omitted: set[str] = set()
    counted: list[tuple[str, Outcome]] = []
    contributions: list[tuple[str, Contribution]] = []
    subjects = 0
    for report in reports:
        results += report.results
        omitted |= report.omitted
        counted += report.counted
        contributions += report.contributions
        subjects += report.subjects
    return SubjectReport(tuple(results), frozenset(omitted), tuple(counted), tuple(contributions), subjects)


def judge_across(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                 contributions: Iterable[tuple[str, Contribution]], ctx: CheckContext) -> list[Result]:
    """The results of every run-level judgement, once all subjects are judged; a judgement that breaks is an error."""
    return list(_judge_across(profile_id, requirements, checks, contributions, ctx, list_quiet=True).results)


def judge_across_counted(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                         contributions: Iterable[tuple[str, Contribution]], ctx: CheckContext) -> SubjectReport:
    """The run-level judgements as bulk validation keeps them: passes and not-applicable outcomes only counted.

    A run-level judgement yields one result per thing it judged (a dossier), so a large run has as many; those
    that are not listed are never built into results, nor their messages said.
    """
    return _judge_across(profile_id, requirements, checks, contributions, ctx, list_quiet=False)


def _judge_across(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                  contributions: Iterable[tuple[str, Contribution]], ctx: CheckContext, *,
                  list_quiet: bool) -> SubjectReport:
    by_requirement: dict[str, list[Contribution]] = {a.requirement: [] for a in checks.across_judgements}
    for requirement, contribution in contributions:
        by_requirement.setdefault(requirement, []).append(contribution)
    results: list[Result] = []
    counted: list[tuple[str, Outcome]] = []
    for across in checks.across_judgements:
        req = requirements[across.requirement]
        start = time.perf_counter()
        try:
            judged = [(name, _judged_output(output)) for name, output in
                      across.func(by_requirement[across.requirement], ctx)]
        except Exception as exc:
            trace = "".join(traceback.format_exception(exc, limit=-3))[-2000:]
            results.append(make_result(req, profile_id, t("subject.run", ctx.lang), Outcome.ERROR,
                                       t("result.across_raised", ctx.lang, error=type(exc).__name__, detail=exc),
                                       evidence={"check": across.where, "trace": trace}, lang=ctx.lang))
            continue
        ms = (time.perf_counter() - start) * 1000 / max(len(judged), 1)
        for name, (outcome, message, findings, evidence) in judged:
            if not list_quiet and outcome in _QUIET:
                counted.append((req.id, outcome))
                continue
            if isinstance(message, Phrase):
                message = ctx.say(message.key, **message.params)
            results.append(make_result(req, profile_id, name, outcome, message, findings, evidence, ms, ctx.lang))
    return SubjectReport(tuple(results), counted=tuple(counted), subjects=0)


def _judged_output(output: Iterable[Finding] | Judgement) -> CheckOutput:
    if isinstance(output, Judgement):
        return output.outcome, output.message, list(output.findings), dict(output.evidence)
    findings = list(output)
    return (Outcome.FAIL if findings else Outcome.PASS), None, findings, {}


def unreadable_subject(profile_id: str, requirements: Mapping[str, Requirement], checks: Checks,
                       name: str, reason: str, evidence: dict[str, object],
                       outcome: Outcome = Outcome.INCONCLUSIVE) -> SubjectReport:
    """Results for a subject that could not be judged at all: too large, unreadable, or it killed a worker."""
    first = checks.subject_loader.requirements if checks.subject_loader else tuple(sorted(checks.verified()))[:1]
    results = tuple(make_result(requirements[r], profile_id, name, outcome, reason, evidence=evidence)
                    for r in first)
    return SubjectReport(results, checks.verified() - set(first))
