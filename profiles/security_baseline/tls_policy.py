"""The Mozilla "intermediate" TLS configuration the TLS checks judge against, read from the profile's data file.

The file (``data/mozilla-intermediate-5.7.json``) is Mozilla's server-side TLS guidelines 5.7, configuration
"intermediate", plus the IANA code point of each cipher suite. Names of curves differ between Mozilla
(``prime256v1``), SECG and sslyze (``secp256r1``) and RFC 8446 (``P-256``); :func:`curve_name` maps them to one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conformance.errors import ProfileError

__all__ = ["DATA_FILE", "MozillaIntermediate", "curve_name", "mozilla_intermediate"]

DATA_FILE = Path(__file__).parent / "data" / "mozilla-intermediate-5.7.json"

# Every name a curve goes by, to the RFC 8446 name used in messages.
_CURVES = {
    "prime256v1": "P-256", "secp256r1": "P-256", "p-256": "P-256", "nistp256": "P-256",
    "secp384r1": "P-384", "p-384": "P-384", "nistp384": "P-384",
    "secp521r1": "P-521", "p-521": "P-521", "nistp521": "P-521",
    "x25519": "X25519", "x448": "X448",
}


def curve_name(name: str) -> str:
    """The RFC 8446 name of a curve (``P-256``), whatever spelling ``name`` uses; unknown names unchanged."""
    return _CURVES.get(name.lower(), name)


@dataclass(frozen=True)
class MozillaIntermediate:
    """What Mozilla's intermediate configuration allows: suites, curves, key sizes, certificate lifetime."""

    version: str
    source: str
    tls_versions: tuple[str, ...]
    suites: tuple[str, ...]  # TLS 1.2 and below, IANA names
    tls13_suites: tuple[str, ...]
    code_points: dict[str, int]  # IANA name -> 16-bit code point
    curves: tuple[str, ...]  # RFC 8446 names
    certificate_curves: tuple[str, ...]  # RFC 8446 names
    rsa_key_size: int
    dh_param_size: int
    ecdh_param_size: int
    maximum_certificate_lifespan: int
    ocsp_staple: bool

    @property
    def suite_codes(self) -> frozenset[int]:
        """Code points of the allowed TLS ≤1.2 suites."""
        return frozenset(self.code_points[name] for name in self.suites)

    def suite_by_code(self, code: int) -> str | None:
        """The IANA name of an allowed suite (either list) with this code point, or None."""
        return next((name for name, value in self.code_points.items() if value == code), None)

    @property
    def label(self) -> str:
        """How evidence names this policy."""
        return f"Mozilla intermediate {self.version} ({self.source})"


@cache
def mozilla_intermediate(path: Path = DATA_FILE) -> MozillaIntermediate:
    """The intermediate configuration in ``path`` (read once per process), checked for shape."""
    try:
        data = json.loads(path.read_text("utf-8"))
        conf = data["intermediate"]
        policy = MozillaIntermediate(
            version=str(data["version"]), source=str(data["source"]),
            tls_versions=tuple(conf["tls_versions"]), suites=tuple(conf["ciphers"]["iana"]),
            tls13_suites=tuple(conf["ciphersuites"]),
            code_points={name: int(value, 16) for name, value in data["code_points"].items()},
            curves=tuple(curve_name(c) for c in conf["tls_curves"]),
            certificate_curves=tuple(curve_name(c) for c in conf["certificate_curves"]),
            rsa_key_size=int(conf["rsa_key_size"]), dh_param_size=int(conf["dh_param_size"]),
            ecdh_param_size=int(conf["ecdh_param_size"]),
            maximum_certificate_lifespan=int(conf["maximum_certificate_lifespan"]),
            ocsp_staple=bool(conf["ocsp_staple"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProfileError(f"cannot read the Mozilla TLS data file {path}: {type(exc).__name__}: {exc}") from exc
    missing = [name for name in policy.suites + policy.tls13_suites if name not in policy.code_points]
    if missing:
        raise ProfileError(f"Mozilla TLS data file {path}: no code point for {missing}")
    return policy
