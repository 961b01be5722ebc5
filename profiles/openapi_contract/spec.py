"""An OpenAPI 3.0/3.1 document as operations to exercise, with validators for what they may answer.

Schemas stay where they are in the document and are validated through a ``$ref`` to their JSON
pointer, so recursive and shared schemas need no copying. A 3.0 document is first normalised to
JSON Schema 2020-12 (``nullable``, boolean ``exclusiveMinimum``/``exclusiveMaximum``), so both
versions are judged by the same 2020-12 validator with formats checked.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.jsonmsg import pointer as json_pointer

__all__ = [
    "METHODS",
    "Link",
    "Operation",
    "Parameter",
    "Spec",
    "SpecProblem",
    "document_problems",
    "load_spec",
    "pointer",
]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOC_URI = "urn:conformance:api-document"
_SCHEMA_CHILDREN = ("items", "additionalProperties", "not", "contains", "propertyNames", "unevaluatedItems",
                    "unevaluatedProperties", "if", "then", "else")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


class SpecProblem(Exception):
    """The document cannot be used as an API description; the message says why."""


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to ``parts``."""
    return json_pointer(parts)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def resolve_pointer(document: Any, ref: str) -> Any:
    """The value at local reference ``#/a/b`` in ``document``; KeyError when it does not exist."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    node = document
    for part in filter(None, ref[1:].split("/")):
        key = _unescape(part)
        if isinstance(node, list):
            node = node[int(key)] if key.isdigit() and int(key) < len(node) else _missing(ref)
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            _missing(ref)
    return node


def _missing(ref: str) -> Any:
    raise KeyError(ref)


def _refs(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    stack = [(node, where)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, Mapping):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield path, ref
            stack.extend((v, f"{path}/{pointer(str(k))[1:]}") for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, f"{path}/{i}") for i, v in enumerate(current))


def document_problems(document: Mapping[str, Any]) -> list[str]:
    """Why ``document`` is not valid OpenAPI 3.0/3.1 (API-01): unresolved ``$ref``s, then the spec validator."""
    version = document.get("openapi")
    if not isinstance(version, str) or not re.fullmatch(r"3\.[01]\.\d+(-.+)?", version):
        return [f"'openapi' is {version!r}; this profile reads OpenAPI 3.0.x and 3.1.x documents"]
    problems = []
    for where, ref in _refs(document):
        if not ref.startswith("#"):
            problems.append(f"{where}: $ref '{ref}' points outside the document; external references are not "
                            "fetched (bundle the document into one file)")
            continue
        try:
            resolve_pointer(document, ref)
        except (KeyError, ValueError, IndexError):
            problems.append(f"{where}: $ref '{ref}' does not resolve")
    if problems:
        return problems
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    validator = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    try:
        for error in validator(dict(document)).iter_errors():
            location = "/".join(str(p) for p in getattr(error, "absolute_path", ())) or "(document)"
            problems.append(f"{location}: {getattr(error, 'message', str(error))}"[:500])
            if len(problems) >= 20:
                break
    except RecursionError:
        problems.append("the document is too deeply nested to validate")
    except Exception as exc:  # the validator's own failure on a broken document is still a finding
        problems.append(f"the document cannot be validated: {type(exc).__name__}: {str(exc)[:300]}")
    return problems


def _normalise_30(schema: Any) -> None:
    """Rewrite one 3.0 schema object (and the schemas inside it) to JSON Schema 2020-12, in place."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or "$ref" in node:
            continue
        if node.pop("nullable", False) is True:
            if isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
            if "type" not in node and "enum" not in node:
                inner = {k: node.pop(k) for k in list(node) if k not in ("description", "title", "default")}
                node["anyOf"] = [inner, {"type": "null"}]
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            if node.get(exclusive) is True and bound in node:
                node[exclusive] = node.pop(bound)
            elif isinstance(node.get(exclusive), bool):
                del node[exclusive]
        for key in _SCHEMA_CHILDREN:
            if isinstance(node.get(key), dict):
                stack.append(node[key])
        for key in _SCHEMA_LISTS:
            stack.extend(s for s in node.get(key, ()) if isinstance(s, dict))
        for key in _SCHEMA_MAPS:
            if isinstance(node.get(key), dict):
                stack.extend(node[key].values())


