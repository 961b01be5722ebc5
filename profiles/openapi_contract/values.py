"""Hypothesis strategies for values a JSON Schema (2020-12, as normalised by ``spec``) accepts.

hypothesis-jsonschema no longer runs on current Hypothesis releases, so the profile carries this
small generator for the keywords API descriptions use. It aims at valid values; every generated
value is then checked with the real validator (``filter``), so a keyword it does not model can
cost examples but can never produce a "positive" case that is not valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

__all__ = ["MAX_DEPTH", "for_schema"]

MAX_DEPTH = 6
_TEXT = st.characters(codec="utf-8", exclude_categories=("Cs",))
_NAMES = {
    "date-time": st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 31),
                              timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    "date": st.dates().map(lambda d: d.isoformat()),
    "uuid": st.uuids().map(str),
    "email": st.from_regex(r"[a-z]{1,10}@[a-z]{1,10}\.vn", fullmatch=True),
    "uri": st.from_regex(r"https://[a-z]{1,10}\.vn/[a-z0-9]{0,10}", fullmatch=True),
    "uri-reference": st.from_regex(r"/[a-z0-9]{0,12}", fullmatch=True),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": st.ip_addresses(v=6).map(str),
    "hostname": st.from_regex(r"[a-z]{1,10}\.gov\.vn", fullmatch=True),
}
Resolve = Callable[[Any], Any]


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [t for t in declared if isinstance(t, str)]
    inferred = []
    if any(k in schema for k in ("properties", "required", "additionalProperties")):
        inferred.append("object")
    if any(k in schema for k in ("items", "minItems", "maxItems", "prefixItems")):
        inferred.append("array")
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        inferred.append("string")
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        inferred.append("number")
    return inferred or ["null", "boolean", "integer", "string"]


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    high = int(high) if high is not None else low + 24
    fmt = schema.get("format")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error:
            return st.nothing()
        base = st.from_regex(pattern, fullmatch=True)
        return base.filter(lambda s: low <= len(s) <= high)
    if isinstance(fmt, str) and fmt in _NAMES:
        return _NAMES[fmt].filter(lambda s: low <= len(s) <= high)
    if fmt in ("binary", "byte"):
        return st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=low, max_size=high)
    return st.text(alphabet=_TEXT, min_size=low, max_size=high)


def _number(schema: Mapping[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    ex_low = schema.get("exclusiveMinimum")
    ex_high = schema.get("exclusiveMaximum")
    multiple = schema.get("multipleOf")
    if integer:
        lo = math.ceil(low) if isinstance(low, int | float) else None
        hi = math.floor(high) if isinstance(high, int | float) else None
        if isinstance(ex_low, int | float):
            lo = max(lo, math.floor(ex_low) + 1) if lo is not None else math.floor(ex_low) + 1
        if isinstance(ex_high, int | float):
            hi = min(hi, math.ceil(ex_high) - 1) if hi is not None else math.ceil(ex_high) - 1
        if isinstance(multiple, int) and multiple > 0:
            first = -(-(lo if lo is not None else -1000 * multiple) // multiple)
            last = (hi if hi is not None else 1000 * multiple) // multiple
            return st.integers(first, last).map(lambda k: k * multiple) if first <= last else st.nothing()
        return st.integers(lo, hi)
    return st.floats(
        min_value=float(low) if isinstance(low, int | float) else float(ex_low) if isinstance(ex_low, int | float)
        else None,
        max_value=float(high) if isinstance(high, int | float) else float(ex_high)
        if isinstance(ex_high, int | float) else None,
        exclude_min=not isinstance(low, int | float) and isinstance(ex_low, int | float),
        exclude_max=not isinstance(high, int | float) and isinstance(ex_high, int | float),
        allow_nan=False, allow_infinity=False, width=64)


def _object(schema: Mapping[str, Any], resolve: Resolve, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = [name for name in schema.get("required") or () if isinstance(name, str)]
    fixed = {name: for_schema(properties.get(name, {}), resolve, depth + 1) for name in required}
    optional = {} if depth >= MAX_DEPTH else {
        name: for_schema(sub, resolve, depth + 1) for name, sub in properties.items() if name not in fixed}
    return st.fixed_dictionaries(fixed, optional=optional)


def _array(schema: Mapping[str, Any], resolve: Resolve, depth: int) -> st.SearchStrategy[list[Any]]:
    low = int(schema.get("minItems", 0))
    high = schema.get("maxItems")
    high = int(high) if high is not None else low + (3 if depth < MAX_DEPTH else 0)
    items = schema.get("items", {})
    element = for_schema(items if items is not False else {"not": {}}, resolve, depth + 1)
    unique = bool(schema.get("uniqueItems"))
    return st.lists(element, min_size=low, max_size=high,
                    unique_by=(lambda v: repr(v)) if unique else None)  # type: ignore[arg-type]


_JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(alphabet=_TEXT, max_size=12))


def for_schema(schema: Any, resolve: Resolve, depth: int = 0) -> st.SearchStrategy[Any]:
    """A strategy that aims at values ``schema`` accepts (filter with the validator for certainty)."""
    schema = resolve(schema)
    if schema is True or schema == {}:
        return _JSON_SCALAR
    if schema is False or not isinstance(schema, Mapping) or depth > MAX_DEPTH + 2:
        return st.nothing()
    if "const" in schema:
        return st.just(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return st.sampled_from(schema["enum"])
    branches = schema.get("oneOf") or schema.get("anyOf")
    if isinstance(branches, list) and branches:
        rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
        return st.one_of([for_schema(_merge(rest, resolve(b)), resolve, depth + 1) for b in branches])
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged = _merge(merged, resolve(part))
        return for_schema(merged, resolve, depth + 1)
    strategies = []
    for kind in _types(schema):
        if kind == "string":
            strategies.append(_string(schema))
        elif kind in ("integer", "number"):
            strategies.append(_number(schema, kind == "integer"))
        elif kind == "boolean":
            strategies.append(st.booleans())
        elif kind == "null":
            strategies.append(st.none())
        elif kind == "object":
            strategies.append(_object(schema, resolve, depth))
        elif kind == "array":
            strategies.append(_array(schema, resolve, depth))
    return st.one_of(strategies) if strategies else st.nothing()


def _merge(base: Mapping[str, Any], extra: Any) -> dict[str, Any]:
    """Two schemas' keywords together (for allOf and for branches under shared keywords)."""
    if not isinstance(extra, Mapping):
        return dict(base)
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        elif key == "required" and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *(v for v in value if v not in merged[key])]
        else:
            merged[key] = value
    return merged
