"""Test cases for one operation: positive ones drawn with Hypothesis, negative ones that break one constraint.

Positive cases are drawn from the schemas and kept only if the real validator accepts every value,
*as the server will read it* (a query string is text: ``limit=7`` is read as the integer 7).
Negative cases start from a positive case and break exactly one constraint of one parameter or body
field: a wrong type, a missing required field, a value out of range, a broken pattern or enum, an
unknown field where ``additionalProperties`` is false. Each is checked to be invalid as the server
will read it, so API-07 never blames a system for accepting a request that was in fact valid.
Generation is deterministic for a seed: Hypothesis runs with that seed and no example database.
"""

from __future__ import annotations

import json
import math
import random
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import jsonschema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from conformance.jsonmsg import json_type

from .spec import DOC_URI, Operation, Parameter, Spec
from .values import for_schema

__all__ = [
    "Case",
    "GenerationProblem",
    "generate_cases",
    "is_json_media",
    "negative_cases",
    "positive_cases",
]

_SERVER_ISSUED = re.compile(r"(?i)(cursor|token|next|after|before|page.*|.*id)$")
_MISSING = object()
_MAX_BASES = 16
_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


class GenerationProblem(Exception):
    """No valid value could be drawn for some part of the operation; the message names it."""


def is_json_media(media: str) -> bool:
    """Whether a media type carries JSON (``application/json``, ``…+json``)."""
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


@dataclass(frozen=True)
class Case:
    """One request to send, ready to serialise, and what kind of case it is."""

    operation: Operation
    kind: Literal["positive", "negative"]
    values: Mapping[tuple[str, str], Any]  # (location, name) -> value as JSON data
    body: Any = _MISSING
    media_type: str | None = None
    broken: str | None = None
    server_values: bool = False
    raw_string_body: bool = False
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_body(self) -> bool:
        """Whether the case sends a body."""
        return self.body is not _MISSING

    def path(self) -> str:
        """The request path, path parameters percent-encoded (dots too, so no segment is ``..``)."""
        def fill(match: re.Match[str]) -> str:
            value = self.values.get(("path", match.group(1)))
            text = serialise(value) if value is not None else match.group(0)
            return urllib.parse.quote(text, safe="").replace(".", "%2E")
        return re.sub(r"\{([^}/]+)\}", fill, self.operation.path)

    def query(self) -> list[tuple[str, str]]:
        """Query parameters in order; arrays repeat the name (``form``, ``explode``: the OpenAPI default)."""
        pairs = []
        for (where, name), value in self.values.items():
            if where != "query" or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, serialise(item)))
        return pairs

    def headers(self) -> dict[str, str]:
        """Header parameters and the body's Content-Type."""
        out = {name: serialise(value) for (where, name), value in self.values.items() if where == "header"}
        if self.has_body and self.media_type:
            out["Content-Type"] = self.media_type
        out.update(self.extra_headers)
        return out

    def content(self) -> bytes | None:
        """The body as bytes: JSON for JSON media types, the text itself for string schemas."""
        if not self.has_body:
            return None
        if self.media_type and is_json_media(self.media_type):
            return json.dumps(self.body, ensure_ascii=False, allow_nan=False).encode()
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        if self.media_type == "application/x-www-form-urlencoded" and isinstance(self.body, Mapping):
            return urllib.parse.urlencode({k: serialise(v) for k, v in self.body.items()}).encode()
        return json.dumps(self.body, ensure_ascii=False).encode()


