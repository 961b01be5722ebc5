"""The fast acceptor: proves, for a message that passes everything, that every check passes or does not apply.

Most messages in a bulk export are fine. For those, the schema settles DVC-02 in Rust (jsonschema-rs), and
one pass over the items judges the values with the very functions the checks use. It never explains: at the
first doubtful value it returns None, and the checks judge the message as usual, writing every finding. It
runs only in bulk validation, where passes are counted. tests/dossier_sync/test_accept.py proves that
wherever it accepts, its outcomes are the checks' outcomes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from conformance.jsonmsg import SchemaValidator
from conformance.model import Outcome
from conformance.registry import CheckContext

from .message import Message
from .values import email_problem, id_number_runs, parse_dossier_code, parse_local_time, phone_is_plausible

__all__ = ["accept"]

P, NA = Outcome.PASS, Outcome.NOT_APPLICABLE
FUTURE_TOLERANCE = timedelta(minutes=5)  # the same as checks.FUTURE_TOLERANCE (test_accept keeps them equal)


def accept(msg: Message, ctx: CheckContext) -> dict[str, Outcome] | None:
    """Every check's outcome when the message passes them all, or None to let the checks judge it."""
    spec = msg.spec
    if spec is None or not SchemaValidator.from_file(ctx.artefact("schema")).is_valid(msg.envelope):
        return None
    book = msg.book
    now = ctx.clock.now()
    contact = 0
    for item in msg.items:
        fields = item.fields
        for name in spec.integers:
            if isinstance(fields.get(name), float):  # 1.0 passes the schema, not DVC-02
                return None
        for name, list_name in spec.codes.items():
            value = fields.get(name)
            if value is not None and value != "" and value not in book.lists[list_name]:
                return None
        moments: dict[str, datetime] = {}
        for name in spec.dates:
            value = fields.get(name)
            if value is None or value == "":
                continue
            moment = parse_local_time(value)
            if not isinstance(moment, datetime) or (name in spec.past_dated and moment - now > FUTURE_TOLERANCE):
                return None
            moments[name] = moment
        code = parse_dossier_code(fields[book.dossier_code])
        if code is None:
            return None
        if spec.received is not None:
            received = moments[spec.received]
            if not code.same_day(received) or moments[str(spec.appointment)] < received:
                return None
            if fields[spec.status] == spec.returned_status and not fields.get(str(spec.returned)):
                return None
            for name, judge in ((spec.email, email_problem), (spec.phone, _not_a_phone)):
                value = fields.get(str(name))
                if value:
                    contact += 1
                    if judge(value) is not None:
                        return None
        for name in spec.free_text:
            value = fields.get(name)
            if value and id_number_runs(value):
                return None
    dossier_report = spec.received is not None
    return {
        "DVC-02": P, "DVC-03": P, "DVC-04": P, "DVC-05": P, "DVC-09": P,
        "DVC-06": P if dossier_report else NA,
        "DVC-08": (P if contact else NA) if dossier_report else NA,
    }


def _not_a_phone(value: str) -> str | None:
    return None if phone_is_plausible(value) else "implausible"
