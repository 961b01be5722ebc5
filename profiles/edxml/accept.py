"""The fast acceptor: proves, for a package in canonical form, that every check passes or does not apply.

Most packages in the field are written in table order, fully qualified. For those, a strict XSD of
that canonical form (checked in C by libxml2) settles the whole structure, and the values are read by
position and judged with the very functions the checks use. Anything unusual (another order,
unqualified elements, a signature, any doubtful value) returns None, and the checks judge the package
as usual: the acceptor never fails a package and never writes a finding. tests/edxml/test_accept.py
proves that wherever it accepts, it agrees with the checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from conformance.model import Outcome
from conformance.registry import CheckContext

from .package import DSIG_NS, EDOC_HEADER, EDXML_NS, ORGANIZATION, Package, schema_for
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

__all__ = ["accept"]

P, NA = Outcome.PASS, Outcome.NOT_APPLICABLE
_ED = f"{{{EDXML_NS}}}"
_DECLINE = ("{}*", f"{{{DSIG_NS}}}Signature", f"{_ED}Signature", etree.Comment, etree.ProcessingInstruction)
_EDOC_ONLY = ("EDX-03", "EDX-04", "EDX-05", "EDX-07", "EDX-08", "EDX-09", "EDX-10", "EDX-11", "EDX-13",
              "EDX-14", "EDX-15", "EDX-16", "EDX-21")
_STATUS_ONLY = ("STS-01", "STS-02", "STS-03", "STS-04")
_ALWAYS = ("EDX-02", "EDX-06", "EDX-12", "EDX-20", "EDX-22")
_TO, _BUSSINESS = f"{_ED}To", f"{_ED}Bussiness"
_ENVELOPE, _HEADER_BLOCK, _MESSAGE_HEADER = f"{_ED}edXMLEnvelope", f"{_ED}edXMLHeader", f"{_ED}MessageHeader"
_STATUS_CODE = f"{_ED}StatusCode"
_BUSINESS_INFO, _REPLACEMENTS = f"{_ED}BussinessDocumentInfo", f"{_ED}ReplacementInfoList"


def _text(el: etree._Element) -> str:
    return el.text or ""


def _at(table: tuple[str, ...], name: str) -> int:
    """Where ``name`` stands in a canonical sequence (the tables of package.py, which the XSDs follow)."""
    return table.index(name)


_ORG_ID, _ORG_NAME, _ORG_EMAIL = (_at(ORGANIZATION, n) for n in ("OrganId", "OrganName", "Email"))
_RESPONSE = ("OrganId", "Code", "PromulgationDate", "DocumentId")
_RF_ORGAN, _RF_CODE, _RF_DATE, _RF_DOC = range(4)
_OTHER = ("Priority", "SphereOfPromulgation", "TyperNotation", "PromulgationAmount", "PageAmount", "Direction")
_BUSINESS = ("DocumentId", "BussinessDocType", "BussinessDocReason", "Paper", "StaffInfo")
_BUSINESS_STAFF = ("Department", "Staff", "Email", "Mobile")
_STATUS_STAFF = ("Department", "Staff", "Mobile", "Email")
# After From and the To run, the e-document header holds these, in this order, then ResponseFor*.
_AFTER_TO = tuple(slot.name for slot in EDOC_HEADER[2:-1])


def _organ_ids_ok(values: Iterable[str]) -> bool:
    return all(organ_id_syntax(v) is not None for v in values)


def _document_ids_ok(values: Iterable[str]) -> bool:
    return all(not is_blank(v) and parse_document_id(v)[1] is None for v in values)


def _timestamp_ok(value: str) -> bool:
    return parse_timestamp(value)[1] is None


def _date_ok(value: str) -> bool:
    return parse_date(value)[1] is None


def accept(pkg: Package, ctx: CheckContext) -> dict[str, Outcome] | None:
    """Every check's outcome when the package is canonical and clean; None when the checks must judge it."""
    root = pkg.root
    if next(root.iter(*_DECLINE), None) is not None:
        # Unqualified elements (EDX-20) or a signature (EDX-18/19) are for the checks to judge. Without
        # comments and processing instructions, every child is an element, so children index directly.
        return None
    if "edxml.signature" in ctx.claims:
        return None
    # No comments or PIs: children are elements, so the header is root[0][0][0] if the layout is canonical.
    if not len(root) or root[0].tag != _ENVELOPE or not len(root[0]) or root[0][0].tag != _HEADER_BLOCK:
        return None
    header = root[0][0][0] if len(root[0][0]) else None
    if header is None or header.tag != _MESSAGE_HEADER:
        return None
    status = len(header) > 3 and header[3].tag == _STATUS_CODE  # From, ResponseFor, StaffInfo, StatusCode
    schema = schema_for(ctx.artefact("canonical_status" if status else "canonical_edoc"))
    if not schema.validate(pkg.tree):
        return None
    # From here on the canonical XSD guarantees every sequence, so values are read by position.
    outcomes = _status(header) if status else _edoc(pkg, header, ctx)
    if outcomes is None:
        return None
    outcomes.update({rid: P for rid in _ALWAYS})
    outcomes.update({"EDX-18": NA, "EDX-19": NA})
    return outcomes


