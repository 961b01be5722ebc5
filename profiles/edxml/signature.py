"""EDX-18 and EDX-19: verifying the enveloped XMLDSig signature with signxml."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from cryptography import x509
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

from conformance.model import Finding
from conformance.registry import CheckContext, Judgement, inconclusive, not_applicable, passed

from .package import DSIG_NS, Package

__all__ = ["judge_signature", "weak_algorithms"]

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_DS = {"ds": DSIG_NS}
_anchor_bundles: dict[tuple[Path, ...], Path] = {}


def _config(ctx: CheckContext) -> SignatureConfiguration:
    # SHA-1 is allowed so the signature can be judged at all; EDX-19 reports it as a weakness.
    return SignatureConfiguration(
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        expect_references=1,
        verification_time=ctx.clock.now(),
    )


def _anchor_bundle(anchors: tuple[Path, ...]) -> Path:
    """One PEM file holding every trust anchor (signxml takes a single file)."""
    bundle = _anchor_bundles.get(anchors)
    if bundle is None:
        pem = b"".join(p.read_bytes().rstrip() + b"\n" for p in anchors)
        digest = hashlib.sha256(pem).hexdigest()[:16]
        bundle = Path(tempfile.gettempdir()) / f"conformance-anchors-{digest}.pem"
        if not bundle.exists():
            tmp = bundle.with_suffix(f".{id(anchors)}.tmp")
            tmp.write_bytes(pem)
            tmp.replace(bundle)
        _anchor_bundles[anchors] = bundle
    return bundle


def _certificate_evidence(sig: etree._Element, ctx: CheckContext) -> dict[str, str]:
    text = sig.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=_DS)
    if not text:
        return {}
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    except ValueError as exc:
        return {"certificate": ctx.say("signature.certificate_unreadable", detail=str(exc))}
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
    }


def _shape_problems(pkg: Package, sig: etree._Element, ctx: CheckContext) -> Iterator[Finding]:
    references = sig.findall("ds:SignedInfo/ds:Reference", namespaces=_DS)
    if len(references) != 1:
        yield pkg.finding(sig, ctx.say("signature.reference_count", count=len(references)))
        return
    uri = references[0].get("URI")
    if uri != "":
        yield pkg.finding(references[0], ctx.say("signature.reference_uri", uri=repr(uri)), value=str(uri))
    transforms = [t.get("Algorithm") for t in references[0].findall("ds:Transforms/ds:Transform", namespaces=_DS)]
    if ENVELOPED not in transforms:
        yield pkg.finding(references[0], ctx.say("signature.no_enveloped_transform"),
                          value=", ".join(str(t) for t in transforms))


def judge_signature(pkg: Package, ctx: CheckContext, *, claimed: bool) -> Iterable[Finding] | Judgement:
    """EDX-18's outcome for one package."""
    misplaced = pkg.misplaced_signatures()
    signatures = pkg.signatures()
    if misplaced:
        return [pkg.finding(el, ctx.say("signature.misplaced", namespace=DSIG_NS)) for el in misplaced]
    if not signatures:
        if claimed:
            return [pkg.finding(pkg.root, ctx.say("signature.missing_claimed"))]
        return not_applicable(ctx.say("signature.missing_unclaimed"))
    if len(signatures) > 1:
        return inconclusive(ctx.say("signature.several", count=len(signatures)))
    sig = signatures[0]
    shape = list(_shape_problems(pkg, sig, ctx))
    if shape:
        return shape
    evidence = _certificate_evidence(sig, ctx)
    verifier = XMLVerifier()
    try:
        if ctx.trust_anchors:
            verifier.verify(pkg.data, ca_pem_file=str(_anchor_bundle(ctx.trust_anchors)), expect_config=_config(ctx))
        else:
            cert = sig.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=_DS)
            if not cert:
                return [pkg.finding(sig, ctx.say("signature.no_certificate"))]
            verifier.verify(pkg.data, x509_cert="".join(cert.split()), expect_config=_config(ctx))
    # signxml's own explanation stays as it wrote it (English): a parameter, not a catalogue message.
    except InvalidCertificate as exc:
        return [Finding(ctx.say("signature.certificate_refused", detail=str(exc)), path=pkg.path(sig),
                        line=sig.sourceline, extra={"certificate": evidence})]
    except (InvalidDigest, InvalidSignature) as exc:
        return [Finding(ctx.say("signature.invalid", detail=str(exc)), path=pkg.path(sig), line=sig.sourceline,
                        extra={"certificate": evidence})]
    except (InvalidInput, ValueError) as exc:
        return [Finding(ctx.say("signature.unprocessable", detail=str(exc)), path=pkg.path(sig),
                        line=sig.sourceline, extra={"certificate": evidence})]
    if not ctx.trust_anchors:
        return inconclusive(ctx.say("signature.no_trust_anchors"), certificate=evidence)
    return passed(ctx.say("signature.verified"), certificate=evidence, anchors=[p.name for p in ctx.trust_anchors])


def weak_algorithms(pkg: Package, signatures: Sequence[etree._Element], ctx: CheckContext) -> Iterator[Finding]:
    """Findings for SHA-1 signature or digest methods."""
    for sig in signatures:
        for el in sig.iterfind(".//ds:SignatureMethod", namespaces=_DS):
            algorithm = el.get("Algorithm", "")
            if "sha1" in algorithm.lower():
                yield pkg.finding(el, ctx.say("signature.weak_method", algorithm=algorithm), value=algorithm)
        for el in sig.iterfind(".//ds:DigestMethod", namespaces=_DS):
            algorithm = el.get("Algorithm", "")
            if algorithm.lower().endswith("sha1"):
                yield pkg.finding(el, ctx.say("signature.weak_digest", algorithm=algorithm), value=algorithm)
