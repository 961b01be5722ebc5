"""A parsed edXML package: the subject every ``edxml`` check reads, and the structure tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lxml import etree

from conformance.model import Finding
from conformance.registry import CheckContext
from conformance.xml import element_path, load_schema

__all__ = [
    "DSIG_NS",
    "EDOC_HEADER",
    "EDXML_NS",
    "ORGANIZATION",
    "PREFIXES",
    "STATUS_HEADER",
    "Package",
    "Slot",
    "schema_for",
]

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
PREFIXES = {EDXML_NS: "ed", DSIG_NS: "ds"}

ORGANIZATION = ("OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax", "Website")


@dataclass(frozen=True, slots=True)
class Slot:
    """One element of a MessageHeader table: its name, required sub-elements and how often it occurs."""

    name: str
    children: tuple[str, ...] = ()
    min: int = 1
    max: int | None = 1


EDOC_HEADER = (
    Slot("From", ORGANIZATION),
    Slot("To", ORGANIZATION, 1, None),
    Slot("DocumentId"),
    Slot("Code", ("CodeNumber", "CodeNotation")),
    Slot("PromulgationInfo", ("Place", "PromulgationDate")),
    Slot("DocumentType", ("Type", "TypeDetail", "TypeName")),
    Slot("Subject"),
    Slot("Content"),
    Slot("SignerInfo", ("Competence", "Position", "FullName")),
    Slot("DueDate"),
    Slot("OtherInfo", ("Priority", "SphereOfPromulgation", "TyperNotation", "PromulgationAmount", "PageAmount",
                       "Direction")),
    Slot("SteeringType"),
    Slot("ToPlaces"),
    Slot("ResponseFor", ("OrganId", "Code", "PromulgationDate", "DocumentId"), 0, None),
)
STATUS_HEADER = (
    Slot("From", ORGANIZATION),
    Slot("ResponseFor", ("OrganId", "Code", "PromulgationDate", "DocumentId")),
    Slot("StaffInfo", ("Department", "Staff", "Mobile", "Email")),
    Slot("StatusCode"),
    Slot("Description"),
    Slot("Timestamp"),
)

_schemas: dict[Path, etree.XMLSchema] = {}


def schema_for(path: Path) -> etree.XMLSchema:
    """The profile's XSD, compiled once per process."""
    schema = _schemas.get(path)
    if schema is None:
        schema = _schemas[path] = load_schema(path)
    return schema


_EDXML_OPEN = f"{{{EDXML_NS}}}"
_NONE: list[etree._Element] = []


def _tags(name: str) -> tuple[str, str]:
    # Unqualified elements count as their edXML counterparts; EDX-20 warns about them.
    return f"{_EDXML_OPEN}{name}", name


_LOCAL_NAMES: dict[str, str | None] = {}
_EMPTY: dict[str, list[etree._Element]] = {}


def _local_name(tag: str) -> str | None:
    """The local name of an edXML-namespace or unqualified tag; None for other namespaces."""
    local = tag if tag[0] != "{" else tag[len(_EDXML_OPEN):] if tag.startswith(_EDXML_OPEN) else None
    if len(_LOCAL_NAMES) < 10_000:  # hostile input may invent any number of tags: keep the cache bounded
        _LOCAL_NAMES[tag] = local
    return local


def index_children(root: etree._Element) -> dict[etree._Element, dict[str, list[etree._Element]]]:
    """For every element, its edXML (or unqualified) children by local name, in one walk of the tree."""
    kids: dict[etree._Element, dict[str, list[etree._Element]]] = {}
    names = _LOCAL_NAMES
    for el in root.iterdescendants("*"):
        tag = el.tag
        local = names[tag] if tag in names else _local_name(tag)
        if local is None:
            continue
        parent = el.getparent()
        found = kids.get(parent)
        if found is None:
            kids[parent] = {local: [el]}
        elif local in found:
            found[local].append(el)
        else:
            found[local] = [el]
    return kids