def _edoc(pkg: Package, header: etree._Element, ctx: CheckContext) -> dict[str, Outcome] | None:
    kids = list(header)
    first_after = 1
    while kids[first_after].tag == _TO:
        first_after += 1
    h = dict(zip(_AFTER_TO, kids[first_after:first_after + len(_AFTER_TO)], strict=True))
    parties = kids[:first_after]  # From, then every To
    responses = kids[first_after + len(_AFTER_TO):]
    code, promulgation = h["Code"], h["PromulgationInfo"]
    doc_type, signer, other = h["DocumentType"], h["SignerInfo"], h["OtherInfo"]
    envelope_header = header.getparent()
    assert envelope_header is not None
    trace_items = list(envelope_header[1])  # MessageHeader, TraceHeaderList
    business = trace_items.pop() if trace_items and trace_items[-1].tag == _BUSSINESS else None
    traces = trace_items
    extras = {} if business is None else {el.tag: el for el in business[len(_BUSINESS):]}
    replacements = list(extras[_REPLACEMENTS]) if _REPLACEMENTS in extras else []

    # EDX-05: sender filled, recipients distinct
    sender_id = _text(parties[0][_ORG_ID])
    recipients = [r for r in (_text(p[_ORG_ID]).strip() for p in parties[1:]) if r]
    if is_blank(sender_id) or len(set(recipients)) != len(recipients):
        return None
    # EDX-06 and EDX-12: every agency code and DocumentId
    organ_ids = [_text(p[_ORG_ID]) for p in parties] + [_text(t[0]) for t in traces]
    organ_ids += [_text(r[_RF_ORGAN]) for r in responses]
    organ_ids += [_text(el) for r in replacements for el in r[1]]
    doc_id, _ = parse_document_id(_text(h["DocumentId"]))
    document_ids = [_text(r[_RF_DOC]) for r in responses]
    document_ids += [_text(r[0]) for r in replacements]
    if business is not None:
        document_ids.append(_text(business[_BUSINESS.index("DocumentId")]))
    if doc_id is None or not _organ_ids_ok(organ_ids) or not _document_ids_ok(document_ids):
        return None
    # EDX-07, EDX-09: filled fields and lengths
    number, notation, subject = _text(code[0]), _text(code[1]), _text(h["Subject"])
    if is_blank(number) or is_blank(notation) or is_blank(subject):
        return None
    limited = [(number, 11), (notation, 30), (subject, 500), (_text(h["Content"]), 500), (_text(doc_type[2]), 100),
               (_text(signer[1]), 100), (_text(signer[2]), 50), *((_text(p[_ORG_NAME]), 200) for p in parties)]
    for value, limit in limited:
        if char_length(value) > limit:  # NFC may lengthen rare characters: no raw-length shortcut
            return None
    # EDX-08: promulgation date real and not in the future; due date empty or real
    promulgated = _text(promulgation[1])
    day, _ = parse_date(promulgated)
    due = _text(h["DueDate"])
    if day is None or day > ctx.clock.today() or not (is_blank(due) or _date_ok(due)):
        return None
    # EDX-10, EDX-11
    values = {name: _text(el).strip() for name, el in zip(_OTHER, other, strict=False)}
    if (values["Priority"] not in PRIORITIES or values["Direction"] not in ("", "true", "false")
            or any(values[n] and amount_problem(n, values[n]) for n in ("PromulgationAmount", "PageAmount"))
            or _text(doc_type[0]).strip() not in DOCUMENT_TYPES):
        return None
    # EDX-13: the header DocumentId agrees with the header
    if disagreements(doc_id, sender_id.strip(), promulgated, number.strip(), notation.strip()):
        return None
    # EDX-14: trace hops
    if not all(not is_blank(_text(t[0])) and _timestamp_ok(_text(t[1])) for t in traces):
        return None
    # EDX-15: business document
    if business is not None:
        kind = _text(business[1]).strip()
        if kind not in BUSINESS_TYPES or (kind == "2" and _BUSINESS_INFO not in extras):
            return None
        if kind == "3" and not (replacements and all(not is_blank(_text(r[0])) and len(r[1])
                                                     for r in replacements)):
            return None
    # EDX-16: references and attachments match one to one, and every attachment is valid base64
    root = pkg.root  # edXMLEnvelope(edXMLHeader, edXMLBody(edXMLManifest)), then AttachmentEncoded?
    ref_ids = [content_id(_text(el[0])) for el in root[0][1][0]]
    attachments = list(root[1]) if len(root) > 1 else []
    att_ids = [content_id(_text(a[0])) for a in attachments]
    if (not all(ref_ids) or not all(att_ids) or len(set(ref_ids)) != len(ref_ids)
            or len(set(att_ids)) != len(att_ids) or set(ref_ids) != set(att_ids)):
        return None
    if any(base64_problem(_text(a[4])) for a in attachments):
        return None
    # EDX-21: filled e-mail addresses
    emails = [_text(p[_ORG_EMAIL]) for p in parties]
    if business is not None:
        emails.append(_text(business[_BUSINESS.index("StaffInfo")][_BUSINESS_STAFF.index("Email")]))
    filled = [e.strip() for e in emails if not is_blank(e)]
    if any(email_problem(e) for e in filled):
        return None
    outcomes = {rid: P for rid in _EDOC_ONLY}
    outcomes.update({rid: NA for rid in _STATUS_ONLY})
    outcomes["EDX-14"] = P if traces else NA
    outcomes["EDX-15"] = P if business is not None else NA
    outcomes["EDX-16"] = P if ref_ids or att_ids else NA
    outcomes["EDX-21"] = P if filled else NA
    return outcomes


def _status(header: etree._Element) -> dict[str, Outcome] | None:
    sender, response, _, status_code, _, timestamp = header
    sender_ids, response_items = sender, response
    if not _organ_ids_ok([_text(sender_ids[_ORG_ID]), _text(response_items[_RF_ORGAN])]):
        return None  # EDX-06
    if (not _document_ids_ok([_text(response_items[_RF_DOC])]) or is_blank(_text(response_items[_RF_ORGAN]))
            or is_blank(_text(response_items[_RF_CODE]))):
        return None  # EDX-12, STS-04
    if _text(status_code).strip() not in STATUS_CODES:
        return None  # STS-02
    if not _timestamp_ok(_text(timestamp)) or not _date_ok(_text(response_items[_RF_DATE])):
        return None  # STS-03
    outcomes = {rid: NA for rid in _EDOC_ONLY}
    outcomes.update({rid: P for rid in _STATUS_ONLY})
    return outcomes
