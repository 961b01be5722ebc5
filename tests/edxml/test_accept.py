"""The fast acceptor agrees with the checks wherever it accepts: its proof obligation, tested.

The acceptor may only ever answer "every check passes or does not apply" (or decline). These tests
run the full checks beside it on the corpus, on generated packages and on random mutations of
canonical packages, and require identical outcomes whenever it accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.clock import Clock
from conformance.evaluate import evaluate_subject
from conformance.model import Outcome
from conformance.profiles import resolve_profile
from conformance.registry import CheckContext, RawSubject, Stop
from conformance_fixtures.edxml_corpus import bulk_packages, edoc_package, status_package
from conformance_profiles.edxml.accept import accept
from conformance_profiles.edxml.package import EDOC_HEADER, EDXML_NS, ORGANIZATION, STATUS_HEADER
from tests.conftest import NOW

PROFILE = resolve_profile("edxml")
CHECKS = PROFILE.load_checks()
XS = "{http://www.w3.org/2001/XMLSchema}"


def context(claims: frozenset[str] = frozenset()) -> CheckContext:
    return CheckContext("edxml", Clock(NOW), claims, (), dict(PROFILE.artefacts), dict(PROFILE.limits))


def full_outcomes(data: bytes, ctx: CheckContext) -> dict[str, Outcome] | None:
    """Every check's outcome from the checks themselves (the acceptor is not consulted when listing)."""
    report = evaluate_subject("edxml", PROFILE.requirements, CHECKS, RawSubject("p", data), ctx, list_quiet=True)
    if report.omitted:
        return None
    return {r.requirement: r.outcome for r in report.results if r.requirement not in ("EDX-01", "EDX-17")}


def accepted(data: bytes, ctx: CheckContext) -> dict[str, Outcome] | None:
    assert CHECKS.subject_loader is not None
    try:
        pkg = CHECKS.subject_loader.func(RawSubject("p", data), ctx)
    except Stop:
        return None
    return accept(pkg, ctx)


def assert_agrees(data: bytes, ctx: CheckContext) -> bool:
    """Whether the acceptor accepted; when it did, it must agree with every check."""
    fast = accepted(data, ctx)
    if fast is None:
        return False
    assert fast == full_outcomes(data, ctx), data[:3000]
    return True


def test_it_agrees_on_every_corpus_package(corpus: Path) -> None:
    ctx = context()
    accepted_names = [p.name for folder in ("conformant", "invalid", "hostile")
                      for p in sorted((corpus / folder).iterdir()) if assert_agrees(p.read_bytes(), ctx)]
    # It accepts the canonical conformant packages, and none of the defective ones.
    assert len(accepted_names) >= 25
    assert not [n for n in accepted_names if n.startswith(("EDX-", "STS-"))]


def test_it_accepts_generated_packages_and_agrees() -> None:
    ctx = context()
    packages = [data for _, data in bulk_packages(30, now=NOW, approx_bytes=5000)]
    assert all(assert_agrees(data, ctx) for data in packages)


def test_a_claimed_signature_is_left_to_the_checks() -> None:
    assert accepted(edoc_package(now=NOW), context(frozenset({"edxml.signature"}))) is None


# ------------------------------------------------------------------------------------- mutations

TRICKY = st.sampled_from([
    "", " ", "\n\t", "\u00a0", "0", "5", "-1", "1000", "999", "true", "TRUE", "1", "2014/02/30", "2015/09/30",
    "2099/01/01", "30/09/2015", "2015/09/30 25:00:00", "2015/09/30 10:00:00", "000.00.00.G22", "G09.20", "g09",
    "000.00.00.G22,2015/09/30,7816/VPCP", "x@y.vn", "not an email", "cid:a", "QUJD", "QR==", "Vie\u0302\u0323t",
    "\u0344" * 11, "A" * 12, "A" * 31, "Ж" * 501, "١٢٣", "03", "3", "07",
])


