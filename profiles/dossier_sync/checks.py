"""Checks of the ``dossier-sync`` profile: one per requirement id of ``profile.yaml``.

Field names come from the code book (artefact ``codes``), never from this file, so a new portal generation
is a new pair of data files. DVC-07 is judged across the run: :func:`statuses` gathers each message's status
reports, wherever it is judged, and :func:`lifecycle` judges every dossier's sequence once all are in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from conformance.i18n import Phrase
from conformance.jsonmsg import SchemaValidator, json_type, pointer
from conformance.model import Finding, Outcome
from conformance.registry import (
    CheckContext,
    Checks,
    Contribution,
    Judgement,
    RunJudgement,
    not_applicable,
    passed,
)

from .accept import accept, accept_raw
from .codebook import CodeBook, codebook
from .lifecycle import Illegal, Lifecycle, Step
from .message import Item, Message, load_message, split_messages, status_reports
from .phrases import phrase
from .values import (
    email_problem,
    id_number_runs,
    mask_digits,
    parse_dossier_code,
    parse_local_time,
    phone_is_plausible,
)

checks = Checks("dossier-sync")
checks.splitter(split_messages)
# The fast paths of bulk validation for messages that pass everything (see accept.py): from the bytes, before
# the message is built, and once it is built (for what the first declines, such as text with \u escapes).
checks.accept_raw(accept_raw)
checks.accept(accept)

FUTURE_TOLERANCE = timedelta(minutes=5)
QUOTED = 120  # characters of a value quoted in a finding
SEQUENCE_EVIDENCE = 200  # steps of a dossier's sequence kept as evidence


@cache
def _reason(key: str, **params: str) -> Phrase:
    return phrase(key, **params)


@lru_cache(maxsize=1024)  # a run has one result per dossier, and few distinct paths through the lifecycle
def _followed(statuses: str) -> Phrase:
    return phrase("lifecycle.followed", statuses=statuses)


def known(msg: Message) -> bool | Phrase:
    """Applicability: messages of a known type (DVC-02 reports the others)."""
    return msg.spec is not None or _reason("applies.unknown_message")


def dossier_reports(msg: Message) -> bool | Phrase:
    """Applicability: dossier reports, the message type that carries the fields a rule judges."""
    if msg.spec is None:
        return _reason("applies.unknown_message")
    return msg.spec.received is not None or _reason("applies.dossier_reports_only", service=msg.spec.name)


def _quoted(value: Any, msg: Message) -> str:
    text = value if isinstance(value, str) else msg.parsed.token(value)
    return text if len(text) <= QUOTED else text[:QUOTED] + "…"


def _field(item: Item, name: str) -> str:
    return f"{item.path}/{name}"


def _judged(findings: list[Finding], seen: int, ctx: CheckContext, reason: str) -> list[Finding] | Judgement:
    """The findings, or not-applicable with ``reason`` when the message held nothing to judge."""
    if not seen and not findings:
        return not_applicable(ctx.say(reason))
    return findings


# ---------------------------------------------------------------------------------------------- DVC-01

@checks.loader("DVC-01")
def load(raw: Any, ctx: CheckContext) -> Message:
    """Read the message strictly: RFC 8259, UTF-8, NFC; stop at DVC-01 with every reason it is not well-formed."""
    return load_message(raw, ctx)


# ---------------------------------------------------------------------------------------------- DVC-02

@checks.check("DVC-02")
def fields_and_types(msg: Message, ctx: CheckContext) -> Iterator[Finding]:
    """The envelope and every item have their required fields, with the right JSON types (schema artefact)."""
    for error in SchemaValidator.from_file(ctx.artefact("schema")).errors(msg.envelope):
        yield _schema_finding(error, msg, ctx)
    if msg.spec is None:
        return
    for item in msg.items:
        for name in msg.spec.integers:
            value = item.fields.get(name)
            # A float the schema took for an integer (1.0, 1e0): JSON Schema reads the value, this the token.
            if isinstance(value, float) and value.is_integer():
                yield Finding(ctx.say("integer.token", field=name, token=msg.parsed.token(value)),
                              path=_field(item, name), value=msg.parsed.token(value))


def _schema_finding(error: Any, msg: Message, ctx: CheckContext) -> Finding:
    """A jsonschema error said as the catalogue says it, with the JSON pointer of the place."""
    where = list(error.absolute_path)
    path = pointer(where)
    field = str(where[-1]) if where else ""
    value = _quoted(error.instance, msg) if not isinstance(error.instance, (dict, list)) else None
    kind = error.validator
    if kind == "required":
        missing = next((p for p in error.validator_value if error.message == f"{p!r} is a required property"),
                       error.message)
        return Finding(ctx.say("field.missing", field=missing), path=pointer([*where, missing]))
    if kind == "type" and not where:
        return Finding(ctx.say("shape.not_object", actual=json_type(error.instance)), path=path)  # "": the root
    if kind == "type" or kind == "maxLength":
        types = error.schema.get("type")
        allowed = [types] if isinstance(types, str) else list(types or ())
        if "string" in allowed and error.schema.get("maxLength") == 0:  # an optional field: its type, or ""
            expected = " | ".join(t for t in allowed if t != "string")
            return Finding(ctx.say("field.type_or_absent", field=field, actual=json_type(error.instance),
                                   expected=expected), path=path, value=value)
        return Finding(ctx.say("field.type", field=field, actual=json_type(error.instance),
                               expected=" | ".join(allowed)), path=path, value=value)
    if kind == "minLength":
        return Finding(ctx.say("field.empty", field=field), path=path, value=value)
    if kind == "minItems":
        return Finding(ctx.say("data.empty", field=field), path=path)
    if kind == "enum" and where == ["service"]:
        return Finding(ctx.say("service.unknown", value=value, expected=", ".join(error.validator_value)),
                       path=path, value=value)
    return Finding(ctx.say("schema.other", detail=error.message[:QUOTED]), path=path, value=value)


# ---------------------------------------------------------------------------------------------- DVC-03

@checks.check("DVC-03", applies=known)
def code_lists(msg: Message, ctx: CheckContext) -> list[Finding] | Judgement:
    """Status, subject type, delivery and channel codes are in their code lists."""
    assert msg.spec is not None
    findings: list[Finding] = []
    seen = 0
    for item in msg.items:
        for name, list_name in msg.spec.codes.items():
            value = item.filled(name)
            codes = msg.book.lists[list_name]
            if value is None or isinstance(value, bool) or not isinstance(value, type(next(iter(codes)))):
                continue  # absent, or a wrong type: DVC-02 reports it
            seen += 1
            if value not in codes:
                allowed = ", ".join(f"{msg.parsed.token(code)} ({msg.book.name_of(list_name, code, ctx.lang)})"
                                    for code in codes)
                findings.append(Finding(ctx.say("code.unknown", field=name, value=_quoted(value, msg),
                                                allowed=allowed), path=_field(item, name), value=_quoted(value, msg)))
    return _judged(findings, seen, ctx, "na.no_codes")


# ---------------------------------------------------------------------------------------------- DVC-04

@checks.check("DVC-04", applies=known)
def dates(msg: Message, ctx: CheckContext) -> list[Finding] | Judgement:
    """Date fields are 14 digits, real local times, and the past-dated ones not more than 5 minutes ahead."""
    assert msg.spec is not None
    findings: list[Finding] = []
    seen = 0
    now = ctx.clock.now()
    for item in msg.items:
        for name in msg.spec.dates:
            value = item.filled(name)
            if not isinstance(value, str):
                continue  # absent, or not a string: DVC-02 reports it
            seen += 1
            moment = parse_local_time(value)
            if isinstance(moment, Phrase):
                findings.append(Finding(ctx.say("value.problem", field=name, value=_quoted(value, msg),
                                                problem=moment), path=_field(item, name), value=_quoted(value, msg)))
            elif name in msg.spec.past_dated and moment - now > FUTURE_TOLERANCE:
                ahead = int((moment - now).total_seconds() // 60)
                findings.append(Finding(ctx.say("date.future", field=name, value=value, minutes=ahead,
                                                now=now.strftime("%Y%m%d%H%M%S")),
                                        path=_field(item, name), value=value))
    return _judged(findings, seen, ctx, "na.no_dates")


def _local_time(item: Item, name: str | None) -> datetime | None:
    value = item.filled(name) if name else None
    moment = parse_local_time(value) if isinstance(value, str) else None
    return moment if isinstance(moment, datetime) else None


# ---------------------------------------------------------------------------------------------- DVC-05

@checks.check("DVC-05", applies=known)
def dossier_codes(msg: Message, ctx: CheckContext) -> list[Finding] | Judgement:
    """MaHoSo follows one of the two forms, and its date part is the day NgayTiepNhan says."""
    assert msg.spec is not None
    findings: list[Finding] = []
    used: list[dict[str, str]] = []
    name = msg.book.dossier_code
    for item in msg.items:
        value = item.filled(name)
        if not isinstance(value, str):
            continue
        code = parse_dossier_code(value)
        if code is None:
            findings.append(Finding(ctx.say("dossier_code.form", field=name, value=_quoted(value, msg)),
                                    path=_field(item, name), value=_quoted(value, msg)))
            continue
        used.append({"path": _field(item, name), "value": value, "form": code.form})
        received = _local_time(item, msg.spec.received)
        if received is not None and not code.same_day(received):
            findings.append(Finding(
                ctx.say("dossier_code.date", field=name, value=value, part=code.date_part,
                        form=ctx.say(f"dossier_code.form_{code.form}"), received_field=msg.spec.received,
                        day=received.strftime("%Y-%m-%d")),
                path=_field(item, name), value=value, extra={"form": code.form}))
    if findings:
        return findings
    if not used:
        return not_applicable(ctx.say("na.no_dossier_code"))
    forms = {u["form"] for u in used}
    form = "both" if len(forms) > 1 else forms.pop()
    # A phrase, said only if the pass is listed: bulk validation counts passes and never reads the message.
    return passed(_reason("dossier_code.forms_used", field=name, forms=_reason(f"dossier_code.form_{form}")),
                  codes=used)


# ---------------------------------------------------------------------------------------------- DVC-06

@checks.check("DVC-06", applies=dossier_reports)
def date_order(msg: Message, ctx: CheckContext) -> list[Finding] | Judgement:
    """NgayHenTra is not before NgayTiepNhan, and an item in the result-returned status has NgayTra."""
    spec = msg.spec
    assert spec is not None and spec.received is not None
    findings: list[Finding] = []
    seen = 0
    for item in msg.items:
        received = _local_time(item, spec.received)
        due = _local_time(item, spec.appointment)
        if received is not None and due is not None:
            seen += 1
            if due < received:
                findings.append(Finding(ctx.say("order.appointment", due_field=spec.appointment,
                                                due=item.fields[spec.appointment], received_field=spec.received,
                                                received=item.fields[spec.received]),
                                        path=_field(item, str(spec.appointment)),
                                        value=str(item.fields[spec.appointment])))
        status = item.fields.get(spec.status)
        if spec.returned and type(status) is int and status == spec.returned_status:
            seen += 1
            if item.filled(spec.returned) is None:
                findings.append(Finding(ctx.say("order.no_return_date", status_field=spec.status, status=status,
                                                returned_field=spec.returned), path=_field(item, spec.returned)))
    return _judged(findings, seen, ctx, "na.no_order")


# ---------------------------------------------------------------------------------------------- DVC-07

def statuses(msg: Message, ctx: CheckContext) -> list[tuple[str, int, str]]:
    """The status reports of one message: ``(dossier code, status, JSON pointer)`` per item that has both."""
    return [] if msg.spec is None else status_reports(msg.envelope, msg.book, msg.spec)


@checks.across("DVC-07", gather=statuses)
def lifecycle(contributions: Sequence[Contribution], ctx: CheckContext) -> Iterator[RunJudgement]:
    """Every dossier's status changes, over the run in order, follow the lifecycle: one result per dossier."""
    book = codebook(ctx.artefact("codes"))
    cycle = Lifecycle(book.lifecycle)
    sequences: dict[str, list[dict[str, Any]]] = {}
    broken: dict[str, list[Illegal]] = {}
    known = book.lifecycle.statuses
    for contribution in contributions:
        subject, facts, rejected = contribution.subject, contribution.facts, contribution.rejected
        refused = () if rejected else cycle.refusals(facts)
        if not rejected and not refused:  # the common case: every report taken
            for dossier, status, path in facts:
                note = "taken" if status in known else "unjudged"
                sequences.setdefault(dossier, []).append(
                    {"subject": subject, "path": path, "status": status, "note": note})
            continue
        illegal = dict(refused)  # index of each illegal report: the status it would leave
        for index, (dossier, status, path) in enumerate(facts):
            note = ("rejected" if rejected else "unjudged" if status not in known
                    else "illegal" if index in illegal else "refused" if illegal else "taken")
            sequences.setdefault(dossier, []).append({"subject": subject, "path": path, "status": status, "note": note})
            if index in illegal:
                broken.setdefault(dossier, []).append(Illegal(Step(dossier, status, subject, path), illegal[index]))
    if not sequences:
        yield ctx.say("lifecycle.all_messages"), not_applicable(ctx.say("na.no_statuses"))
        return
    for dossier, sequence in sequences.items():
        evidence: dict[str, Any] = {"sequence": sequence[:SEQUENCE_EVIDENCE]}
        if len(sequence) > SEQUENCE_EVIDENCE:
            evidence["omitted_steps"] = len(sequence) - SEQUENCE_EVIDENCE
        name = f"{book.dossier_code} {dossier}"
        taken = [str(step["status"]) for step in sequence if step["note"] == "taken"]
        if dossier in broken:
            findings = tuple(illegal_finding(bad, book, ctx) for bad in broken[dossier])
            yield name, Judgement(Outcome.FAIL, ctx.say("lifecycle.broken", count=len(findings)), findings, evidence)
        # Phrases, said only if the result is listed: bulk validation counts the dossiers that pass.
        elif not taken:
            yield name, not_applicable(phrase("na.dossier_rejected"), **evidence)
        else:
            yield name, passed(_followed(" → ".join(taken)), **evidence)


