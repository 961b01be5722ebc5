"""Reading an API description (OpenAPI, JSON or YAML) that a system or a profile supplies, safely.

The document is untrusted input: it is size-capped, parsed without any YAML tags beyond plain data,
and nesting too deep to walk is refused with a clear reason, never a RecursionError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .http import HardenedClient, HttpFailure
from .yaml_loader import SAFE_LOADER

__all__ = [
    "MAX_DEPTH",
    "ApiDocument",
    "DocumentProblem",
    "fetch_document",
    "locate",
    "parse_document",
    "read_document",
]

MAX_DEPTH = 200  # deeper than any real API description; a 50 000-deep array is an attack, not a schema


class DocumentProblem(Exception):
    """The document could not be obtained or read; the message says why and what to fix.

    ``invalid`` says the document was had (served with 200, or read from its file) and its content is what is
    wrong: not UTF-8, not JSON or YAML, not an object, or nested too deeply. It is then not valid OpenAPI.
    """

    def __init__(self, message: str, *, evidence: Mapping[str, Any] | None = None, invalid: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.evidence = dict(evidence or {})
        self.invalid = invalid


@dataclass(frozen=True)
class ApiDocument:
    """A parsed API description and where it came from."""

    data: Mapping[str, Any]
    source: str

    @property
    def version(self) -> str:
        """The ``openapi`` field (``3.0.3``, ``3.1.0``…), or an empty string."""
        value = self.data.get("openapi", "")
        return value if isinstance(value, str) else ""


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        if isinstance(node, Mapping):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def parse_document(text: bytes, source: str) -> ApiDocument:
    """Parse JSON or YAML bytes into a mapping, or raise :class:`DocumentProblem`."""
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentProblem(f"{source} is not UTF-8 text: {exc.reason} at byte {exc.start}",
                              invalid=True) from None
    try:
        data = json.loads(decoded) if decoded.lstrip()[:1] in ("{", "[") else yaml.load(decoded, Loader=SAFE_LOADER)
    except RecursionError:
        raise DocumentProblem(f"{source} is nested too deeply to read (more than {MAX_DEPTH} levels)",
                              invalid=True) from None
    except (ValueError, yaml.YAMLError) as exc:
        raise DocumentProblem(f"{source} is neither valid JSON nor valid YAML: {str(exc)[:300]}",
                              invalid=True) from None
    if not isinstance(data, Mapping):
        raise DocumentProblem(f"{source} must be a JSON/YAML object with an 'openapi' field, "
                              f"not a {type(data).__name__}", invalid=True)
    if _depth(data) > MAX_DEPTH:
        raise DocumentProblem(f"{source} is nested more than {MAX_DEPTH} levels deep; it is not read further",
                              invalid=True)
    return ApiDocument(data, source)


def read_document(path: Path, max_bytes: int) -> ApiDocument:
    """Read a document from a local file, within ``max_bytes``."""
    try:
        with path.open("rb") as handle:
            text = handle.read(max_bytes + 1)
    except OSError as exc:
        raise DocumentProblem(f"cannot read the API document {path}: {exc.strerror}") from None
    if len(text) > max_bytes:
        raise DocumentProblem(f"the API document {path} is larger than {max_bytes} bytes; it is not read")
    return parse_document(text, str(path))


async def fetch_document(client: HardenedClient, path: str) -> ApiDocument:
    """Fetch a document from the system (``endpoints.openapi`` as a URL path), within the client's limits."""
    try:
        response = await client.request("GET", path, headers={"Accept": "application/json, application/yaml"})
    except HttpFailure as exc:
        raise DocumentProblem(f"cannot fetch the API document {path}: {exc}",
                              evidence={"exchange": exc.exchange.to_json()} if exc.exchange else None) from None
    if response.status != 200:
        raise DocumentProblem(f"fetching the API document {path} answered {response.status}, not 200",
                              evidence={"exchange": response.exchange.to_json()})
    try:
        return parse_document(response.body, response.exchange.url)
    except DocumentProblem as exc:  # what was served is the evidence
        raise DocumentProblem(exc.message, evidence={"exchange": response.exchange.to_json()},
                              invalid=exc.invalid) from None


def locate(target_data: Mapping[str, Any], target_dir: Path) -> tuple[str, str | Path] | None:
    """Where ``endpoints.openapi`` points: ``("url", "/path")`` on the system, or ``("file", Path)``.

    An absolute path of an existing file is that file; any other value starting with ``/`` is a URL
    path on ``base_url``; anything else is a file relative to the target file's folder.
    """
    value = str(target_data.get("endpoints", {}).get("openapi", ""))
    if not value:
        return None
    if value.startswith("/"):
        return ("file", Path(value)) if Path(value).is_file() else ("url", value)
    return "file", target_dir / value
