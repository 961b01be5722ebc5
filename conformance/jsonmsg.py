"""Hardened reading of untrusted JSON (RFC 8259), and JSON Schema validation, shared by profiles that read JSON.

:func:`parse_untrusted_json` reads bytes strictly: UTF-8 without a byte-order mark, no ``NaN`` or
``Infinity``, integers of at most 4300 digits, no duplicate keys, no lone surrogate escapes, and a
nesting depth limit; it can also require Unicode NFC text. What stops reading raises
:class:`JSONProblem`; what a reader may still want to see past (duplicate keys, depth, surrogates,
text that is not NFC) comes back in :attr:`ParsedJSON.problems`, with a JSON pointer to each place.
Python's own ``json`` is the parser: it is C code, and a document nested too deep for it raises
``RecursionError``, which is caught. :class:`SchemaValidator` answers "valid?" with jsonschema-rs and,
only when the answer is no, explains with jsonschema's errors, the most relevant one first.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from .i18n import t

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "MAX_INT_DIGITS",
    "JSONProblem",
    "ParsedJSON",
    "SchemaValidator",
    "json_type",
    "parse_clean_object",
    "parse_untrusted_json",
    "pointer",
]

DEFAULT_MAX_DEPTH = 64
MAX_INT_DIGITS = 4300  # CPython's own limit for int(str) (sys.int_max_str_digits)
QUOTED_CHARS = 120  # a value quoted in a problem is cut to this many characters

_WHITESPACE = b" \t\r\n"
_OTHER_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
               (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
_BOM_FIRST_BYTES = frozenset(bom[0] for bom in (codecs.BOM_UTF8, *(b for b, _ in _OTHER_BOMS)))
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONSTANT = re.compile(r"[\[:,]\s*(-?Infinity|NaN)")


@dataclass(frozen=True, slots=True)
class JSONProblem(Exception):
    """Why untrusted JSON is not well-formed: ``kind`` is empty, encoding, syntax, constant, number, depth,
    duplicate, surrogate or normalization.

    ``message`` is the English text; ``t(key, lang, **params)`` (:mod:`conformance.i18n`) says it in another
    language. ``path`` is a JSON pointer to the place, when it is known.
    """

    kind: str
    message: str
    line: int | None = None
    path: str | None = None
    value: str | None = None
    key: str = ""
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def _problem(kind: str, key: str, *, line: int | None = None, path: str | None = None, value: str | None = None,
             **params: object) -> JSONProblem:
    return JSONProblem(kind, t(key, "en", **params), line, path, value, key, params)


@dataclass(frozen=True, slots=True)
class ParsedJSON:
    """A parsed JSON value, the text it came from, and what makes it not well-formed though it parsed."""

    value: Any
    text: str
    problems: tuple[JSONProblem, ...] = ()
    floats: Mapping[int, tuple[float, str]] = field(default_factory=dict)

    def token(self, value: object) -> str:
        """How a number was written in the text (``1e0`` stays ``1e0``); other values as compact JSON."""
        if isinstance(value, float) and id(value) in self.floats:
            return self.floats[id(value)][1]
        return json.dumps(value, ensure_ascii=False)


def pointer(parts: Sequence[str | int]) -> str:
    """The JSON pointer (RFC 6901) of a path: ``["data", 0, "a/b"]`` is ``/data/0/a~1b``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def json_type(value: object) -> str:
    """The JSON type name of a parsed value: object, array, string, integer, number, boolean or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _quoted(text: str) -> str:
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "…"


class _Constant(Exception):
    pass


class _HugeInteger(Exception):
    pass


class _Reading:
    """The hooks of a parse, and what they noticed; kept between parses (:func:`_reading`), reset after each."""

    def __init__(self) -> None:
        self.max_int_digits = MAX_INT_DIGITS
        self.duplicated: dict[int, tuple[dict[str, Any], list[str]]] = {}
        self.floats: dict[int, tuple[float, str]] = {}
        # Building a decoder costs about as much as the hooks of a small message, so each reading keeps its
        # three: one that judges every integer token, one that leaves integers to C (see _read), and one that
        # leaves numbers to C and only looks for duplicate keys and constants (parse_clean_object).
        self.hooked = json.JSONDecoder(object_pairs_hook=self.pairs, parse_int=self.integer,
                                       parse_float=self.number, parse_constant=self.constant)
        self.c_integers = json.JSONDecoder(object_pairs_hook=self.pairs, parse_float=self.number,
                                           parse_constant=self.constant)
        self.c_numbers = json.JSONDecoder(object_pairs_hook=self.pairs, parse_constant=self.constant)

    def reset(self) -> None:
        self.duplicated = {}
        self.floats = {}

    def pairs(self, items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            counts = Counter(k for k, _ in items)
            # The object is kept with its keys: a dropped duplicate value must not free an id that is reused.
            self.duplicated[id(obj)] = (obj, sorted(k for k, n in counts.items() if n > 1))
        return obj

    def integer(self, token: str) -> int:
        if len(token) - token.startswith("-") > self.max_int_digits:
            raise _HugeInteger(token)
        return int(token)

    def number(self, token: str) -> float:
        value = float(token)
        self.floats[id(value)] = (value, token)  # the value is kept, so its id is not reused
        return value

    @staticmethod
    def constant(name: str) -> Any:
        raise _Constant(name)


_IDLE: list[_Reading] = []  # readings between parses; list.pop and list.append are atomic, so threads may share it


def _reading(max_int_digits: int) -> _Reading:
    try:
        reading = _IDLE.pop()
    except IndexError:
        reading = _Reading()
    reading.max_int_digits = max_int_digits
    return reading


def _read(text: str, reading: _Reading, *, shallow: bool) -> Any:
    """The parsed value, with the hooks of ``reading``; its exceptions are those of the hooked decoder.

    Integers are C's when no token can be too long (the text is shorter than the limit) or when the
    interpreter's own limit is ours and refuses the same tokens; a refused token is read again with the
    hook, which says which. ``shallow`` (no more brackets than the depth limit) keeps every hook call far
    from the recursion limit, so both decoders stop at the same place.
    """
    limit = reading.max_int_digits
    if shallow and (len(text) <= limit or sys.get_int_max_str_digits() == limit):
        try:
            return reading.c_integers.decode(text)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer token over the interpreter's limit: the hooked reading names it
            reading.reset()
    return reading.hooked.decode(text)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def _decode(data: bytes) -> str:
    if not data.strip(_WHITESPACE):
        raise _problem("empty", "json.empty")
    if data[0] in _BOM_FIRST_BYTES:
        if data.startswith(codecs.BOM_UTF8):
            raise _problem("encoding", "json.bom", line=1)
        for bom, name in _OTHER_BOMS:
            if data.startswith(bom):
                raise _problem("encoding", "json.encoding_bom", line=1, encoding=name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem("encoding", "json.invalid_utf8", line=data.count(b"\n", 0, exc.start) + 1,
                       byte=f"{data[exc.start]:02X}", offset=exc.start, reason=exc.reason) from None


def parse_untrusted_json(data: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS,
                         nfc: bool = False, secret_keys: frozenset[str] = frozenset()) -> ParsedJSON:
    """Parse untrusted bytes as one JSON text, or raise :class:`JSONProblem` saying what is wrong and where.

    With ``nfc``, strings (keys included) that are not in Unicode NFC are problems. The values of keys in
    ``secret_keys`` are never quoted in a problem.
    """
    text = _decode(data)
    deep = text.count("{") + text.count("[") > max_depth
    reading = _reading(max_int_digits)
    try:
        value = _read(text, reading, shallow=not deep)
        duplicated, floats = reading.duplicated, reading.floats
    except json.JSONDecodeError as exc:
        raise _problem("syntax", "json.syntax", line=exc.lineno, detail=exc.msg, column=exc.colno) from None
    except _Constant as exc:
        found = _CONSTANT.search(text)
        raise _problem("constant", "json.constant", line=_line(text, found.start(1)) if found else None,
                       value=str(exc), constant=str(exc)) from None
    except _HugeInteger as exc:
        digits = str(exc).lstrip("-")
        raise _problem("number", "json.huge_integer", line=_line(text, text.find(digits[:64])),
                       digits=len(digits), limit=max_int_digits) from None
    except RecursionError:
        raise _problem("depth", "json.depth", limit=max_depth) from None
    finally:
        reading.reset()
        _IDLE.append(reading)
    escapes = "\\" in text and "\\u" in text  # one character is found far faster than two
    surrogates = escapes and bool(_SURROGATE_ESCAPE.search(text))
    # NFC holds for the whole text exactly when it holds for every string: outside strings there is only
    # ASCII, which never composes with what follows. Escapes (\u0301) are looked at string by string.
    strings = surrogates or (nfc and (escapes or not (text.isascii() or unicodedata.is_normalized("NFC", text))))
    problems: tuple[JSONProblem, ...] = ()
    if duplicated or strings or deep:
        problems = tuple(_walk(value, duplicated, max_depth, surrogates=surrogates, nfc=nfc and strings,
                               secret_keys=secret_keys))
    return ParsedJSON(value, text, problems, floats)


def parse_clean_object(data: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS,
                       nfc: bool = False) -> dict[str, Any] | None:
    """The JSON object ``data`` holds when a cheap look proves it well-formed beyond doubt, else None.

    Wherever it returns an object, :func:`parse_untrusted_json` with the same limits reads the same value and
    finds no problem (tests/harness/test_jsonmsg.py proves it). It never explains: it declines whatever needs a
    closer look, and the strict reading says what is wrong, if anything. It declines a byte-order mark, a
    ``\\u`` escape (a lone surrogate, or text whose normal form must be judged string by string), text not
    in NFC (with ``nfc``), integer tokens that may be too long, duplicate keys, nesting over ``max_depth``, a
    value that is not an object, and anything the reader refuses.
    """
    if not data or data[0] in _BOM_FIRST_BYTES:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if ("\\" in text and "\\u" in text) or (nfc and not (text.isascii() or unicodedata.is_normalized("NFC", text))):
        return None
    if len(text) > max_int_digits and sys.get_int_max_str_digits() != max_int_digits:
        return None  # C would take an integer token the strict reading refuses
    reading = _reading(max_int_digits)
    try:
        value = reading.c_numbers.decode(text)
        duplicated = bool(reading.duplicated)
    except Exception:  # RecursionError included: whatever the reader refuses, the strict reading explains
        return None
    finally:
        reading.reset()
        _IDLE.append(reading)
    if duplicated or type(value) is not dict:
        return None
    # Counting brackets bounds the depth; a message with many items has many, so then the depth is measured.
    if text.count("{") + text.count("[") > max_depth and _deeper_than(value, max_depth):
        return None
    return value


def _deeper_than(root: Any, max_depth: int) -> bool:
    """Whether some object or array of ``root`` is nested more than ``max_depth`` deep (the root is 1)."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _walk(root: Any, duplicated: Mapping[int, tuple[object, list[str]]], max_depth: int, *, surrogates: bool, nfc: bool,
          secret_keys: frozenset[str]) -> Iterator[JSONProblem]:
    """The problems of a parsed value: duplicate keys, depth over the limit, lone surrogates, text not NFC."""
    strings = surrogates or nfc
    too_deep = False
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if len(path) + 1 > max_depth and not too_deep:
                too_deep = True
                yield _problem("depth", "json.depth", path=pointer(path), limit=max_depth)
            if id(value) in duplicated:
                yield _problem("duplicate", "json.duplicate", path=pointer(path),
                               keys=", ".join(duplicated[id(value)][1]))
            for key, item in reversed(value.items()):
                if strings:
                    yield from _string_problems(key, (*path, key), surrogates, nfc, quote=True)
                if isinstance(item, (dict, list)):
                    stack.append((item, (*path, key)))
                elif strings and isinstance(item, str):
                    yield from _string_problems(item, (*path, key), surrogates, nfc, quote=key not in secret_keys)
        elif isinstance(value, list):
            if len(path) + 1 > max_depth and not too_deep:
                too_deep = True
                yield _problem("depth", "json.depth", path=pointer(path), limit=max_depth)
            for index in range(len(value) - 1, -1, -1):
                item = value[index]
                if isinstance(item, (dict, list)):
                    stack.append((item, (*path, index)))
                elif strings and isinstance(item, str):
                    yield from _string_problems(item, (*path, index), surrogates, nfc, quote=True)
        elif strings and isinstance(value, str):
            yield from _string_problems(value, path, surrogates, nfc, quote=True)