def serialise(value: Any) -> str:
    """A parameter value as text (OpenAPI ``simple``/``form`` style)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(serialise(v) for v in value)
    if isinstance(value, Mapping):
        return ",".join(f"{k},{serialise(v)}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _as_read(text: str, schema: Any, spec: Spec) -> Any:
    """How a server reads the text of a parameter whose schema is ``schema``."""
    schema = spec.resolve(schema)
    types = schema.get("type") if isinstance(schema, Mapping) else None
    kinds = [types] if isinstance(types, str) else list(types or [])
    if "integer" in kinds and re.fullmatch(r"[+-]?\d{1,300}", text):
        return int(text)
    if "number" in kinds:
        try:
            number = float(text)
            if math.isfinite(number):
                return int(number) if re.fullmatch(r"[+-]?\d{1,300}", text) else number
        except ValueError:
            pass
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    if "array" in kinds:
        return [_as_read(part, schema.get("items", {}), spec) for part in text.split(",")] if text else []
    return text


def _param_ok(param: Parameter, value: Any, spec: Spec) -> bool:
    if value is None or isinstance(value, Mapping):
        return False
    validator = spec.validator(param.schema_ref)
    if isinstance(value, list):
        items = [serialise(v) for v in value]
        if any(not text for text in items):
            return False
        read = [_as_read(t, spec.resolve(param.schema).get("items", {}), spec) for t in items]
    else:
        text = serialise(value)
        if not text or (param.location == "header" and not _header_safe(text)):
            return False
        read = _as_read(text, param.schema, spec)
    return bool(validator.is_valid(read))


def _header_safe(text: str) -> bool:
    return text == text.strip() and all(0x20 <= ord(c) < 0x7F for c in text)


def _body_choice(operation: Operation) -> tuple[str, str] | None:
    if not operation.body_media:
        return None
    for media, at in operation.body_media.items():
        if is_json_media(media):
            return media, at
    return next(iter(operation.body_media.items()))


def _positive_strategy(spec: Spec, operation: Operation) -> st.SearchStrategy[dict[str, Any]]:
    fixed: dict[Any, st.SearchStrategy[Any]] = {}
    optional: dict[Any, st.SearchStrategy[Any]] = {}
    for param in operation.parameters:
        if param.location == "cookie":
            continue
        strategy = for_schema(param.schema, spec.resolve).filter(
            lambda v, p=param: _param_ok(p, v, spec))
        (fixed if param.required else optional)[(param.location, param.name)] = strategy
    choice = _body_choice(operation)
    if choice is not None:
        media, at = choice
        schema = spec.schema_at(at)
        if is_json_media(media):
            validator = spec.validator(at)
            body = for_schema(schema, spec.resolve).filter(lambda v: bool(validator.is_valid(v)))
        elif isinstance(spec.resolve(schema), Mapping) and spec.resolve(schema).get("format") == "binary":
            body = st.binary(max_size=256)
        else:
            body = for_schema(schema, spec.resolve)
        (fixed if operation.body_required else optional)[("body", "")] = body
    return st.fixed_dictionaries(fixed, optional=optional)


def _draw(strategy: st.SearchStrategy[Any], count: int, seed: int) -> list[Any]:
    drawn: list[Any] = []

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False, print_blob=False)
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def _case(spec: Spec, operation: Operation, raw: Mapping[Any, Any], kind: Literal["positive", "negative"],
          broken: str | None = None) -> Case:
    values = {key: value for key, value in raw.items() if key[0] != "body"}
    choice = _body_choice(operation)
    body = raw.get(("body", ""), _MISSING)
    media = choice[0] if choice and body is not _MISSING else None
    raw_string = bool(choice and not is_json_media(choice[0])
                      and spec.resolve(spec.schema_at(choice[1])).get("type") == "string")
    issued = any(where == "path" or (where == "query" and _SERVER_ISSUED.fullmatch(name))
                 for where, name in values)
    return Case(operation, kind, values, body, media, broken, issued, raw_string)


def positive_cases(spec: Spec, operation: Operation, count: int, seed: int) -> list[Case]:
    """Up to ``count`` distinct positive cases, the same ones for the same seed."""
    try:
        drawn = _draw(_positive_strategy(spec, operation), count, seed)
    except HypothesisException as exc:
        raise GenerationProblem(f"no valid request could be drawn for {operation.label} from its schemas "
                                f"({type(exc).__name__})") from None
    unique: dict[str, Case] = {}
    for raw in drawn:
        case = _case(spec, operation, raw, "positive")
        unique.setdefault(_signature(case), case)
    return list(unique.values())


# --- negative cases --------------------------------------------------------------------------

Mutation = tuple[str, str, Any]  # (the keyword broken, a description of it, the new value)


def _violations(schema: Any, value: Any, spec: Spec) -> Iterator[Mutation]:
    """Values that break one keyword of ``schema``, each with a description of the broken constraint."""
    schema = spec.resolve(schema)
    if not isinstance(schema, Mapping):
        return
    declared = schema.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    if types:
        allowed = types | ({"integer"} if "number" in types else set())
        for wrong in ("not a number", 7, True, [], {}):
            if json_type(wrong) not in allowed:
                yield "type", f"type {'/'.join(sorted(types))} (sent {json_type(wrong)})", wrong
                break
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        sample = next((e for e in enum if isinstance(e, str)), None)
        if sample is not None:
            candidate = sample + "-unlisted"
            while candidate in enum:
                candidate += "x"
            yield "enum", f"enum {enum[:6]}", candidate
        elif all(isinstance(e, int) and not isinstance(e, bool) for e in enum):
            yield "enum", f"enum {enum[:6]}", max(enum) + 1
    if "const" in schema:
        yield "const", f"const {schema['const']!r}", f"{schema['const']}-other"
    for bound, step, inclusive in (("minimum", -1, True), ("maximum", 1, True),
                                   ("exclusiveMinimum", 0, False), ("exclusiveMaximum", 0, False)):
        limit = schema.get(bound)
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            number = limit + step if inclusive else limit
            if "integer" in types and isinstance(limit, float):
                number = math.floor(limit) - 1 if step < 0 or bound == "exclusiveMinimum" else math.ceil(limit) + 1
            yield bound, f"{bound} {limit} (sent {number})", number
    if isinstance(value, str) or "string" in types:
        text = value if isinstance(value, str) else ""
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and low > 0:
            yield "minLength", f"minLength {low}", text[: low - 1] if len(text) >= low - 1 else "a" * (low - 1)
        if isinstance(high, int):
            filler = text[-1:] or "a"
            yield "maxLength", f"maxLength {high}", (text + filler * (high + 1))[: high + 1]
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            for candidate in ("!", "~~", " ", "é", "a b", "0", "-", "Z", ""):
                fits = (not isinstance(low, int) or len(candidate) >= low) and (
                    not isinstance(high, int) or len(candidate) <= high)
                try:
                    if fits and not re.search(pattern, candidate):
                        yield "pattern", f"pattern {pattern}", candidate
                        break
                except re.error:
                    break
    if isinstance(value, list):
        low, high = schema.get("minItems"), schema.get("maxItems")
        if isinstance(low, int) and low > 0:
            yield "minItems", f"minItems {low}", value[: low - 1]
        if isinstance(high, int) and value:
            yield "maxItems", f"maxItems {high}", (value * (high + 1))[: high + 1]
    if isinstance(value, Mapping):
        for name in schema.get("required") or ():
            if name in value:
                yield "required", f"required property '{name}'", {k: v for k, v in value.items() if k != name}
        if schema.get("additionalProperties") is False:
            extra = "unexpectedField"
            while extra in value or extra in (schema.get("properties") or {}):
                extra += "_"
            yield "additionalProperties", f"additionalProperties false (sent '{extra}')", {**value, extra: 1}


def _body_sites(spec: Spec, at: Any, value: Any, path: str = "body") -> Iterator[tuple[str, Callable[[Any], Any],
                                                                                        str, Any]]:
    """Every (where, setter, description, new value) that breaks one constraint of the body or a field of it."""
    schema = spec.resolve(spec.schema_at(at)) if isinstance(at, str) else at
    for keyword, broken, new in _violations(schema, value, spec):
        if _breaks_only(spec, schema, keyword, new):
            yield path, (lambda _old, new=new: new), broken, new
    if isinstance(value, Mapping) and isinstance(schema, Mapping):
        properties = schema.get("properties") or {}
        for name, sub in properties.items():
            if name in value:
                inner = spec.resolve(sub)
                for where, setter, broken, new in _body_sites(spec, inner, value[name], f"{path}.{name}"):
                    def nested(old: Any, name: str = name, setter: Callable[[Any], Any] = setter) -> Any:
                        return {**old, name: setter(old[name])}
                    yield where, nested, broken, new


def negative_cases(spec: Spec, operation: Operation, bases: list[Case], count: int, seed: int) -> list[Case]:
    """Up to ``count`` negative cases, each breaking exactly one constraint of a positive case."""
    if not bases:
        return []
    rng = random.Random(seed)
    sites: list[tuple[int, Callable[[Case], Case | None]]] = []
    optional_issued = {(p.location, p.name) for p in operation.parameters
                       if not p.required and p.location == "query" and _SERVER_ISSUED.fullmatch(p.name)}
    # A generated cursor or id is refused for its own sake: negatives start from bases without them.
    bases = [replace(b, values={k: v for k, v in b.values.items() if k not in optional_issued}) for b in bases]
    for index, base in enumerate(bases[:_MAX_BASES]):
        for param in operation.parameters:
            key = (param.location, param.name)
            if param.location == "cookie":
                continue
            if param.required and param.location != "path":
                sites.append((index, lambda b, key=key, p=param: replace(
                    b, kind="negative", values={k: v for k, v in b.values.items() if k != key},
                    broken=f"required {p.location} parameter '{p.name}' left out")))
            current = base.values.get(key)
            for keyword, broken, new in _violations(param.schema, current, spec):
                sites.append((index, lambda b, key=key, p=param, new=new, keyword=keyword, broken=broken:
                              _broken_param(spec, b, key, p, new, keyword, broken)))
        if base.has_body and base.media_type and is_json_media(base.media_type):
            choice = _body_choice(operation)
            assert choice is not None
            validator = spec.validator(choice[1])
            for where, setter, broken, _ in _body_sites(spec, choice[1], base.body):
                def mutate(b: Case, setter: Callable[[Any], Any] = setter, where: str = where,
                           broken: str = broken, validator: Any = validator) -> Case | None:
                    body = setter(b.body)
                    if validator.is_valid(body):
                        return None
                    return replace(b, kind="negative", body=body, broken=f"{where}: {broken}")
                sites.append((index, mutate))
        if base.has_body and operation.body_required:
            sites.append((index, lambda b: replace(b, kind="negative", body=_MISSING, media_type=None,
                                                   broken="required request body left out")))
    rng.shuffle(sites)
    # Every constraint once first (on whichever base comes first), then the same constraints on other bases.
    firsts = {}
    for index, mutate in sites:
        case = mutate(bases[index])
        if case is not None:
            firsts.setdefault(case.broken, case)
    made = list(firsts.values())[:count]
    signatures = {_signature(c) for c in made}
    for index, mutate in sites:
        if len(made) >= count:
            break
        case = mutate(bases[index])
        if case is not None and _signature(case) not in signatures:
            signatures.add(_signature(case))
            made.append(case)
    return made


def _signature(case: Case) -> str:
    return repr((case.path(), case.query(), sorted(case.headers().items()), case.content()))


def _broken_param(spec: Spec, base: Case, key: tuple[str, str], param: Parameter, new: Any, keyword: str,
                  broken: str) -> Case | None:
    """``base`` with parameter ``key`` set to ``new``, if the server will read that as invalid."""
    if isinstance(new, Mapping) or new is None:
        return None
    texts = [serialise(v) for v in new] if isinstance(new, list) else [serialise(new)]
    if any(not t for t in texts) or (param.location == "header" and not all(_header_safe(t) for t in texts)):
        return None  # an empty value reads as "absent" on many servers: not a clean negative
    schema = spec.resolve(param.schema)
    read = ([_as_read(t, schema.get("items", {}), spec) for t in texts] if isinstance(new, list)
            else _as_read(texts[0], param.schema, spec))
    if not _breaks_only(spec, schema, keyword, read):
        return None
    return replace(base, kind="negative", values={**base.values, key: new},
                   broken=f"{param.location} parameter '{param.name}': {broken}")


def _doc_refs(node: Any) -> Any:
    """A copy of a schema whose local ``$ref``s point into the registered document."""
    if isinstance(node, Mapping):
        return {k: (DOC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _doc_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_doc_refs(v) for v in node]
    return node


def _breaks_only(spec: Spec, schema: Any, keyword: str, value: Any) -> bool:
    """Whether ``value`` breaks ``schema``, and would satisfy it without ``keyword``: one constraint broken."""
    if not isinstance(schema, Mapping):
        return False
    full = jsonschema.Draft202012Validator(_doc_refs(schema), registry=spec.registry, format_checker=_FORMATS)
    relaxed = jsonschema.Draft202012Validator(_doc_refs({k: v for k, v in schema.items() if k != keyword}),
                                              registry=spec.registry, format_checker=_FORMATS)
    return not full.is_valid(value) and bool(relaxed.is_valid(value))


def generate_cases(spec: Spec, operation: Operation, budget: int, seed: int) -> list[Case]:
    """Up to ``budget`` positive cases for one operation, then up to ``budget`` negatives built on them."""
    positives = positive_cases(spec, operation, budget, seed)
    return positives + negative_cases(spec, operation, positives, budget, seed)
