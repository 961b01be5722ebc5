"""Hardened parsing of untrusted XML, shared by every profile that reads XML.

One parser configuration for all untrusted input: no entity expansion, no network, no DTD loading,
never XInclude, a depth limit and a size cap enforced by the caller. ``huge_tree`` is on because
real packages carry base64 text nodes larger than libxml2's default 10 MB limit.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .i18n import t

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "LIBXML2_MAX_DEPTH",
    "XINCLUDE_NAMESPACES",
    "XMLProblem",
    "element_path",
    "load_schema",
    "parse_untrusted",
    "source_line",
]

DEFAULT_MAX_DEPTH = 256
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_XML_DECL = re.compile(rb"<\?xml\s[^?]*?encoding\s*=\s*([\"'])([A-Za-z0-9._-]*)\1", re.ASCII)
_EBCDIC_DECL = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC, which libxml2 would auto-detect
_POSITION = re.compile(r",? line \d+, column \d+$")
_PROLOG_SKIP = re.compile(rb"\s+|<!--.*?-->|<\?.*?\?>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class XMLProblem(Exception):
    """Why untrusted XML could not be read: ``kind`` is encoding, syntax, depth, doctype or xinclude.

    ``message`` is the English text; ``t(key, lang, **params)`` (:mod:`conformance.i18n`) says it in
    another language. Text quoted from libxml2 is a parameter, and stays as libxml2 wrote it.
    """

    kind: str
    message: str
    line: int | None = None
    key: str = ""
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def _problem(kind: str, line: int | None, key: str, **params: object) -> XMLProblem:
    return XMLProblem(kind, t(key, "en", **params), line, key, params)


def _parser(*, huge: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge,
        remove_comments=False,
        collect_ids=False,
    )


LIBXML2_MAX_DEPTH = 256  # libxml2's depth limit without huge_tree: 256 levels pass, 257 fail
_PARSER = _parser(huge=False)
_HUGE_PARSER = _parser(huge=True)
_XINCLUDE_TAGS = tuple(f"{{{ns}}}*" for ns in XINCLUDE_NAMESPACES)
_TOO_DEEP: dict[int, etree.XPath] = {}


def _check_encoding(data: bytes) -> bytes:
    """The bytes after an optional UTF-8 BOM, unless they announce an encoding other than UTF-8.

    Invalid UTF-8 sequences are left to libxml2, which rejects every one of them while parsing a UTF-8
    document (see ``_utf8_problem``); here we only stop it from auto-detecting another encoding.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _problem("encoding", 1, "xml.encoding_bom", encoding=name)
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    if b"\x00" in body[:4] or body.startswith(_EBCDIC_DECL):
        raise _problem("encoding", 1, "xml.encoding_unmarked")
    declared = _XML_DECL.match(body)
    if declared and declared.group(2).decode("ascii").upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        raise _problem("encoding", 1, "xml.encoding_declared", encoding=declared.group(2).decode())
    return body


def _utf8_problem(body: bytes) -> XMLProblem | None:
    """A precise message (offset, byte, line) when ``body`` is not valid UTF-8."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        return _problem("encoding", line, "xml.invalid_utf8", byte=f"{body[exc.start]:02X}", offset=exc.start,
                        reason=exc.reason)
    return None


def _doctype_in_prolog(body: bytes) -> int | None:
    """The line of a DOCTYPE declaration in the prolog, where one can legally appear, or None."""
    pos = 0
    while True:
        skipped = _PROLOG_SKIP.match(body, pos)
        if not skipped:
            break
        pos = skipped.end()
    if body.startswith(b"<!DOCTYPE", pos):
        return body.count(b"\n", 0, pos) + 1
    return None


def source_line(el: etree._Element) -> int | None:
    """The line ``el`` starts on, when the parser knows it."""
    line: object = el.sourceline
    return line if isinstance(line, int) else None


def _line(exc: etree.XMLSyntaxError) -> int | None:
    line: object = exc.lineno
    return line if isinstance(line, int) else None


def parse_untrusted(data: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> etree._ElementTree:
    """Parse untrusted bytes as UTF-8 XML, or raise :class:`XMLProblem` saying what is wrong and where."""
    body = _check_encoding(data)
    doctype_line = _doctype_in_prolog(body)
    if doctype_line is not None:
        raise _problem("doctype", doctype_line, "xml.doctype")
    # libxml2's own limits (depth 256, text nodes of 10 MB) stop most documents cheaply. Attachments
    # legitimately exceed 10 MB, so a document that hits a size limit is parsed again with huge_tree,
    # and its depth is then checked here.
    native = max_depth == LIBXML2_MAX_DEPTH
    try:
        root = _parse(body, _PARSER if native else _HUGE_PARSER, max_depth)
    except _NeedsHuge:
        native = False
        root = _parse(body, _HUGE_PARSER, max_depth)
    tree = root.getroottree()
    # Defence in depth: the prolog scan above should already have refused it.
    if tree.docinfo.doctype:  # type: ignore[attr-defined]
        raise _problem("doctype", 1, "xml.doctype_parsed")
    if not native:
        too_deep = _TOO_DEEP.get(max_depth)
        if too_deep is None:
            too_deep = _TOO_DEEP[max_depth] = etree.XPath("/*" * (max_depth + 1))
        deep = too_deep(tree)
        if isinstance(deep, list) and deep and isinstance(deep[0], etree._Element):
            raise _problem("depth", source_line(deep[0]), "xml.depth", limit=max_depth)
    for el in root.iter(*_XINCLUDE_TAGS):
        raise _problem("xinclude", source_line(el), "xml.xinclude", element=etree.QName(el).localname)
    return tree


class _NeedsHuge(Exception):
    """libxml2 stopped at a size limit that only ``huge_tree`` lifts."""


def _parse(body: bytes, parser: etree.XMLParser, max_depth: int) -> etree._Element:
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        encoding = _utf8_problem(body)
        if encoding is not None:
            raise encoding from None
        # libxml2 appends the position, which the finding already carries as its line.
        message = _POSITION.sub("", str(exc.msg or exc))
        if "Excessive depth" in message:
            raise _problem("depth", _line(exc), "xml.depth", limit=max_depth) from None
        if "XML_PARSE_HUGE" in message and parser is _PARSER:
            raise _NeedsHuge from None
        raise _problem("syntax", _line(exc), "xml.syntax", detail=message) from None


def element_path(el: etree._Element, prefixes: Mapping[str, str]) -> str:
    """An absolute XPath to ``el``, with ``prefixes`` for namespaces and positions where names repeat."""
    steps = []
    node: etree._Element | None = el
    while node is not None:
        qname = etree.QName(node)
        ns = qname.namespace
        name = f"{prefixes[ns]}:{qname.localname}" if ns in prefixes else (
            qname.localname if ns is None else f"*[local-name()='{qname.localname}']")
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent.iterchildren(node.tag)]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def load_schema(path: Path) -> etree.XMLSchema:
    """Load a trusted XSD artefact, still with network access off."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))
