"""Checks of the ``edxml`` profile: one per requirement id of ``profile.yaml``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

import yaml
from lxml import etree

from conformance.i18n import Phrase, t
from conformance.model import Finding
from conformance.registry import (
    CheckContext,
    Checks,
    Judgement,
    RawSubject,
    Stop,
    not_applicable,
    passed,
)
from conformance.xml import XMLProblem, parse_untrusted

from .accept import accept
from .package import (
    DSIG_NS,
    EDOC_HEADER,
    EDXML_NS,
    ORGANIZATION,
    STATUS_HEADER,
    Package,
    Slot,
    schema_for,
)
from .phrases import phrase
from .signature import judge_signature, weak_algorithms
from .values import (
    BUSINESS_TYPES,
    DOCUMENT_TYPES,
    PRIORITIES,
    STATUS_CODES,
    amount_problem,
    base64_problem,
    char_length,
    content_id,
    disagreements,
    email_problem,
    is_blank,
    organ_id_syntax,
    parse_date,
    parse_document_id,
    parse_timestamp,
)

checks = Checks("edxml")
checks.accept(accept)  # the fast path for canonical packages; see accept.py

EDOC_ONLY = phrase("applies.edoc_only")
STATUS_ONLY = phrase("applies.status_only")
KIND_UNKNOWN = phrase("applies.kind_unknown")
EDXML_STRUCTURE = {
    "edXML": ("edXMLEnvelope", "AttachmentEncoded"),
    "edXMLEnvelope": ("edXMLHeader", "edXMLBody"),
    "edXMLHeader": ("MessageHeader", "TraceHeaderList", "Signature"),
    "edXMLBody": ("edXMLManifest",),
    "edXMLManifest": ("Reference",),
    "Reference": ("ContentId", "ContentType", "Description", "AttachmentName"),
    "AttachmentEncoded": ("Attachment",),
    "Attachment": ("ContentId", "AttachmentName", "Description", "ContentType", "ContentTransferEncoded"),
}


def edoc(pkg: Package) -> bool | Phrase:
    """Applicability: e-document packages (and packages whose kind is unknown fail EDX-03 instead)."""
    return True if pkg.kind == "edoc" else EDOC_ONLY if pkg.kind == "status" else KIND_UNKNOWN


def status(pkg: Package) -> bool | Phrase:
    """Applicability: status packages."""
    return True if pkg.kind == "status" else STATUS_ONLY if pkg.kind == "edoc" else KIND_UNKNOWN


def edoc_or_unknown(pkg: Package) -> bool | Phrase:
    """Applicability of EDX-03: e-documents, and packages whose kind cannot be recognised."""
    return True if pkg.kind != "status" else EDOC_ONLY


def known_kind(pkg: Package) -> bool | Phrase:
    """Applicability: e-document and status packages."""
    return pkg.kind is not None or KIND_UNKNOWN


def _text(el: etree._Element | None) -> str:
    return "" if el is None else (el.text or "")


def _judged(findings: list[Finding], seen: int, ctx: CheckContext, reason: str) -> Iterable[Finding] | Judgement:
    """Findings, or not-applicable (message ``reason``) when the subject held nothing to judge."""
    if not seen and not findings:
        return not_applicable(ctx.say(reason))
    return findings


# ---------------------------------------------------------------------------------------------- loading

@checks.loader("EDX-01", "EDX-17")
def load(raw: RawSubject, ctx: CheckContext) -> Package:
    """Parse the package safely; stop at EDX-01 (not UTF-8 XML) or EDX-17 (DTD, entities, XInclude)."""
    try:
        tree = parse_untrusted(raw.data)
    except XMLProblem as problem:
        requirement = "EDX-17" if problem.kind in ("doctype", "xinclude") else "EDX-01"
        passed_ids = ("EDX-01",) if requirement == "EDX-17" and problem.kind == "xinclude" else ()
        message = t(problem.key, ctx.lang, **problem.params)  # a harness message: conformance/i18n.py
        raise Stop(requirement, [Finding(message, line=problem.line)], passed=passed_ids) from None
    return Package(raw.name, raw.data, tree, schema_for(ctx.artefact("xsd")))


# ---------------------------------------------------------------------------------------------- structure

@checks.check("EDX-02")
def root_element(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """The root is edXML in the QCVN 102:2016 namespace."""
    qname = etree.QName(pkg.root)
    if qname.localname != "edXML" or qname.namespace != EDXML_NS:
        message = ctx.say("structure.root_in_namespace", element=qname.localname, namespace=qname.namespace,
                          edxml=EDXML_NS) if qname.namespace else \
            ctx.say("structure.root_in_no_namespace", element=qname.localname, edxml=EDXML_NS)
        yield pkg.finding(pkg.root, message, value=pkg.root.tag)


def _unknown_children(pkg: Package, parent: etree._Element, allowed: Sequence[str],
                      ctx: CheckContext) -> Iterator[Finding]:
    # The XSD reports unknown qualified elements; it skips unqualified ones, so they are judged here.
    kids = pkg.named_children(parent)
    if len(kids) <= len(allowed) and kids.keys() <= set(allowed):
        return
    for name in kids.keys() - set(allowed):
        for el in kids[name]:
            if el.tag[0] != "{":
                yield pkg.finding(el, ctx.say("structure.unknown_child", element=name, expected=", ".join(allowed)))


def _count(pkg: Package, parent: etree._Element, name: str, low: int, high: int | None,
           where: str, ctx: CheckContext) -> Iterator[Finding]:
    found = pkg.children(parent, name)
    if len(found) < low:
        yield pkg.finding(parent, ctx.say("structure.missing", parent=where, element=name) if low == 1 else
                          ctx.say("structure.too_few", parent=where, count=len(found), element=name, low=low))
    elif high is not None and len(found) > high:
        yield pkg.finding(found[high], ctx.say("structure.too_many", parent=where, count=len(found), element=name,
                                               high=high))


def _text_in_elements(pkg: Package, el: etree._Element, ctx: CheckContext) -> Iterator[Finding]:
    if not is_blank(el.text):
        yield pkg.finding(el, ctx.say("structure.text_in_container", element=etree.QName(el).localname),
                          value=(el.text or "").strip()[:80])


@checks.check("EDX-03", applies=edoc_or_unknown)
def envelope_structure(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """The envelope: header, body, manifest and attachments, as the structure defines them."""
    if pkg.kind is None:
        yield pkg.finding(pkg.root, ctx.say("structure.kind_unknown"))
    yield from _count(pkg, pkg.root, "edXMLEnvelope", 1, 1, "edXML", ctx)
    yield from _count(pkg, pkg.root, "AttachmentEncoded", 0, 1, "edXML", ctx)
    if pkg.envelope is not None:
        yield from _count(pkg, pkg.envelope, "edXMLHeader", 1, 1, "edXMLEnvelope", ctx)
        yield from _count(pkg, pkg.envelope, "edXMLBody", 1, 1, "edXMLEnvelope", ctx)
        body = pkg.child(pkg.envelope, "edXMLBody")
        if pkg.header is not None and body is not None and pkg.envelope.index(body) < pkg.envelope.index(pkg.header):
            yield pkg.finding(body, ctx.say("structure.body_before_header"))
    if pkg.header is not None:
        yield from _count(pkg, pkg.header, "MessageHeader", 1, 1, "edXMLHeader", ctx)
        if pkg.kind == "edoc":
            yield from _count(pkg, pkg.header, "TraceHeaderList", 1, 1, "edXMLHeader", ctx)
    body = pkg.child(pkg.envelope, "edXMLBody")
    if body is not None:
        yield from _count(pkg, body, "edXMLManifest", 1, 1, "edXMLBody", ctx)
    references = pkg.children(pkg.manifest, "Reference")
    for reference in references:
        for name in EDXML_STRUCTURE["Reference"]:
            yield from _count(pkg, reference, name, 1, 1, "Reference", ctx)
    for attachment in pkg.attachments:
        for name in EDXML_STRUCTURE["Attachment"]:
            yield from _count(pkg, attachment, name, 1, 1, "Attachment", ctx)
    if references and pkg.child(pkg.root, "AttachmentEncoded") is None:
        yield pkg.finding(pkg.manifest if pkg.manifest is not None else pkg.root,
                          ctx.say("structure.references_without_attachments", count=len(references)))
    containers = [(pkg.root, "edXML"), (pkg.envelope, "edXMLEnvelope"), (pkg.header, "edXMLHeader"),
                  (body, "edXMLBody"), (pkg.manifest, "edXMLManifest"),
                  (pkg.child(pkg.root, "AttachmentEncoded"), "AttachmentEncoded"),
                  *((el, "Reference") for el in references), *((el, "Attachment") for el in pkg.attachments)]
    for el, name in containers:
        if el is not None:
            yield from _unknown_children(pkg, el, EDXML_STRUCTURE[name], ctx)
            yield from _text_in_elements(pkg, el, ctx)
    yield from pkg.schema_findings("envelope", ctx)


_HEADER_NAMES = frozenset(slot.name for slot in (*EDOC_HEADER, *STATUS_HEADER))


def _header_structure(pkg: Package, table: Sequence[Slot], kind: str, ctx: CheckContext) -> Iterator[Finding]:
    header = pkg.message_header
    assert header is not None
    allowed = [slot.name for slot in table]
    for slot in table:
        found = pkg.children(header, slot.name)
        if len(found) < slot.min:
            yield pkg.finding(header, ctx.say("header.missing", kind=ctx.say(f"kind.{kind}"), element=slot.name))
        elif slot.max is not None and len(found) > slot.max:
            yield pkg.finding(found[slot.max], ctx.say("header.repeated", element=slot.name, count=len(found),
                                                       kind=ctx.say(f"kind.{kind}")))
        for el in found:
            yield from _text_in_elements(pkg, el, ctx) if slot.children else ()
            for name in slot.children:
                if pkg.child(el, name) is None:
                    yield pkg.finding(el, ctx.say("structure.missing", parent=slot.name, element=name))
            if slot.children:
                yield from _unknown_children(pkg, el, (*slot.children, *(("Appendixes",)
                                                       if slot.name == "OtherInfo" else ())), ctx)
    kids = pkg.named_children(header)
    for local in kids.keys() - set(allowed):
        for el in kids[local]:
            other = "edoc" if kind == "status" else "status"
            yield pkg.finding(el, ctx.say("header.foreign_other_kind", element=local, kind=ctx.say(f"kind.{kind}"),
                                          other=ctx.say(f"kind.{other}")) if local in _HEADER_NAMES else
                              ctx.say("header.foreign", element=local, kind=ctx.say(f"kind.{kind}")))
    yield from _text_in_elements(pkg, header, ctx)
    yield from pkg.schema_findings("header", ctx)


@checks.check("EDX-04", applies=edoc)
def edoc_header_elements(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """Every e-document MessageHeader element is present, with its listed sub-elements."""
    yield from _header_structure(pkg, EDOC_HEADER, "edoc", ctx)


@checks.check("STS-01", applies=status)
def status_header_structure(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """The status MessageHeader structure, with no body and no TraceHeaderList."""
    yield from _header_structure(pkg, STATUS_HEADER, "status", ctx)
    for name in ("edXMLBody",):
        for el in pkg.children(pkg.envelope, name):
            yield pkg.finding(el, ctx.say("status.no_body"))
    for el in pkg.children(pkg.header, "TraceHeaderList"):
        yield pkg.finding(el, ctx.say("status.no_trace_list"))


# ---------------------------------------------------------------------------------------------- agencies

@checks.check("EDX-05", applies=edoc)
def sender_and_recipients(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """From/OrganId is filled, there is at least one To, and no two To share an OrganId."""
    header = pkg.message_header
    sender = pkg.walk(header, "From", "OrganId")
    if sender is not None and is_blank(sender.text):
        yield pkg.finding(sender, ctx.say("value.empty", field="From/OrganId"))
    recipients = pkg.children(header, "To")
    if not recipients:
        yield pkg.finding(header, ctx.say("recipients.none"))
    seen: dict[str, etree._Element] = {}
    for to in recipients:
        organ = pkg.child(to, "OrganId")
        value = _text(organ).strip()
        if organ is None or not value:
            continue
        if value in seen:
            yield pkg.finding(organ, ctx.say("recipients.repeated", value=value, line=seen[value].sourceline),
                              value=value)
        else:
            seen[value] = organ


@cache
def _level1_names(path: Path) -> dict[str, dict[str, str]]:
    data = yaml.safe_load(path.read_text("utf-8"))
    return {c["letter"]: {"en": c["en"], "vi": c["vi"]} for c in data["codes"]}


@checks.check("EDX-06")
def organ_id_syntax_check(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Every OrganId follows the legacy QCVN 102 or the QĐ 20/2020 syntax; evidence names which."""
    names = _level1_names(ctx.artefact("agency_codes"))
    findings: list[Finding] = []
    seen = []
    for el in pkg.organ_ids():
        value = _text(el)
        syntax = organ_id_syntax(value)
        if syntax is None:
            findings.append(pkg.finding(el, ctx.say("organ_id.syntax", value=value), value=value))
            continue
        letter = value[-3] if syntax == "legacy" else value[0]
        body = names.get(letter, {}).get(ctx.lang) or names.get(letter, {}).get("en")
        seen.append({"value": value, "syntax": "QCVN 102:2016 (legacy)" if syntax == "legacy" else "QĐ 20/2020",
                     "level1": f"{letter} ({body or ctx.say('organ_id.level1_unknown')})"})
    if findings:
        return findings
    if not seen:
        return not_applicable(ctx.say("na.no_organ_id"))
    return passed(ctx.say("organ_id.all_known", count=len(seen)), organ_ids=seen)


