"""The labelled edXML corpus: labels, well-formedness, signatures, agreement and determinism."""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier

from conformance_fixtures.edxml_corpus import (
    EDXML_NS,
    build_corpus,
    bulk_packages,
    demo_inputs,
    edoc_package,
    main,
    status_package,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone(timedelta(hours=7)))
VN = timezone(timedelta(hours=7))
XI_NS = "http://www.w3.org/2001/XInclude"
CATALOGUE = frozenset({f"EDX-{i:02d}" for i in range(1, 23)} | {f"STS-{i:02d}" for i in range(1, 5)})
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
STRONG = SignatureConfiguration(verification_time=NOW,
                                signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
                                digest_algorithms=frozenset({DigestAlgorithm.SHA256}))
WEAK_ALLOWED = SignatureConfiguration(verification_time=NOW, signature_methods=frozenset(SignatureMethod),
                                      digest_algorithms=frozenset(DigestAlgorithm))


Corpus = tuple[Path, dict[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    out = tmp_path_factory.mktemp("edxml")
    return out, build_corpus(out, now=NOW)


def _files(root: Path, folder: str, *, skip: str | None = None) -> list[Path]:
    labels = json.loads((root / "labels.json").read_text("utf-8"))
    return [p for p in sorted((root / folder).glob("*.edxml"))
            if skip is None or skip not in labels[f"{folder}/{p.name}"]["breaks"]]


def _text(root: etree._Element, path: str) -> str:
    el = root.find("/".join(f"{{*}}{step}" for step in path.split("/")))
    assert el is not None, path
    return unicodedata.normalize("NFC", el.text or "")


def _is_edoc(root: etree._Element) -> bool:
    return root.find(".//{*}MessageHeader/{*}StatusCode") is None


def _depth(root: etree._Element) -> int:
    return max(sum(1 for _ in el.iterancestors()) for el in root.iter()) + 1


def _strictly_readable(data: bytes) -> bool:
    """Whether ``data`` meets EDX-01: UTF-8, only a BOM before the declaration, well-formed, depth ≤ 256."""
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    declared = re.match(r"<\?xml[^>]*encoding=[\"']([^\"']+)", text)
    if declared and declared.group(1).upper() != "UTF-8":
        return False
    try:
        root = etree.fromstring(body, PARSER)
    except etree.XMLSyntaxError:
        return False
    return _depth(root) <= 256


def test_labels_cover_the_whole_catalogue(corpus: Corpus) -> None:
    _, labels = corpus
    used = {rule for label in labels.values() for rule in label["breaks"]}
    assert used == CATALOGUE


def test_every_file_is_labelled_and_named_after_a_defect(corpus: Corpus) -> None:
    root, labels = corpus
    on_disk = {p.relative_to(root).as_posix() for p in root.glob("*/*.edxml")}
    assert on_disk == set(labels)
    assert labels == json.loads((root / "labels.json").read_text("utf-8"))
    for key, label in labels.items():
        folder, name = key.split("/")
        assert label["why"]
        assert label["breaks"] == sorted(label["breaks"])
        if folder == "conformant":
            assert label["breaks"] == []
        if folder == "invalid":
            assert any(name.startswith(f"{rule}-") for rule in label["breaks"]), key


def test_conformant_and_invalid_packages_parse(corpus: Corpus) -> None:
    root, _ = corpus
    paths = _files(root, "conformant") + _files(root, "invalid", skip="EDX-01")
    assert len(paths) > 100
    for path in paths:
        etree.fromstring(path.read_bytes(), PARSER)


def test_conformant_packages_are_strictly_readable_utf8_nfc(corpus: Corpus) -> None:
    root, _ = corpus
    for path in _files(root, "conformant"):
        data = path.read_bytes()
        assert _strictly_readable(data), path.name
        tree = etree.fromstring(data, PARSER)
        assert tree.tag == f"{{{EDXML_NS}}}edXML"
        if "nfd" not in path.name:
            assert all(unicodedata.is_normalized("NFC", t) for t in tree.itertext()), path.name


def test_edx01_packages_are_not_strictly_readable(corpus: Corpus) -> None:
    root, labels = corpus
    edx01 = [key for key, label in labels.items() if "EDX-01" in label["breaks"]]
    assert len(edx01) >= 8
    for key in edx01:
        assert not _strictly_readable((root / key).read_bytes()), key


def test_only_edx17_packages_carry_a_dtd_or_xinclude(corpus: Corpus) -> None:
    root, labels = corpus
    for key, label in labels.items():
        data = (root / key).read_bytes()
        if "EDX-17" in label["breaks"]:
            assert b"<!DOCTYPE" in data or XI_NS.encode() in data, key
        elif "EDX-01" not in label["breaks"]:
            tree = etree.fromstring(data, PARSER)
            assert not tree.getroottree().docinfo.doctype, key
            assert tree.find(f".//{{{XI_NS}}}*") is None, key


def test_canaries_are_referenced_not_read(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-SECRET", "utf-8")
    build_corpus(tmp_path / "c", now=NOW, canary_file=canary, canary_url="http://127.0.0.1:8765/canary")
    hostile = tmp_path / "c" / "hostile"
    assert canary.as_uri().encode() in (hostile / "EDX-17-xxe-file.edxml").read_bytes()
    assert canary.as_uri().encode() in (hostile / "EDX-17-xinclude-file.edxml").read_bytes()
    for name in ("xxe-url", "external-dtd", "parameter-entity", "xinclude-url"):
        assert b"http://127.0.0.1:8765/canary" in (hostile / f"EDX-17-{name}.edxml").read_bytes()
    assert not any(b"CANARY-SECRET" in p.read_bytes() for p in (tmp_path / "c").glob("*/*.edxml"))


def test_conformant_document_ids_agree_with_the_header(corpus: Corpus) -> None:
    root, _ = corpus
    checked = 0
    for path in _files(root, "conformant"):
        tree = etree.fromstring(path.read_bytes(), PARSER)
        mh = "edXMLEnvelope/edXMLHeader/MessageHeader"
        if _is_edoc(tree):
            code = _text(tree, f"{mh}/Code/CodeNumber") + "/" + _text(tree, f"{mh}/Code/CodeNotation")
            expected = ",".join([_text(tree, f"{mh}/From/OrganId"),
                                 _text(tree, f"{mh}/PromulgationInfo/PromulgationDate"), code])
            assert _text(tree, f"{mh}/DocumentId") == expected, path.name
            checked += 1
        else:
            rf = f"{mh}/ResponseFor"
            expected = ",".join([_text(tree, f"{rf}/OrganId"), _text(tree, f"{rf}/PromulgationDate"),
                                 _text(tree, f"{rf}/Code")])
            assert _text(tree, f"{rf}/DocumentId") == expected, path.name
    assert checked >= 15


def test_conformant_dates_are_real_and_not_in_the_future(corpus: Corpus) -> None:
    root, _ = corpus
    now_vn = NOW.astimezone(VN).replace(tzinfo=None)
    for path in _files(root, "conformant"):
        tree = etree.fromstring(path.read_bytes(), PARSER)
        for el in tree.iter("{*}PromulgationDate"):
            assert datetime.strptime(el.text or "", "%Y/%m/%d") <= now_vn, path.name
        for el in tree.iter("{*}Timestamp"):
            assert datetime.strptime(el.text or "", "%Y/%m/%d %H:%M:%S") <= now_vn, path.name


def _verify(path: Path, ca: Path, config: SignatureConfiguration) -> None:
    XMLVerifier().verify(path.read_bytes(), ca_pem_file=str(ca), expect_config=config)


def test_signed_conformant_packages_verify(corpus: Corpus) -> None:
    root, _ = corpus
    signed = [p for p in _files(root, "conformant") if b"<ds:Signature" in p.read_bytes()]
    assert len(signed) >= 2
    for path in signed:
        _verify(path, root / "trust" / "ca.pem", STRONG)
        header = etree.fromstring(path.read_bytes(), PARSER).find("{*}edXMLEnvelope/{*}edXMLHeader")
        assert header is not None and header[-1].tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"


@pytest.mark.parametrize("name", ["tampered-after-signing", "untrusted-ca", "expired-certificate",
                                  "unprefixed-signature", "truncated-certificate"])
def test_broken_signatures_do_not_verify(corpus: Corpus, name: str) -> None:
    root, labels = corpus
    assert labels[f"invalid/EDX-18-{name}.edxml"]["breaks"] == ["EDX-18"]
    with pytest.raises(Exception):  # noqa: B017 - signxml raises several types, ValueError among them
        _verify(root / "invalid" / f"EDX-18-{name}.edxml", root / "trust" / "ca.pem", WEAK_ALLOWED)


def test_sha1_signature_verifies_only_when_sha1_is_allowed(corpus: Corpus) -> None:
    root, labels = corpus
    path, ca = root / "invalid" / "EDX-19-rsa-sha1.edxml", root / "trust" / "ca.pem"
    assert labels["invalid/EDX-19-rsa-sha1.edxml"]["breaks"] == ["EDX-19"]
    _verify(path, ca, WEAK_ALLOWED)
    with pytest.raises(Exception, match="SHA1"):
        _verify(path, ca, STRONG)


def test_unsigned_packages_are_deterministic(corpus: Corpus, tmp_path: Path) -> None:
    root, labels = corpus
    again = build_corpus(tmp_path, now=NOW)
    assert again == labels
    for key in labels:
        data = (root / key).read_bytes()
        if b"Signature" not in data:
            assert data == (tmp_path / key).read_bytes(), key


def test_bulk_packages_are_deterministic_and_about_the_requested_size() -> None:
    first = list(bulk_packages(20, now=NOW, approx_bytes=50_000))
    assert first == list(bulk_packages(20, now=NOW, approx_bytes=50_000))
    assert first != list(bulk_packages(20, now=NOW, approx_bytes=50_000, seed=1))
    assert len({name for name, _ in first}) == 20
    assert len({data for _, data in first}) == 20
    for _, data in first:
        assert 45_000 <= len(data) <= 55_000
        tree = etree.fromstring(data, PARSER)
        assert tree.find("{*}AttachmentEncoded/{*}Attachment") is not None


def test_overrides_set_or_drop_one_element_and_unknown_ones_are_refused() -> None:
    tree = etree.fromstring(edoc_package(now=NOW, promulgation_date="2014/02/30", due_date=None), PARSER)
    mh = "edXMLEnvelope/edXMLHeader/MessageHeader"
    assert _text(tree, f"{mh}/PromulgationInfo/PromulgationDate") == "2014/02/30"
    assert _text(tree, f"{mh}/DocumentId").split(",")[1] == "2014/02/30"
    assert tree.find(".//{*}DueDate") is None
    status = etree.fromstring(status_package(now=NOW, status_code="05"), PARSER)
    assert _text(status, f"{mh}/StatusCode") == "05"
    assert status.find(".//{*}edXMLBody") is None and status.find(".//{*}TraceHeaderList") is None
    with pytest.raises(TypeError, match="did you mean 'subject'"):
        edoc_package(now=NOW, subjet="x")
    with pytest.raises(ValueError, match="timezone-aware"):
        edoc_package(now=datetime(2026, 11, 29))


def test_demo_inputs_and_command_line(tmp_path: Path) -> None:
    demo = demo_inputs(tmp_path / "demo", now=NOW)
    assert demo.paths == sorted((tmp_path / "demo" / "conformant").glob("*.edxml"))
    assert [p.name for p in demo.trust_anchors] == ["ca.pem"] and demo.claims == []
    assert b"PRIVATE KEY" not in demo.trust_anchors[0].read_bytes()
    assert main([str(tmp_path / "cli"), "--now", NOW.isoformat()]) == 0
    assert (tmp_path / "cli" / "labels.json").is_file()


@pytest.mark.slow
def test_large_package_is_valid_and_has_a_huge_text_node(tmp_path: Path) -> None:
    labels = build_corpus(tmp_path, now=NOW, large=True)
    path = tmp_path / "hostile" / "large-60mb.edxml"
    assert labels["hostile/large-60mb.edxml"]["breaks"] == []
    assert path.stat().st_size >= 60 * 1024 * 1024
    tree = etree.parse(str(path), PARSER).getroot()
    encoded = tree.find("{*}AttachmentEncoded/{*}Attachment/{*}ContentTransferEncoded")
    assert encoded is not None and len(encoded.text or "") > 10_000_000
    assert len((encoded.text or "").replace("\n", "")) % 4 == 0
