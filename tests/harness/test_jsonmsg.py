"""The strict JSON reader's shortcuts give exactly what the plain strict reading gives.

``parse_untrusted_json`` leaves integer tokens to C when no token can be over the limit, or when the interpreter's
own limit is the same; ``parse_clean_object`` proves a text well-formed from cheap looks and declines the rest.
Both are compared here with the reading that hooks every token and walks every string, on generated texts and on
texts broken near each rule: duplicate keys, constants, long integers, number tokens, escapes, surrogates, text
not in NFC, depth, byte-order marks, bad UTF-8.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import jsonmsg
from conformance.jsonmsg import JSONProblem, ParsedJSON, parse_clean_object, parse_untrusted_json


def typed(value: Any) -> list[Any]:
    """A value as a flat list of tokens with every type spelled out, so 1, 1.0 and True differ (== says they are
    equal); iterative, as a value may be nested deeper than Python recursion goes."""
    tokens: list[Any] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            tokens.append(("object", len(item)))
            for key, child in reversed(item.items()):
                stack += [child, ("key", key)]
        elif isinstance(item, list):
            tokens.append(("array", len(item)))
            stack += reversed(item)
        elif isinstance(item, tuple):
            tokens.append(item)
        else:
            tokens.append((type(item).__name__, repr(item)))
    return tokens


def outcome(parsed: ParsedJSON | JSONProblem) -> Any:
    """What a reading said: the problem that stopped it, or the value, its problems and its number tokens."""
    if isinstance(parsed, JSONProblem):
        return parsed
    return typed(parsed.value), parsed.problems, sorted((repr(v), token) for v, token in parsed.floats.values())


def read(data: bytes, *, hooked: bool = False, **limits: Any) -> ParsedJSON | JSONProblem:
    """The strict reading, or (``hooked``) the same with every integer token through the hook, as before the C
    shortcut. Both run at the same depth of the stack: near the recursion limit, one frame decides."""
    with pytest.MonkeyPatch.context() as patch:
        if hooked:
            patch.setattr(jsonmsg, "_read", _hooked_read)
        try:
            return parse_untrusted_json(data, **limits)
        except JSONProblem as problem:
            return problem


def _hooked_read(text: str, reading: Any, *, shallow: bool) -> Any:
    return reading.hooked.decode(text)


def read_hooked(data: bytes, **limits: Any) -> ParsedJSON | JSONProblem:
    return read(data, hooked=True, **limits)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["Nguyễn Thị Hoa", "Hoà", "Hòa", "e\u0301", "a\\b", ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=25)

# Edits that break one rule each (or look as if they might), applied to the text of a generated value.
EDITS = [
    lambda t: t.replace('{"', '{"k": 1, "', 1) if '{"k"' not in t else t.replace('{"', '{"k": 2, "', 1),  # dup key
    lambda t: t.replace("{", '{"dup": 0, "dup": 1, ', 1) if t.startswith("{") else t,
    lambda t: t.replace("0", "NaN", 1), lambda t: t.replace("1", "-Infinity", 1),
    lambda t: t.replace("1", "1" * 4301, 1), lambda t: t.replace("1", "1" * 700, 1),
    lambda t: t.replace("1", "1.0", 1), lambda t: t.replace("2", "2e0", 1), lambda t: t.replace("3", "-0", 1),
    lambda t: t.replace('"', '"\\ud800', 1), lambda t: t.replace('"', '"\\u00e9', 1),
    lambda t: t.replace('"', '"e\\u0301', 1), lambda t: t.replace('"', '"\\"', 1), lambda t: t.replace('"', '"\\n', 1),
    lambda t: t.replace("Hòa", unicodedata.normalize("NFD", "Hòa")),
    lambda t: "[" * 70 + t + "]" * 70, lambda t: "[" * 63 + t + "]" * 63, lambda t: "[" * 64 + t + "]" * 64,
    lambda t: "[" + ",".join([t] * 40) + "]", lambda t: '{"a": [' + ",".join(["{}"] * 80) + "]}",
    lambda t: "\ufeff" + t, lambda t: t + " x", lambda t: " \n" + t + "\n ", lambda t: t[:-1],
    lambda t: t,
]


def texts(value: Any, edit: int, ascii_only: bool) -> bytes:
    return EDITS[edit](json.dumps(value, ensure_ascii=ascii_only)).encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from(range(len(EDITS))), st.booleans(), st.booleans())
def test_c_integers_read_as_the_hooks_do(value: Any, edit: int, ascii_only: bool, nfc: bool) -> None:
    data = texts(value, edit, ascii_only)
    assert outcome(read(data, nfc=nfc)) == outcome(read_hooked(data, nfc=nfc))


@pytest.mark.parametrize("interpreter_limit", [640, 4300, 0])
@pytest.mark.parametrize("limit", [640, 4300, 5000])
def test_c_integers_read_as_the_hooks_do_whatever_the_limits(interpreter_limit: int, limit: int) -> None:
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(interpreter_limit)
    try:
        for digits in (1, 639, 640, 641, 4299, 4300, 4301, 4999, 5000, 5001):
            for text in (f'{{"n": {"7" * digits}}}', f'{{"n": -{"7" * digits}, "s": "{"x" * 5000}"}}'):
                try:
                    expected = outcome(read_hooked(text.encode(), max_int_digits=limit))
                except ValueError as exc:  # the interpreter refuses the token outright, with or without the hook
                    with pytest.raises(ValueError):
                        read(text.encode(), max_int_digits=limit)
                    assert "digits" in str(exc)
                    continue
                assert outcome(read(text.encode(), max_int_digits=limit)) == expected, (digits, limit)
                clean_agrees(text.encode(), max_int_digits=limit)
    finally:
        sys.set_int_max_str_digits(before)


def test_near_the_recursion_limit_both_readings_stop_at_the_same_place() -> None:
    limit = sys.getrecursionlimit()
    for depth in range(limit - 60, limit + 5):
        for leaf in ("1", '{"k": 1}', "1.5"):
            data = ("[" * depth + leaf + "]" * depth).encode()
            assert outcome(read(data)) == outcome(read(data, hooked=True)), depth


def clean_agrees(data: bytes, **limits: Any) -> bool:
    """Whether the clean reading took ``data``; fails the test when it takes what the strict reading faults."""
    value = parse_clean_object(data, **limits)
    if value is None:
        return False
    strict = read(data, **limits)
    assert not isinstance(strict, JSONProblem), (data[:200], strict)
    assert strict.problems == () and typed(strict.value) == typed(value), data[:200]
    return True


@settings(max_examples=600, deadline=None)
@given(values, st.sampled_from(range(len(EDITS))), st.booleans(), st.booleans())
def test_the_clean_reading_takes_only_what_the_strict_reading_finds_fine(value: Any, edit: int, ascii_only: bool,
                                                                         nfc: bool) -> None:
    clean_agrees(texts(value, edit, ascii_only), nfc=nfc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"{", b"}", b"[", b"]", b",", b":", b'"k"', b'"k2"', b"1", b"1.5", b"NaN", b" ",
                                 b"\\", b'"', b"\xef\xbb\xbf", b"\xff", b"\xc3\xa9", b"e\xcc\x81", b"true", b"null"]),
                max_size=40))
def test_structural_noise_is_declined_or_fine(tokens: list[bytes]) -> None:
    clean_agrees(b"".join(tokens), nfc=True)


def objects() -> Iterator[dict[str, Any]]:
    yield {"service": "DongBoHoSoMC", "data": [{"MaHoSo": "000.00.20.H10-261129-0001", "TrangThaiHoSo": 1,
                                                "Gia": 75000.5, "Ten": "Nguyễn Thị Hoa", "Url": "https://x/y"}]}
    yield {"a": [{"b": [{"c": {}}]}] * 30}  # more brackets than the depth limit, all shallow
    nested: dict[str, Any] = {}
    for _ in range(63):
        nested = {"n": nested}
    yield nested  # 64 deep: the limit


@pytest.mark.parametrize("value", list(objects()), ids=["message", "many-siblings", "at-the-limit"])
def test_the_clean_reading_takes_plain_objects_many_brackets_and_the_depth_limit(value: dict[str, Any]) -> None:
    assert clean_agrees(json.dumps(value, ensure_ascii=False).encode("utf-8"), nfc=True)
    assert clean_agrees(json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8"), nfc=True)
    escaped = json.dumps(value).encode()  # Vietnamese written as \u escapes: judged string by string, so declined
    assert clean_agrees(escaped, nfc=True) is (b"\\u" not in escaped)


def test_the_clean_reading_declines_one_level_too_deep_and_what_is_not_an_object() -> None:
    nested: dict[str, Any] = {}
    for _ in range(64):
        nested = {"n": nested}
    assert parse_clean_object(json.dumps(nested).encode()) is None
    assert isinstance(read(json.dumps(nested).encode()), ParsedJSON)  # which the strict reading explains
    for data in (b"[]", b"1", b'"x"', b"null", b"", b"  ", b'{"a": 1}{"b": 2}', b'{"a": 1, "a": 1}'):
        assert parse_clean_object(data) is None
