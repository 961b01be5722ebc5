"""A dossier-sync message as the checks see it, how it is read (DVC-01), and how a file is cut into messages.

A message is one JSON text: an envelope ``{service, …, data: [item…]}``. A file holds one message, a JSON
array of messages, or an NDJSON stream; :func:`split_messages` names each ``file[index]`` or ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.i18n import t
from conformance.jsonmsg import DEFAULT_MAX_DEPTH, JSONProblem, ParsedJSON, parse_untrusted_json
from conformance.model import Finding
from conformance.registry import CheckContext, RawSubject, Stop

from .codebook import CodeBook, ServiceSpec, book_of

__all__ = ["SECRET_KEYS", "Item", "Message", "load_message", "split_messages", "status_reports"]

SECRET_KEYS = frozenset({"session", "password"})
_WHITESPACE = b" \t\r\n"
_NOT_WHITESPACE = re.compile(rb"[^ \t\r\n]")
_JSON_WHITESPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Item:
    """One object of ``data``, with its JSON pointer."""

    index: int
    path: str
    fields: Mapping[str, Any]

    def filled(self, field: str) -> Any:
        """The field's value, or None when it is absent, null or "" (an optional "" counts as absent)."""
        value = self.fields.get(field)
        return None if value is None or value == "" else value


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed message: its envelope, the spec of its message type (None when unknown) and its items."""

    name: str
    parsed: ParsedJSON
    book: CodeBook
    spec: ServiceSpec | None
    items: tuple[Item, ...]

    @property
    def envelope(self) -> Any:
        """The parsed JSON value."""
        return self.parsed.value


def _finding(problem: JSONProblem, ctx: CheckContext) -> Finding:
    # The harness says JSON problems (conformance/i18n.py); a pointer to the root is "", shown as no path.
    return Finding(t(problem.key, ctx.lang, **problem.params), path=problem.path or None, line=problem.line,
                   value=problem.value)


def load_message(raw: RawSubject, ctx: CheckContext) -> Message:
    """Read one message strictly (DVC-01), or stop with every reason it is not well-formed."""
    try:
        parsed = parse_untrusted_json(raw.data, max_depth=int(ctx.limits.get("max_depth", DEFAULT_MAX_DEPTH)),
                                      nfc=True, secret_keys=SECRET_KEYS)
    except JSONProblem as problem:
        raise Stop("DVC-01", [_finding(problem, ctx)]) from None
    if parsed.problems:
        raise Stop("DVC-01", [_finding(p, ctx) for p in parsed.problems])
    book = book_of(ctx)
    envelope = parsed.value
    spec = book.services.get(envelope.get("service")) if isinstance(envelope, dict) and \
        isinstance(envelope.get("service"), str) else None
    data = envelope.get("data") if spec is not None else None
    items = tuple([Item(i, f"/data/{i}", item) for i, item in enumerate(data)
                   if isinstance(item, dict)]) if isinstance(data, list) else ()
    return Message(raw.name, parsed, book, spec, items)


def status_reports(envelope: Mapping[str, Any], book: CodeBook, spec: ServiceSpec) -> list[tuple[str, int, str]]:
    """``(dossier code, status, JSON pointer of the status)`` for each item of ``data`` that has both (DVC-07)."""
    data = envelope.get("data")
    if not isinstance(data, list):
        return []
    name, status_field = book.dossier_code, spec.status
    facts = []
    for index, fields in enumerate(data):
        if isinstance(fields, dict):
            dossier, status = fields.get(name), fields.get(status_field)
            if isinstance(dossier, str) and dossier and type(status) is int:
                facts.append((dossier, status, f"/data/{index}/{status_field}"))
    return facts


def split_messages(raw: RawSubject, ctx: CheckContext) -> Iterator[RawSubject]:
    """The messages a file holds: the elements of a JSON array, the lines of an NDJSON stream, or the file."""
    data = raw.data
    opening = _NOT_WHITESPACE.search(data)
    if opening is None:
        yield raw  # blank: the reader says it is empty
        return
    if data[opening.start()] == ord("["):
        elements = _array_elements(data)
        if not elements:
            yield raw  # not a clean array, or an empty one: judged whole, so the reader says what it is
            return
        for index, element in enumerate(elements):
            yield RawSubject(f"{raw.name}[{index}]", element, raw.path)
        return
    line_end = data.find(b"\n", opening.start())
    if line_end < 0 or _NOT_WHITESPACE.search(data, line_end) is None or \
            not _is_object(data[opening.start():line_end]):
        yield raw
        return
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.strip(_WHITESPACE):
            yield RawSubject(f"{raw.name}:{number}", line, raw.path)


def _is_object(line: bytes) -> bool:
    """Whether one line is a complete JSON object: what tells an NDJSON stream from a pretty-printed message."""
    try:
        return isinstance(json.loads(line.decode("utf-8")), dict)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False


def _array_elements(data: bytes) -> list[bytes] | None:
    """The texts of the elements of a top-level JSON array, or None when the file is not a clean array.

    Clean means: the array parses with the plain JSON reader, closes once, and only whitespace follows it.
    Each element is then read again, strictly, as a message of its own.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    at = _JSON_WHITESPACE.match(text).end() + 1  # type: ignore[union-attr]  # the pattern matches ""
    at = _JSON_WHITESPACE.match(text, at).end()  # type: ignore[union-attr]
    elements: list[bytes] = []
    if text.startswith("]", at):
        return elements
    while True:
        try:
            _, end = _DECODER.raw_decode(text, at)
        except (ValueError, RecursionError):
            return None
        elements.append(text[at:end].encode("utf-8"))
        at = _JSON_WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", at):
            at = _JSON_WHITESPACE.match(text, at + 1).end()  # type: ignore[union-attr]
        elif text.startswith("]", at):
            return elements if not text[at + 1:].strip(" \t\r\n") else None
        else:
            return None