def _string_problems(text: str, path: tuple[str | int, ...], surrogates: bool, nfc: bool, *,
                     quote: bool) -> Iterator[JSONProblem]:
    where = pointer(path)
    if surrogates and _SURROGATE.search(text):
        yield _problem("surrogate", "json.surrogate", path=where,
                       code=f"U+{ord(_SURROGATE.search(text).group()):04X}")  # type: ignore[union-attr]
        return  # a lone surrogate has no normal form
    if nfc and not text.isascii() and not unicodedata.is_normalized("NFC", text):
        yield _problem("normalization", "json.not_nfc", path=where,
                       value=_quoted(text) if quote else None)


class SchemaValidator:
    """One JSON Schema (draft 2020-12): a fast yes or no from jsonschema-rs, jsonschema's errors when no."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._fast = jsonschema_rs.Draft202012Validator(schema)
        self._slow: Any = None

    @classmethod
    def from_file(cls, path: Path) -> SchemaValidator:
        """The validator of a JSON Schema artefact, compiled once per process."""
        return _validator(path)

    def is_valid(self, instance: object) -> bool:
        """Whether ``instance`` is valid, asked of jsonschema-rs (of jsonschema for values Rust cannot take)."""
        try:
            return bool(self._fast.is_valid(instance))
        except (ValueError, TypeError, OverflowError):
            return not self.errors(instance)

    def errors(self, instance: object) -> list[Any]:
        """Every ``jsonschema.ValidationError`` of ``instance``, the most relevant (``best_match``) first."""
        try:
            if self._fast.is_valid(instance):
                return []
        except (ValueError, TypeError, OverflowError):  # a value Rust cannot take: let jsonschema decide
            pass
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import best_match

        if self._slow is None:
            self._slow = Draft202012Validator(self.schema)
        found = list(self._slow.iter_errors(instance))
        if not found:
            return []
        best = best_match(found)
        found.sort(key=lambda e: [str(p) for p in e.absolute_path])
        # best_match may descend into an error's context; put the top-level error that holds it first.
        top = next((e for e in found if e is best or best in _context(e)), None)
        if top is not None:
            found.remove(top)
            found.insert(0, top)
        return found


def _context(error: Any) -> Iterator[Any]:
    for sub in error.context or ():
        yield sub
        yield from _context(sub)


@cache
def _validator(path: Path) -> SchemaValidator:
    schema = json.loads(path.read_text("utf-8"))
    return SchemaValidator(schema)
