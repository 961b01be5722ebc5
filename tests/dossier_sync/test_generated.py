"""DVC-02 on items generated from the profile's own schema: valid ones pass, and each defect is named.

hypothesis-jsonschema does not run with this Hypothesis, so :func:`from_schema` covers the small part of JSON
Schema the profile's schema uses (types, minLength, maxLength 0 for "" as absent, required, arrays of objects).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.clock import Clock
from conformance.jsonmsg import ParsedJSON, parse_untrusted_json
from conformance.model import Finding
from conformance.profiles import resolve_profile
from conformance.registry import CheckContext
from conformance_profiles.dossier_sync.checks import fields_and_types
from conformance_profiles.dossier_sync.codebook import codebook
from conformance_profiles.dossier_sync.message import Item, Message
from tests.conftest import NOW

PROFILE = resolve_profile("dossier-sync")
SCHEMA = json.loads(PROFILE.artefacts["schema"].read_text("utf-8"))
BOOK = codebook(PROFILE.artefacts["codes"])
CTX = CheckContext(PROFILE.id, Clock(NOW), artefacts=dict(PROFILE.artefacts), messages=PROFILE.messages())
SERVICES = ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")
ITEMS = {service: SCHEMA["$defs"][service] for service in SERVICES}
def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under ``schema``, for the keywords the profile's schema uses."""
    types = schema.get("type")
    if isinstance(types, list):  # [type, "string"] with maxLength 0: the type, or "" for absent
        return st.one_of(*(from_schema({**schema, "type": t}) for t in types if t != "string"), st.just(""))
    if types == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=12)
    if types == "integer":
        return st.integers(-10**20, 10**20)
    if types == "number":
        return st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    if types == "boolean":
        return st.booleans()
    if types == "array":
        return st.lists(from_schema(schema.get("items", {"type": "string"})), max_size=3)
    properties = schema.get("properties", {})
    required = {name: from_schema(properties[name]) for name in schema.get("required", ())}
    optional = {name: from_schema(sub) for name, sub in properties.items() if name not in required}
    return st.fixed_dictionaries(required, optional=optional)


GENERATED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def judged(service: str, item: dict[str, Any]) -> list[Finding]:
    """DVC-02's findings on a message of one item, parsed as the loader would leave it."""
    value: dict[str, Any] = {"service": service, "data": [item]}
    if service == "DongBoHoSoMC":
        value["isUpdating"] = False
    message = Message("m", ParsedJSON(value, json.dumps(value)), BOOK, BOOK.services[service],
                      (Item(0, "/data/0", item),))
    return list(fields_and_types(message, CTX))


@GENERATED
@given(st.sampled_from(SERVICES).flatmap(lambda s: st.tuples(st.just(s), from_schema(ITEMS[s]))))
def test_items_valid_under_the_schema_pass(case: tuple[str, dict[str, Any]]) -> None:
    service, item = case
    assert judged(service, item) == []


@GENERATED
@given(st.sampled_from(SERVICES).flatmap(lambda s: st.tuples(st.just(s), from_schema(ITEMS[s]))), st.data())
def test_a_missing_or_emptied_required_field_is_named(case: tuple[str, dict[str, Any]], data: st.DataObject) -> None:
    service, item = case
    field = data.draw(st.sampled_from(ITEMS[service]["required"]))
    if data.draw(st.booleans()):
        del item[field]
        expected = f"required field {field} is missing"
    else:
        item[field] = None
        expected = f"{field} is a JSON null"
    messages = {(f.path, f.message.split(";")[0]) for f in judged(service, item)}
    assert (f"/data/0/{field}", expected) in messages


@GENERATED
@given(st.sampled_from(SERVICES).flatmap(lambda s: st.tuples(st.just(s), from_schema(ITEMS[s]))),
       st.sampled_from(["1.0", "1e0", "4.00", "1E+1"]))
def test_an_integer_written_with_fraction_or_exponent_fails(case: tuple[str, dict[str, Any]], token: str) -> None:
    service, item = case
    status = BOOK.services[service].status
    item[status] = float(token)
    value: dict[str, Any] = {"service": service, "data": [item]}
    if service == "DongBoHoSoMC":
        value["isUpdating"] = False
    text = json.dumps(value).replace(json.dumps(float(token)), token)
    parsed = parse_untrusted_json(text.encode())
    parsed_item = parsed.value["data"][0]
    message = Message("m", parsed, BOOK, BOOK.services[service], (Item(0, "/data/0", parsed_item),))
    found = [f for f in fields_and_types(message, CTX) if f.path == f"/data/0/{status}"]
    assert found and found[0].value == token