def _schemas_of_document(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every schema object the document holds at a place OpenAPI defines (not the ones nested in schemas)."""
    components = document.get("components") or {}
    yield from (components.get("schemas") or {}).values()
    stack: list[Any] = [document.get("paths") or {}, components.get("parameters") or {},
                        components.get("responses") or {}, components.get("requestBodies") or {},
                        components.get("headers") or {}]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schema" and isinstance(value, dict):
                    yield value
                elif key != "examples" and key != "example":
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation, with the JSON pointer of its schema."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    schema_ref: str


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: a value of one response feeds a parameter of another operation."""

    name: str
    status: str
    target: str
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class Operation:
    """One method on one path, everything the engine needs to call it and judge the answers."""

    method: str
    path: str
    operation_id: str
    parameters: tuple[Parameter, ...]
    body_required: bool
    body_media: Mapping[str, str]  # media type -> schema pointer
    responses: Mapping[str, Mapping[str, Any]]
    response_pointers: Mapping[str, str]
    security: tuple[Mapping[str, Any], ...]
    links: tuple[Link, ...] = ()

    @property
    def label(self) -> str:
        """``GET /v1/edocs``: the operation as a report subject."""
        return f"{self.method.upper()} {self.path}"

    @property
    def secured(self) -> bool:
        """Whether calling it needs credentials (some requirement, and no empty alternative)."""
        return bool(self.security) and all(requirement for requirement in self.security)


@dataclass
class Spec:
    """A loaded, normalised document: its operations and a validator per schema location."""

    document: dict[str, Any]
    version: str
    operations: tuple[Operation, ...]
    security_schemes: Mapping[str, Mapping[str, Any]]
    _validators: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def registry(self) -> Registry:
        """A reference registry holding the whole document, so every ``$ref`` resolves."""
        resource: Resource[Any] = Resource.from_contents(self.document, default_specification=DRAFT202012)
        return Registry().with_resource(DOC_URI, resource)

    def validator(self, schema_pointer: str) -> Any:
        """A 2020-12 validator, formats checked, for the schema at ``schema_pointer`` in the document."""
        found = self._validators.get(schema_pointer)
        if found is None:
            schema = {"$ref": f"{DOC_URI}#{schema_pointer}"}
            found = jsonschema.Draft202012Validator(schema, registry=self.registry,
                                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            self._validators[schema_pointer] = found
        return found

    def schema_at(self, schema_pointer: str) -> Any:
        """The schema object at ``schema_pointer`` (``$ref``s inside it unresolved)."""
        return resolve_pointer(self.document, "#" + schema_pointer)

    def resolve(self, schema: Any, depth: int = 0) -> Any:
        """``schema`` with a top-level local ``$ref`` followed (a few levels), else itself."""
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and depth < 32:
            schema = resolve_pointer(self.document, schema["$ref"])
            depth += 1
        return schema

    def by_id(self, operation_id: str) -> Operation | None:
        """The operation with ``operationId``, if any."""
        return next((op for op in self.operations if op.operation_id == operation_id), None)


def _deref(document: Mapping[str, Any], node: Any, where: str) -> tuple[Any, str]:
    """Follow a ``$ref`` of a parameter, response, body or header object: (object, its pointer)."""
    hops = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        where = node["$ref"][1:]
        node = resolve_pointer(document, node["$ref"])
        hops += 1
        if hops > 32:
            raise SpecProblem(f"$ref chain at {where} does not end")
    return node, where


def _parameters(document: Mapping[str, Any], items: list[tuple[Any, str]]) -> tuple[Parameter, ...]:
    found: dict[tuple[str, str], Parameter] = {}
    for raw, where in items:
        param, at = _deref(document, raw, where)
        if not isinstance(param, Mapping) or "name" not in param or "in" not in param:
            continue
        schema_at = f"{at}/schema"
        schema = param.get("schema")
        if schema is None and isinstance(param.get("content"), Mapping) and param["content"]:
            media = next(iter(param["content"]))
            schema, schema_at = param["content"][media].get("schema", {}), f"{at}/content/{pointer(media)[1:]}/schema"
        found[(param["name"], param["in"])] = Parameter(
            param["name"], param["in"], bool(param.get("required")) or param["in"] == "path",
            schema if isinstance(schema, Mapping) else {}, schema_at)
    return tuple(found.values())


def load_spec(document: Mapping[str, Any]) -> Spec:
    """Build the operations of a document that :func:`document_problems` found valid."""
    doc: dict[str, Any] = copy.deepcopy(dict(document))
    version = str(doc.get("openapi", ""))
    if version.startswith("3.0"):
        for schema in _schemas_of_document(doc):
            _normalise_30(schema)
    top_security = tuple(doc.get("security") or ())
    operations = []
    for path, item in (doc.get("paths") or {}).items():
        item, item_at = _deref(doc, item, pointer("paths", path))
        if not isinstance(item, Mapping):
            continue
        shared = [(p, f"{item_at}/parameters/{i}") for i, p in enumerate(item.get("parameters") or ())]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            at = f"{item_at}/{method}"
            own = [(p, f"{at}/parameters/{i}") for i, p in enumerate(op.get("parameters") or ())]
            body, body_at = _deref(doc, op.get("requestBody") or {}, f"{at}/requestBody")
            media = {m: f"{body_at}/content/{pointer(m)[1:]}/schema" for m, v in (body.get("content") or {}).items()
                     if isinstance(v, Mapping)}
            responses: dict[str, Mapping[str, Any]] = {}
            response_pointers: dict[str, str] = {}
            links: list[Link] = []
            for status, response in (op.get("responses") or {}).items():
                resolved, response_at = _deref(doc, response, f"{at}/responses/{status}")
                responses[str(status)] = resolved
                response_pointers[str(status)] = response_at
                for name, link in (resolved.get("links") or {}).items():
                    link, _ = _deref(doc, link, "")
                    if isinstance(link, Mapping) and isinstance(link.get("operationId"), str):
                        links.append(Link(name, str(status), link["operationId"], dict(link.get("parameters") or {})))
            security = op.get("security")
            operations.append(Operation(
                method=method, path=path, operation_id=str(op.get("operationId") or f"{method} {path}"),
                parameters=_parameters(doc, shared + own), body_required=bool(body.get("required")),
                body_media=media, responses=responses, response_pointers=response_pointers,
                security=tuple(security) if security is not None else top_security, links=tuple(links)))
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    return Spec(doc, version, tuple(operations), schemes)