# ---------------------------------------------------------------------------------------------- values

@checks.check("EDX-07", applies=edoc)
def code_fields(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """CodeNumber is filled and ≤11 characters; CodeNotation is filled and ≤30."""
    findings: list[Finding] = []
    seen = 0
    for name, limit in (("CodeNumber", 11), ("CodeNotation", 30)):
        el = pkg.header_value("Code", name)
        if el is None:
            continue
        seen += 1
        value = _text(el)
        if is_blank(value):
            findings.append(pkg.finding(el, ctx.say("value.empty", field=name)))
        elif char_length(value) > limit:
            findings.append(pkg.finding(el, ctx.say("value.too_long", field=name, count=char_length(value),
                                                    limit=limit), value=value))
    return _judged(findings, seen, ctx, "na.no_code")


@checks.check("EDX-08", applies=edoc)
def promulgation_dates(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """PromulgationDate is a real yyyy/MM/dd date, not in the future; DueDate is empty or a real date."""
    findings: list[Finding] = []
    seen = 0
    el = pkg.header_value("PromulgationInfo", "PromulgationDate")
    if el is not None:
        seen += 1
        value = _text(el)
        day, problem = parse_date(value)
        if day is None:
            findings.append(pkg.finding(el, ctx.say("value.problem", field="PromulgationDate", value=value,
                                                    problem=problem), value=value))
        elif day > ctx.clock.today():
            findings.append(pkg.finding(el, ctx.say("date.future", value=value,
                                                    today=f"{ctx.clock.today():%Y/%m/%d}"), value=value))
    due = pkg.header_value("DueDate")
    if due is not None:
        seen += 1
        value = _text(due)
        if not is_blank(value):
            day, problem = parse_date(value)
            if day is None:
                findings.append(pkg.finding(due, ctx.say("value.problem", field="DueDate", value=value,
                                                         problem=problem), value=value))
    return _judged(findings, seen, ctx, "na.no_dates")


_LENGTHS = (
    (("Subject",), 500, True),
    (("Content",), 500, False),
    (("DocumentType", "TypeName"), 100, False),
    (("SignerInfo", "Position"), 100, False),
    (("SignerInfo", "FullName"), 50, False),
)


@checks.check("EDX-09", applies=edoc)
def field_lengths(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Subject is filled and ≤500; Content ≤500; TypeName ≤100; OrganName ≤200; Position ≤100; FullName ≤50."""
    findings: list[Finding] = []
    targets: list[tuple[etree._Element, str, int, bool]] = []
    for names, limit, required in _LENGTHS:
        el = pkg.header_value(*names)
        if el is not None:
            targets.append((el, "/".join(names), limit, required))
    for holder in ("From", "To"):
        for party in pkg.children(pkg.message_header, holder):
            el = pkg.child(party, "OrganName")
            if el is not None:
                targets.append((el, f"{holder}/OrganName", 200, False))
    for el, label, limit, required in targets:
        value = _text(el)
        if required and is_blank(value):
            findings.append(pkg.finding(el, ctx.say("value.empty", field=label)))
        elif char_length(value) > limit:
            findings.append(pkg.finding(el, ctx.say("value.too_long", field=label, count=char_length(value),
                                                    limit=limit), value=value[:120]))
    return _judged(findings, len(targets), ctx, "na.no_length_fields")


@checks.check("EDX-10", applies=edoc)
def other_info_values(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Priority is 0-4; the amounts are non-negative integers (PageAmount ≤999); Direction is a boolean."""
    other = pkg.header_value("OtherInfo")
    if other is None:
        return not_applicable(ctx.say("na.no_other_info"))
    findings: list[Finding] = []
    priority = pkg.child(other, "Priority")
    if priority is not None:
        value = _text(priority).strip()
        if value not in PRIORITIES:
            findings.append(pkg.finding(priority, ctx.say("priority.invalid", value=value), value=value))
    for name in ("PromulgationAmount", "PageAmount"):
        el = pkg.child(other, name)
        value = _text(el).strip()
        if el is None or not value:
            continue
        problem = amount_problem(name, value)
        if problem:
            findings.append(pkg.finding(el, ctx.say(problem.key, **problem.params), value=value))
    direction = pkg.child(other, "Direction")
    value = _text(direction).strip()
    if direction is not None and value and value not in ("true", "false"):
        findings.append(pkg.finding(direction, ctx.say("direction.invalid", value=value), value=value))
    return findings


@checks.check("EDX-11", applies=edoc)
def document_type(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """DocumentType/Type is 1 or 2."""
    el = pkg.header_value("DocumentType", "Type")
    if el is None:
        return not_applicable(ctx.say("na.no_document_type"))
    value = _text(el).strip()
    if value not in DOCUMENT_TYPES:
        return [pkg.finding(el, ctx.say("document_type.invalid", value=value), value=value)]
    return []


@checks.check("EDX-12")
def document_ids(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Every DocumentId is OrganId,yyyy/MM/dd,Number/Notation with a real date."""
    findings: list[Finding] = []
    seen = 0
    for el in pkg.document_ids():
        seen += 1
        value = _text(el)
        if is_blank(value):
            findings.append(pkg.finding(el, ctx.say("value.empty", field="DocumentId")))
            continue
        _, problem = parse_document_id(value)
        if problem:
            findings.append(pkg.finding(el, ctx.say("value.problem", field="DocumentId", value=value.strip(),
                                                    problem=problem), value=value))
    return _judged(findings, seen, ctx, "na.no_document_id")


@checks.check("EDX-13", applies=edoc)
def document_id_agrees(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """The header DocumentId agrees with From/OrganId, PromulgationDate and Code."""
    el = pkg.header_value("DocumentId")
    if el is None:
        return not_applicable(ctx.say("na.no_header_document_id"))
    value = _text(el).strip()
    doc_id, problem = parse_document_id(value)
    if doc_id is None:
        # EDX-12 already fails a malformed DocumentId; agreement can only be judged on a well-formed one.
        return not_applicable(ctx.say("na.malformed_header_document_id", value=value, problem=problem))
    problems = disagreements(
        doc_id, _text(pkg.header_value("From", "OrganId")).strip(),
        _text(pkg.header_value("PromulgationInfo", "PromulgationDate")),
        _text(pkg.header_value("Code", "CodeNumber")).strip(), _text(pkg.header_value("Code", "CodeNotation")).strip())
    return [pkg.finding(el, ctx.say(problem.key, **problem.params), value=value) for problem in problems]


@checks.check("EDX-14", applies=edoc)
def trace_headers(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Every TraceHeader has an OrganId and a real yyyy/MM/dd HH:mm:ss Timestamp."""
    traces = pkg.children(pkg.trace_list, "TraceHeader")
    findings: list[Finding] = []
    for trace in traces:
        organ = pkg.child(trace, "OrganId")
        if organ is None or is_blank(organ.text):
            findings.append(pkg.finding(trace, ctx.say("structure.absent", parent="TraceHeader", element="OrganId")
                                        if organ is None else ctx.say("value.empty", field="TraceHeader/OrganId")))
        stamp = pkg.child(trace, "Timestamp")
        if stamp is None:
            findings.append(pkg.finding(trace, ctx.say("structure.absent", parent="TraceHeader", element="Timestamp")))
        else:
            moment, problem = parse_timestamp(_text(stamp))
            if moment is None:
                findings.append(pkg.finding(stamp, ctx.say("value.problem", field="Timestamp", value=_text(stamp),
                                                           problem=problem), value=_text(stamp)))
    findings += pkg.schema_findings("trace", ctx)
    return _judged(findings, len(traces), ctx, "na.no_trace_header")


_BUSINESS_CHILDREN = ("DocumentId", "BussinessDocType", "BussinessDocReason", "Paper", "StaffInfo")


@checks.check("EDX-15", applies=edoc)
def business_document(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """BussinessDocType is 0-3; type 2 carries BussinessDocumentInfo; type 3 a ReplacementInfoList."""
    business = pkg.business
    if business is None:
        return not_applicable(ctx.say("na.no_business"))
    findings = [pkg.finding(business, ctx.say("structure.missing", parent="Bussiness", element=name))
                for name in _BUSINESS_CHILDREN if pkg.child(business, name) is None]
    doc_type = pkg.child(business, "BussinessDocType")
    value = _text(doc_type).strip()
    if doc_type is not None and value not in BUSINESS_TYPES:
        findings.append(pkg.finding(doc_type, ctx.say("business.type_invalid", value=value), value=value))
    if value == "2" and pkg.child(business, "BussinessDocumentInfo") is None:
        findings.append(pkg.finding(business, ctx.say("business.update_without_info")))
    if value == "3":
        infos = pkg.replacement_infos()
        if not infos:
            findings.append(pkg.finding(business, ctx.say("business.replacement_without_list")))
        for info in infos:
            if is_blank(_text(pkg.child(info, "DocumentId"))):
                findings.append(pkg.finding(info, ctx.say("business.replacement_no_document_id")))
            organs = pkg.children(pkg.child(info, "OrganIdList"), "OrganId")
            if not organs:
                findings.append(pkg.finding(info, ctx.say("business.replacement_no_organ_ids")))
    findings += pkg.schema_findings("business", ctx)
    return findings


def _content_id(el: etree._Element | None) -> str:
    return content_id(None if el is None else el.text)


@checks.check("EDX-16", applies=edoc)
def attachments_match(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Manifest references and attachments match one to one; every attachment is valid base64."""
    references = pkg.children(pkg.manifest, "Reference")
    attachments = pkg.attachments
    if not references and not attachments:
        return not_applicable(ctx.say("na.no_attachments"))
    findings: list[Finding] = []
    sides = {}
    for side, items in (("reference", references), ("attachment", attachments)):
        ids = Counter(_content_id(pkg.child(el, "ContentId")) for el in items)
        for el in items:
            cid = _content_id(pkg.child(el, "ContentId"))
            if not cid:
                findings.append(pkg.finding(el, ctx.say("attachment.no_content_id",
                                                        side=ctx.say(f"attachment.side_{side}"))))
            elif ids[cid] > 1:
                findings.append(pkg.finding(el, ctx.say("attachment.duplicate_content_id", cid=cid, count=ids[cid],
                                                        side=ctx.say(f"attachment.side_{side}")), value=cid))
                ids[cid] = 1  # report a duplicate once
        sides[side] = {cid for cid in ids if cid}
    for cid in sorted(sides["reference"] - sides["attachment"]):
        findings.append(Finding(ctx.say("attachment.unmatched_reference", cid=cid), value=cid,
                                path=pkg.path(pkg.manifest) if pkg.manifest is not None else None))
    for el in attachments:
        cid = _content_id(pkg.child(el, "ContentId"))
        if cid and cid not in sides["reference"]:
            findings.append(pkg.finding(el, ctx.say("attachment.unreferenced", cid=cid), value=cid))
        encoded = pkg.child(el, "ContentTransferEncoded")
        if encoded is not None:
            problem = base64_problem(_text(encoded))
            if problem:
                findings.append(pkg.finding(encoded, ctx.say("attachment.encoding", cid=cid, problem=problem)))
    return findings


# ---------------------------------------------------------------------------------------------- security

@checks.check("EDX-18", applies=lambda pkg: True)
def signature(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """A present signature verifies over the whole package and chains to the trust anchors."""
    return judge_signature(pkg, ctx, claimed="edxml.signature" in ctx.claims)


@checks.check("EDX-19")
def signature_algorithms(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Signature and digest algorithms are not SHA-1."""
    signatures = pkg.signatures()
    if not signatures:
        return not_applicable(ctx.say("na.no_xmldsig"))
    return list(weak_algorithms(pkg, signatures, ctx))


@checks.check("EDX-20")
def qualified_elements(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """Elements below the root are namespace-qualified (some hubs reject unqualified children)."""
    reported = 0
    for el in pkg.root.iterdescendants("{}*"):  # elements in no namespace
        parent = el.getparent()
        # Report the top of an unqualified subtree once, not every descendant.
        if parent is not None and (parent is pkg.root or parent.tag[0] == "{"):
            reported += 1
            if reported <= 20:
                yield pkg.finding(el, ctx.say("structure.no_namespace", element=el.tag, namespace=EDXML_NS))


@checks.check("EDX-21", applies=edoc)
def email_addresses(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Filled e-mail fields are syntactically valid addresses."""
    fields = [*(pkg.child(p, "Email") for p in (*pkg.children(pkg.message_header, "From"),
                                                *pkg.children(pkg.message_header, "To"))),
              pkg.walk(pkg.business, "StaffInfo", "Email")]
    present = [el for el in fields if el is not None and not is_blank(el.text)]
    findings = []
    for el in present:
        value = _text(el).strip()
        problem = email_problem(value)
        if problem:
            # email-validator's own explanation, in English: it is a parameter, not a catalogue message.
            findings.append(pkg.finding(el, ctx.say("email.invalid", value=value, problem=problem), value=value))
    return _judged(findings, len(present), ctx, "na.no_email")


@checks.check("EDX-22", applies=known_kind)
def header_order(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """MessageHeader children appear in the order of the tables."""
    table = EDOC_HEADER if pkg.kind == "edoc" else STATUS_HEADER
    rank = {slot.name: i for i, slot in enumerate(table)}
    highest = -1
    previous = ""
    assert pkg.message_header is not None
    for el in pkg.message_header.iterchildren("*"):
        qname = etree.QName(el)
        if qname.namespace not in (None, EDXML_NS) or qname.localname not in rank:
            continue
        position = rank[qname.localname]
        if position < highest:
            yield pkg.finding(el, ctx.say("structure.out_of_order", element=qname.localname, previous=previous))
            return
        highest, previous = position, qname.localname


# ---------------------------------------------------------------------------------------------- status

@checks.check("STS-02", applies=status)
def status_code(pkg: Package, ctx: CheckContext) -> Iterator[Finding]:
    """StatusCode is one of 01-06, 13, 15, 16, written with two digits."""
    for el in pkg.children(pkg.message_header, "StatusCode"):
        value = _text(el).strip()
        if value not in STATUS_CODES:
            yield pkg.finding(el, ctx.say("status.code_invalid", value=value, codes=", ".join(STATUS_CODES)),
                              value=value)


@checks.check("STS-03", applies=status)
def status_dates(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """Timestamp is yyyy/MM/dd HH:mm:ss; ResponseFor/PromulgationDate is a real yyyy/MM/dd date."""
    findings: list[Finding] = []
    seen = 0
    stamp = pkg.header_value("Timestamp")
    if stamp is not None:
        seen += 1
        moment, problem = parse_timestamp(_text(stamp))
        if moment is None:
            findings.append(pkg.finding(stamp, ctx.say("value.problem", field="Timestamp", value=_text(stamp),
                                                       problem=problem), value=_text(stamp)))
    for response in pkg.response_fors():
        el = pkg.child(response, "PromulgationDate")
        if el is not None:
            seen += 1
            day, problem = parse_date(_text(el))
            if day is None:
                findings.append(pkg.finding(el, ctx.say("value.problem", field="ResponseFor/PromulgationDate",
                                                        value=_text(el), problem=problem), value=_text(el)))
    return _judged(findings, seen, ctx, "na.no_status_dates")


@checks.check("STS-04", applies=status)
def status_response_for(pkg: Package, ctx: CheckContext) -> Iterable[Finding] | Judgement:
    """ResponseFor has OrganId, Code and DocumentId filled, and the DocumentId is well-formed."""
    responses = pkg.response_fors()
    findings: list[Finding] = []
    for response in responses:
        for name in ("OrganId", "Code", "DocumentId"):
            el = pkg.child(response, name)
            if el is not None and is_blank(el.text):
                findings.append(pkg.finding(el, ctx.say("value.empty", field=f"ResponseFor/{name}")))
        doc = pkg.child(response, "DocumentId")
        if doc is not None and not is_blank(doc.text):
            _, problem = parse_document_id(_text(doc))
            if problem:
                findings.append(pkg.finding(doc, ctx.say("value.problem", field="ResponseFor/DocumentId",
                                                         value=_text(doc).strip(), problem=problem),
                                            value=_text(doc)))
    return _judged(findings, len(responses), ctx, "na.no_response_for")


__all__ = ["DSIG_NS", "ORGANIZATION", "checks"]