@dataclass
class Package:
    """One edXML package, parsed by the hardened parser, with lookups the checks share."""

    name: str
    data: bytes
    tree: etree._ElementTree
    xsd: etree.XMLSchema
    _paths: dict[etree._Element, str] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> etree._Element:
        """The document element."""
        return self.tree.getroot()

    @cached_property
    def _kids(self) -> dict[etree._Element, dict[str, list[etree._Element]]]:
        return index_children(self.root)

    def named_children(self, parent: etree._Element) -> dict[str, list[etree._Element]]:
        """The edXML (or unqualified) children of ``parent`` by local name."""
        return self._kids.get(parent, _EMPTY)

    def children(self, parent: etree._Element | None, name: str) -> list[etree._Element]:
        """The children of ``parent`` called ``name`` (edXML namespace or unqualified)."""
        return _NONE if parent is None else self._kids.get(parent, _EMPTY).get(name, _NONE)

    def child(self, parent: etree._Element | None, name: str) -> etree._Element | None:
        """The first child of ``parent`` called ``name``, or None."""
        found = None if parent is None else self._kids.get(parent, _EMPTY).get(name)
        return found[0] if found else None

    def walk(self, parent: etree._Element | None, *names: str) -> etree._Element | None:
        """The element reached by following first children called ``names``, or None."""
        kids = self._kids
        for name in names:
            found = None if parent is None else kids.get(parent, _EMPTY).get(name)
            parent = found[0] if found else None
        return parent

    def path(self, el: etree._Element) -> str:
        """An XPath to ``el`` for evidence (prefix ``ed`` is the edXML namespace, ``ds`` XMLDSig)."""
        found = self._paths.get(el)
        if found is None:
            found = self._paths[el] = element_path(el, PREFIXES)
        return found

    def finding(self, el: etree._Element, message: str, value: str | None = None) -> Finding:
        """A finding located at ``el``."""
        return Finding(message, path=self.path(el), line=el.sourceline, value=value)

    @cached_property
    def envelope(self) -> etree._Element | None:
        """``edXMLEnvelope``."""
        return self.child(self.root, "edXMLEnvelope")

    @cached_property
    def header(self) -> etree._Element | None:
        """``edXMLEnvelope/edXMLHeader``."""
        return self.child(self.envelope, "edXMLHeader")

    @cached_property
    def message_header(self) -> etree._Element | None:
        """``edXMLHeader/MessageHeader``."""
        return self.child(self.header, "MessageHeader")

    @cached_property
    def kind(self) -> str | None:
        """``status`` when the MessageHeader has a StatusCode, ``edoc`` otherwise, None without a header."""
        if self.message_header is None:
            return None
        return "status" if self.child(self.message_header, "StatusCode") is not None else "edoc"

    @cached_property
    def trace_list(self) -> etree._Element | None:
        """``edXMLHeader/TraceHeaderList``."""
        return self.child(self.header, "TraceHeaderList")

    @cached_property
    def business(self) -> etree._Element | None:
        """``TraceHeaderList/Bussiness``."""
        return self.child(self.trace_list, "Bussiness")

    @cached_property
    def manifest(self) -> etree._Element | None:
        """``edXMLBody/edXMLManifest``."""
        return self.walk(self.envelope, "edXMLBody", "edXMLManifest")

    @cached_property
    def attachments(self) -> list[etree._Element]:
        """``AttachmentEncoded/Attachment`` elements."""
        return self.children(self.child(self.root, "AttachmentEncoded"), "Attachment")

    def header_value(self, *names: str) -> etree._Element | None:
        """The MessageHeader descendant reached through ``names``."""
        return self.walk(self.message_header, *names)

    def response_fors(self) -> list[etree._Element]:
        """Every ``ResponseFor`` of the header."""
        return self.children(self.message_header, "ResponseFor")

    def replacement_infos(self) -> list[etree._Element]:
        """Every ``Bussiness/ReplacementInfoList/ReplacementInfo``."""
        return self.children(self.child(self.business, "ReplacementInfoList"), "ReplacementInfo")

    def organ_ids(self) -> Iterator[etree._Element]:
        """Every OrganId of From, To, TraceHeader, ResponseFor and Bussiness (replacement lists)."""
        header = self.message_header
        for holder in (*self.children(header, "From"), *self.children(header, "To"),
                       *self.children(self.trace_list, "TraceHeader"), *self.response_fors()):
            yield from self.children(holder, "OrganId")
        for info in self.replacement_infos():
            yield from self.children(self.child(info, "OrganIdList"), "OrganId")

    def document_ids(self) -> Iterator[etree._Element]:
        """Every DocumentId of the header, Bussiness, its replacement list and ResponseFor."""
        yield from self.children(self.message_header, "DocumentId")
        yield from self.children(self.business, "DocumentId")
        for info in self.replacement_infos():
            yield from self.children(info, "DocumentId")
        for response in self.response_fors():
            yield from self.children(response, "DocumentId")

    @cached_property
    def schema_errors(self) -> list[tuple[etree._Element | None, str, int]]:
        """XSD violations as (element, message, line); none when the root is not edXML (EDX-02 judges that)."""
        if self.root.tag != f"{{{EDXML_NS}}}edXML":
            return []
        if self.xsd.validate(self.tree):
            return []
        errors = []
        for entry in self.xsd.error_log:
            located = self.tree.xpath(entry.path) if entry.path else []
            el = located[0] if isinstance(located, list) and located else None
            message = entry.message.replace(f"{{{EDXML_NS}}}", "ed:")
            errors.append((el if isinstance(el, etree._Element) else None, message, entry.line))
        return errors

    def schema_findings(self, region: str, ctx: CheckContext) -> list[Finding]:
        """XSD violations inside ``region``: header, trace, business or envelope (everything else).

        libxml2's own text is quoted as it is, in English, after a prefix in the run's language.
        """
        found = []
        for el, message, line in self.schema_errors:
            if self._region(el) == region:
                found.append(Finding(ctx.say("structure.xsd", detail=message),
                                     path=self.path(el) if el is not None else None, line=line))
        return found

    def _region(self, el: etree._Element | None) -> str:
        while el is not None:
            local = etree.QName(el).localname
            if local == "MessageHeader":
                return "header"
            if local == "TraceHeader":
                return "trace"
            if local == "Bussiness":
                return "business"
            el = el.getparent()
        return "envelope"

    def signatures(self) -> list[etree._Element]:
        """Every XMLDSig ``Signature`` element."""
        return list(self.root.iter(f"{{{DSIG_NS}}}Signature"))

    def misplaced_signatures(self) -> list[etree._Element]:
        """``Signature`` elements outside the XMLDSig namespace (the public samples' mistake)."""
        return list(self.root.iter(*_tags("Signature")))
