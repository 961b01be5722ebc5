"""The fast acceptors: they prove, for a message that passes everything, that every check passes or does not apply.

Most messages in a bulk export are fine. For those, the schema settles DVC-02 in Rust (jsonschema-rs), and one
pass over the items judges the values with the checks' own rules, in their cheapest sufficient form: a date that
is a real local time is compared as its ``yyyyMMddHHmmss`` text (that order is the time order), and a dossier
code is matched once against both forms. They never explain: at the first doubtful value they return None, and
the checks judge the message as usual, writing every finding. They run only in bulk validation, where passes
are counted.

:func:`accept_raw` starts from the bytes: ``parse_clean_object`` proves the text well-formed (DVC-01) or
declines, and the status reports for DVC-07 are taken from the same object, so no :class:`Message` is built.
:func:`accept` starts from a loaded message, for what the first declines (text with ``\\u`` escapes, say).
tests/dossier_sync/test_accept.py proves that wherever either accepts, its outcomes (and facts) are the
loader's, the checks' and the gatherer's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from conformance.clock import VIETNAM
from conformance.jsonmsg import DEFAULT_MAX_DEPTH, SchemaValidator, parse_clean_object
from conformance.model import Outcome
from conformance.registry import Accepted, CheckContext, RawSubject

from .codebook import CodeBook, ServiceSpec, book_of
from .message import Message, status_reports
from .values import DOSSIER_CODE, email_problem, has_id_number_run, is_local_time, phone_is_plausible

__all__ = ["accept", "accept_raw"]

P, NA = Outcome.PASS, Outcome.NOT_APPLICABLE
FUTURE_TOLERANCE = timedelta(minutes=5)  # the same as checks.FUTURE_TOLERANCE (test_accept keeps them equal)
LIFECYCLE = "DVC-07"  # the run-level requirement, fed with each message's status reports
# The possible answers, made once and shared by every message they fit (the harness only reads them): a dossier
# report with a filled contact field, one without, a progress report; from the bytes, DVC-01 passes too.
_CHECKS = {
    "report": {"DVC-02": P, "DVC-03": P, "DVC-04": P, "DVC-05": P, "DVC-06": P, "DVC-08": P, "DVC-09": P},
    "report without contact": {"DVC-02": P, "DVC-03": P, "DVC-04": P, "DVC-05": P, "DVC-06": P, "DVC-08": NA,
                               "DVC-09": P},
    "progress": {"DVC-02": P, "DVC-03": P, "DVC-04": P, "DVC-05": P, "DVC-06": NA, "DVC-08": NA, "DVC-09": P},
}
_FROM_BYTES = {kind: {"DVC-01": P, **outcomes} for kind, outcomes in _CHECKS.items()}


@dataclass(frozen=True, slots=True)
class _Plan:
    """One message type's rules as the acceptors walk them: each code field with its list, each date field."""

    spec: ServiceSpec
    codes: tuple[tuple[str, Mapping[Any, Any]], ...]
    dates: tuple[tuple[str, bool], ...]  # (field, past-dated)


@dataclass(frozen=True, slots=True)
class _Run:
    """What every message of one run is judged against, looked up once."""

    ctx: CheckContext
    valid: Callable[[object], bool]  # the schema (DVC-02), in jsonschema-rs
    book: CodeBook
    plans: Mapping[str, _Plan]  # by service
    max_depth: int
    latest: str | None  # yyyyMMddHHmmss of now + tolerance, when the clock is pinned; None: read it per message


_run: _Run | None = None


def _run_of(ctx: CheckContext) -> _Run:
    global _run
    run = _run
    if run is None or run.ctx is not ctx:
        valid = SchemaValidator.from_file(ctx.artefact("schema")).is_valid
        book = book_of(ctx)
        plans = {name: _Plan(spec, tuple((field, book.lists[codes]) for field, codes in spec.codes.items()),
                             tuple((field, field in spec.past_dated) for field in spec.dates))
                 for name, spec in book.services.items()}
        run = _run = _Run(ctx, valid, book, plans, int(ctx.limits.get("max_depth", DEFAULT_MAX_DEPTH)),
                          _latest(ctx) if ctx.clock.pinned is not None else None)
    return run


def _latest(ctx: CheckContext) -> str:
    """The latest local time a past-dated field may hold, as text.

    A field's moment is whole seconds, so ``moment - now > tolerance`` exactly when its text is greater than
    that of ``now + tolerance`` cut to the second, both written in UTC+7.
    """
    return (ctx.clock.now() + FUTURE_TOLERANCE).astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def accept_raw(raw: RawSubject, ctx: CheckContext) -> Accepted | None:
    """From the bytes: DVC-01 and every check's outcome, and the status reports, when the message passes all."""
    run = _run_of(ctx)
    envelope = parse_clean_object(raw.data, max_depth=run.max_depth, nfc=True)
    if envelope is None:
        return None
    service = envelope.get("service")
    plan = run.plans.get(service) if isinstance(service, str) else None
    kind = _judge(envelope, plan, run, ctx)
    if kind is None:
        return None
    assert plan is not None
    return Accepted(_FROM_BYTES[kind], {LIFECYCLE: status_reports(envelope, run.book, plan.spec)})


def accept(msg: Message, ctx: CheckContext) -> dict[str, Outcome] | None:
    """Every check's outcome when the loaded message passes them all, or None to let the checks judge it."""
    run = _run_of(ctx)
    if msg.spec is None or msg.book is not run.book:
        return None  # a code book this run did not load: the checks judge
    kind = _judge(msg.envelope, run.plans[msg.spec.name], run, ctx)
    return None if kind is None else _CHECKS[kind]


def _judge(envelope: Mapping[str, Any], plan: _Plan | None, run: _Run, ctx: CheckContext) -> str | None:
    """Which answer fits a message that passes every check, or None at the first doubt."""
    if plan is None or not run.valid(envelope):
        return None
    spec = plan.spec
    latest = run.latest or _latest(ctx)
    dossier_code = run.book.dossier_code
    received, appointment = spec.received, spec.appointment
    contact = 0
    for fields in envelope["data"]:  # the schema has made it a list of objects
        for name in spec.integers:
            if isinstance(fields.get(name), float):  # 1.0 passes the schema, not DVC-02
                return None
        for name, codes in plan.codes:
            value = fields.get(name)
            if value is not None and value != "" and value not in codes:
                return None
        for name, past_dated in plan.dates:
            value = fields.get(name)
            if value is None or value == "":
                continue
            # A real local time is 14 ASCII digits, so its text orders as its moment does.
            if not is_local_time(value) or (past_dated and value > latest):
                return None
        code = DOSSIER_CODE.fullmatch(fields[dossier_code])
        if code is None:
            return None
        if received is not None:
            day = fields[received]
            legacy, newer = code.group("legacy_date", "newer_date")
            if (legacy != day[2:8] if newer is None else newer != day[:8]) or fields[str(appointment)] < day:
                return None
            if fields[spec.status] == spec.returned_status and not fields.get(str(spec.returned)):
                return None
            for name, wrong in ((spec.email, email_problem), (spec.phone, _not_a_phone)):
                value = fields.get(str(name))
                if value:
                    contact += 1
                    if wrong(value) is not None:
                        return None
        for name in spec.free_text:
            value = fields.get(name)
            if value and has_id_number_run(value):
                return None
    if received is None:
        return "progress"
    return "report" if contact else "report without contact"


def _not_a_phone(value: str) -> str | None:
    return None if phone_is_plausible(value) else "implausible"
