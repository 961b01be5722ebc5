"""Hostile request bodies and forged tokens: XXE probes, expansion and nesting bombs, oversize bodies, JWTs.

Every XXE probe points only at the harness's own out-of-band listener (a one-time URL), never at a
file or a third party. The bombs are sized as the digest says and built lazily, once per call.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .api import media_kind

__all__ = [
    "BOMB_DEPTH",
    "XXE_KINDS",
    "billion_laughs",
    "deep_json",
    "deep_xml",
    "expanded_marker",
    "jwt_parts",
    "jwt_with",
    "oversize",
    "quadratic_blowup",
    "xxe_probe",
]

BOMB_DEPTH = 10_000
XXE_KINDS = ("general-entity", "parameter-entity", "external-dtd", "xinclude", "internal-entity")
_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def expanded_marker(token: str) -> bytes:
    """What a response holds when the internal-entity probe was expanded and echoed: ``[token-expanded]``."""
    return f"[{token}-expanded]".encode()


def xxe_probe(kind: str, url: str, token: str) -> bytes:
    """An XML body that makes a resolving parser fetch ``url`` (or, for internal-entity, expand the token)."""
    bodies = {
        "general-entity": f'<!DOCTYPE probe [<!ENTITY xxe SYSTEM "{url}">]>\n<probe>&xxe;</probe>',
        "parameter-entity": f'<!DOCTYPE probe [<!ENTITY % xxe SYSTEM "{url}"> %xxe;]>\n<probe>conformance</probe>',
        "external-dtd": f'<!DOCTYPE probe SYSTEM "{url}">\n<probe>conformance</probe>',
        "xinclude": f'<probe xmlns:xi="http://www.w3.org/2001/XInclude">'
                    f'<xi:include href="{url}" parse="text"/></probe>',
        "internal-entity": f'<!DOCTYPE probe [<!ENTITY tok "{token}-expanded">]>\n<probe>[&tok;]</probe>',
    }
    return (_DECL + bodies[kind]).encode()


def billion_laughs() -> bytes:
    """The classic ~1 KB billion-laughs document: 10 levels of 10 references, 10^9 'lol's if expanded."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    return (_DECL + "<!DOCTYPE lolz [" + "".join(entities) + "]>\n<lolz>&lol9;</lolz>").encode()


def quadratic_blowup(size: int = 1_000_000) -> bytes:
    """A ~``size``-byte quadratic blowup: one 100 KB entity referenced until the body is ``size`` long."""
    value = "a" * 100_000
    head = _DECL + f'<!DOCTYPE kaboom [<!ENTITY a "{value}">]>\n<kaboom>'
    tail = "</kaboom>"
    references = max(1, (size - len(head) - len(tail)) // 3)
    return (head + "&a;" * references + tail).encode()


def deep_json(depth: int = BOMB_DEPTH) -> bytes:
    """``depth`` nested JSON arrays: ``[[[…]]]``."""
    return b"[" * depth + b"]" * depth


def deep_xml(depth: int = BOMB_DEPTH) -> bytes:
    """An XML document ``depth`` elements deep."""
    return _DECL.encode() + b"<a>" * depth + b"</a>" * depth


def oversize(media: str, size: int) -> bytes:
    """A well-formed-looking body of ``media`` exactly ``size`` bytes long (the declared limit + 1)."""
    kind = media_kind(media)
    if kind == "xml":
        head, tail = (_DECL + "<probe>").encode(), b"</probe>"
    elif kind == "json":
        head, tail = b'{"probe": "', b'"}'
    else:
        head, tail = b"", b""
    padding = max(0, size - len(head) - len(tail))
    return (head + b"a" * padding + tail)[:size] if padding else b"a" * size


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token: str | None) -> tuple[dict[str, Any], dict[str, Any], bytes] | None:
    """Header, payload and signature of a JWS compact token, or None when ``token`` is not one."""
    if not token or token.count(".") != 2:
        return None
    header_b64, payload_b64, signature_b64 = token.split(".")
    try:
        header = json.loads(_b64decode(header_b64))
        payload = json.loads(_b64decode(payload_b64))
        signature = _b64decode(signature_b64)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str) or not isinstance(payload, dict):
        return None
    return header, payload, signature


def jwt_with(token: str, *, header: dict[str, Any] | None = None, payload: dict[str, Any] | None = None,
             signature: bytes | None = None) -> str:
    """``token`` with its header, payload or signature replaced (the other parts kept byte for byte)."""
    parts = token.split(".")
    if header is not None:
        parts[0] = _b64encode(json.dumps(header, separators=(",", ":")).encode())
    if payload is not None:
        parts[1] = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    if signature is not None:
        parts[2] = _b64encode(signature)
    return ".".join(parts)