def _mutate(data: bytes, index: int, action: str, value: str) -> bytes:
    root = etree.fromstring(data)
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    el = elements[index % len(elements)]
    parent = el.getparent()
    if action == "text" and len(el) == 0:
        el.text = value
    elif action == "drop" and parent is not None:
        parent.remove(el)
    elif action == "duplicate" and parent is not None:
        parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
    elif action == "swap" and parent is not None and el.getnext() is not None:
        el.addnext(el.getnext())  # moves the next sibling before el
    elif action == "unqualify":
        el.tag = etree.QName(el).localname
    elif action == "foreign":
        el.append(etree.Element("{urn:vendor}extra"))
    elif action == "comment":
        el.insert(0, etree.Comment("note"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


BASES = [edoc_package(now=NOW), edoc_package(now=NOW, business_type=2, attachments=2),
         edoc_package(now=NOW, business_type=3, organ_to=("000.00.11.H53", "G09.20")), status_package(now=NOW),
         status_package(now=NOW, status_code="13")]


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(range(len(BASES))), index=st.integers(0, 400),
       action=st.sampled_from(["text", "text", "text", "drop", "duplicate", "swap", "unqualify", "foreign",
                               "comment"]), value=TRICKY)
def test_it_agrees_with_the_checks_on_mutated_packages(base: int, index: int, action: str, value: str) -> None:
    assert_agrees(_mutate(BASES[base], index, action, value), context())


def test_the_bases_are_accepted() -> None:
    assert all(accepted(base, context()) is not None for base in BASES)


# ------------------------------------------------------------------------------------- the XSDs follow the tables

def _sequence(xsd: Path, type_name: str) -> list[str]:
    schema = etree.parse(str(xsd))
    [ctype] = schema.findall(f"{XS}complexType[@name='{type_name}']")
    return [el.get("name", "") for el in ctype.iter(f"{XS}element")]


@pytest.mark.parametrize(("artefact", "type_name", "expected"), [
    ("canonical_edoc", "messageHeader", [slot.name for slot in EDOC_HEADER]),
    ("canonical_status", "messageHeader", [slot.name for slot in STATUS_HEADER]),
    ("canonical_edoc", "organization", list(ORGANIZATION)),
    ("canonical_status", "organization", list(ORGANIZATION)),
    ("canonical_edoc", "responseFor", list(next(s for s in EDOC_HEADER if s.name == "ResponseFor").children)),
    ("canonical_status", "staff", list(next(s for s in STATUS_HEADER if s.name == "StaffInfo").children)),
])
def test_canonical_sequences_follow_the_profile_tables(artefact: str, type_name: str, expected: list[str]) -> None:
    assert _sequence(PROFILE.artefacts[artefact], type_name) == expected


def test_the_canonical_form_is_in_the_edxml_namespace() -> None:
    for name in ("canonical_edoc", "canonical_status"):
        assert etree.parse(str(PROFILE.artefacts[name])).getroot().get("targetNamespace") == EDXML_NS


def test_many_mutations_are_accepted_so_the_comparison_means_something() -> None:
    """A seeded sweep: the acceptor must accept a good share of mutations, and agree on every one."""
    import random

    values = ["", " ", "\u00a0", "0", "5", "-1", "1000", "true", "TRUE", "2014/02/30", "2015/09/30", "2099/01/01",
              "x@y.vn", "not an email", "QR==", "Vie\u0302\u0323t", "A" * 12, "03", "07", "G09.20", "g09"]
    actions = ["text"] * 3 + ["drop", "duplicate", "swap", "unqualify", "foreign", "comment"]
    rng = random.Random(20261129)
    ctx = context()
    accepted_count = sum(
        assert_agrees(_mutate(rng.choice(BASES), rng.randrange(400), rng.choice(actions), rng.choice(values)), ctx)
        for _ in range(600))
    assert accepted_count > 150