def illegal_finding(bad: Illegal, book: CodeBook, ctx: CheckContext) -> Finding:
    """The finding of a step the lifecycle does not allow (the portal's answer says it too)."""
    rules = book.lifecycle
    step = bad.step
    field = step.path.rsplit("/", 1)[-1]
    names = {code: book.name_of("status", code, ctx.lang) for code in (bad.before, step.status)}
    if bad.before in rules.final:
        message = ctx.say("lifecycle.after_final", field=field, after=step.status, after_name=names[step.status],
                          before=bad.before, before_name=names[bad.before])
    else:
        allowed = ", ".join(str(code) for code in sorted(rules.allowed(bad.before) - {bad.before}))
        message = ctx.say("lifecycle.illegal", field=field, after=step.status, after_name=names[step.status],
                          before=bad.before, before_name=names[bad.before], allowed=allowed)
    return Finding(message, path=f"{step.subject} {step.path}", value=str(step.status))


# ---------------------------------------------------------------------------------------------- DVC-08

@checks.check("DVC-08", applies=dossier_reports)
def contact(msg: Message, ctx: CheckContext) -> list[Finding] | Judgement:
    """A filled Email is a valid address; a filled SoDienThoai a plausible Vietnamese phone number."""
    spec = msg.spec
    assert spec is not None
    findings: list[Finding] = []
    seen = 0
    for item in msg.items:
        email = item.filled(spec.email) if spec.email else None
        if isinstance(email, str):
            seen += 1
            problem = email_problem(email)
            if problem is not None:
                findings.append(Finding(ctx.say("contact.email", field=spec.email, value=_quoted(email, msg),
                                                problem=problem), path=_field(item, str(spec.email)),
                                        value=_quoted(email, msg)))
        phone = item.filled(spec.phone) if spec.phone else None
        if isinstance(phone, str):
            seen += 1
            if not phone_is_plausible(phone):
                findings.append(Finding(ctx.say("contact.phone", field=spec.phone, value=_quoted(phone, msg)),
                                        path=_field(item, str(spec.phone)), value=_quoted(phone, msg)))
    return _judged(findings, seen, ctx, "na.no_contact")


# ---------------------------------------------------------------------------------------------- DVC-09

@checks.check("DVC-09", applies=known)
def personal_data(msg: Message, ctx: CheckContext) -> list[Finding] | Judgement:
    """No run of 9 or 12 digits (an identity number) in a free-text field."""
    assert msg.spec is not None
    findings: list[Finding] = []
    seen = 0
    for item in msg.items:
        for name in msg.spec.free_text:
            text = item.filled(name)
            if not isinstance(text, str):
                continue
            seen += 1
            for digits in id_number_runs(text):
                # The number is personal data: the report shows it masked, never whole.
                findings.append(Finding(ctx.say("personal.id_number", field=name, count=len(digits),
                                                masked=mask_digits(digits)),
                                        path=_field(item, name), value=mask_digits(digits)))
    return _judged(findings, seen, ctx, "na.no_free_text")


# ---------------------------------------------------------------------------------------------- the portal

@checks.peer
def portal(session: Any) -> Any:
    """The portal that ``conformance listen -p dossier-sync`` plays (see peer.py)."""
    from .peer import portal_app

    return portal_app(session)
