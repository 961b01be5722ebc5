"""``conformance doctor``: find configuration mistakes before a run, each with the fix.

It checks, in order: the target file (schema, unknown keys, environment secrets), that ``base_url``
answers, that its certificate is trusted with ``tls.ca_file``, that the API document loads, and that
each identity's token (or ``auth``'s HTTP Basic username and password) is accepted by an operation that
demands credentials.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from .apidoc import ApiDocument, DocumentProblem, fetch_document, locate, read_document
from .errors import ConfigError
from .http import HardenedClient, HttpFailure, HttpLimits
from .oauth import OAUTH2, fetch_token, needs_token
from .profiles import Profile
from .target import Target, load_target

__all__ = ["Diagnosis", "diagnose"]

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Diagnosis:
    """One thing the doctor looked at: ok, a problem (with its fix), or a note."""

    what: str
    status: Literal["ok", "problem", "note"]
    detail: str
    fix: str | None = None


def diagnose(target_file: Path, profiles: list[Profile]) -> list[Diagnosis]:
    """Every check of the doctor, stopping early where later checks cannot mean anything."""
    try:
        target = load_target(target_file)
    except ConfigError as exc:
        return [Diagnosis("target file", "problem", exc.message, exc.hint or "see the README for the target format")]
    found = [Diagnosis("target file", "ok", f"{target_file} is valid")]
    base_url = target.data.get("endpoints", {}).get("base_url")
    if not base_url:
        return [*found, Diagnosis("base URL", "problem", "endpoints.base_url is not set",
                                  "add endpoints: {base_url: https://host:port} (the system's origin)")]
    masker = target.masker()  # base_url may carry a password, and answers may echo a token
    return [replace(d, detail=masker.mask(d.detail), fix=masker.mask(d.fix) if d.fix else d.fix)
            for d in found + asyncio.run(_live_checks(target, base_url, profiles))]


def _client(target: Target, base_url: str, authorization: str | None = None) -> HardenedClient:
    limits = HttpLimits.from_target(target)
    ca = target.data.get("tls", {}).get("ca_file")
    headers = {"Authorization": authorization} if authorization else {}
    return HardenedClient(base_url, limits=limits, ca_file=Path(ca) if ca else None, masker=target.masker(),
                          default_headers=headers)


def _reach_fix(exc: HttpFailure, target: Target) -> str:
    if exc.kind == "tls":
        if target.data.get("tls", {}).get("ca_file"):
            return ("the certificate does not verify with tls.ca_file: give the CA that issued the server's "
                    "certificate, and check that the certificate names the host of base_url and is in date")
        return ("the certificate is not trusted by the system store: set tls.ca_file to the PEM of the CA that "
                "issued it")
    if exc.kind in ("connect", "timeout"):
        return "is the system running and listening there? check the scheme, host and port of endpoints.base_url"
    if exc.kind == "too-large":
        return ("check endpoints.base_url; if the system is right to answer this much, raise "
                "limits.max_response_bytes (a response head over 100 KiB is never read)")
    return "check endpoints.base_url; the answer was not HTTP the tool can read"


async def _live_checks(target: Target, base_url: str, profiles: list[Profile]) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    async with _client(target, base_url) as client:
        try:
            response = await client.request("GET", "/")
            found.append(Diagnosis("reachability", "ok", f"{base_url} answers (status {response.status})"))
            if base_url.startswith("https"):
                found.append(Diagnosis("TLS trust", "ok", "the certificate verifies against the configured trust"))
        except HttpFailure as exc:
            what = "TLS trust" if exc.kind == "tls" else "reachability"
            return [Diagnosis(what, "problem", f"{base_url}: {exc.message}", _reach_fix(exc, target))]
        document, doc_note = await _document(target, client, profiles)
    found.append(doc_note)
    found += await _tokens(target, base_url, document)
    return found


async def _document(target: Target, client: HardenedClient,
                    profiles: list[Profile]) -> tuple[ApiDocument | None, Diagnosis]:
    where = locate(target.data, target.path.parent)
    shipped = next((p.artefacts["openapi"] for p in profiles if "openapi" in p.artefacts), None)
    try:
        if where is not None:
            kind, value = where
            document = (read_document(Path(value), 16 * 1024 * 1024) if kind == "file"
                        else await fetch_document(client, str(value)))
        elif shipped is not None:
            document = read_document(shipped, 16 * 1024 * 1024)
        else:
            return None, Diagnosis("API document", "note", "endpoints.openapi is not set",
                                   "set endpoints.openapi (a URL path on base_url, or a file) for openapi-contract")
    except DocumentProblem as exc:
        return None, Diagnosis("API document", "problem", exc.message,
                               "point endpoints.openapi at the system's OpenAPI document (JSON or YAML)")
    paths = document.data.get("paths")
    if not isinstance(document.data.get("openapi"), str) or not isinstance(paths, Mapping):
        return None, Diagnosis("API document", "problem", f"{document.source} has no 'openapi' version or no 'paths'",
                               "endpoints.openapi must name an OpenAPI 3.0/3.1 document")
    return document, Diagnosis("API document", "ok",
                               f"{document.source}: OpenAPI {document.data['openapi']}, {len(paths)} path(s)")


def _probe(document: ApiDocument) -> tuple[str, list[tuple[str, str]]] | None:
    """A GET operation that demands credentials and needs no value the tool must invent: (path, query)."""
    data = document.data
    top = data.get("security") or []
    for path, item in (data.get("paths") or {}).items():
        op = item.get("get") if isinstance(item, Mapping) else None
        if not isinstance(op, Mapping) or "{" in path:
            continue
        security = op.get("security", top)
        if not security or not all(security):
            continue
        query: list[tuple[str, str]] = []
        for param in op.get("parameters") or ():
            if not isinstance(param, Mapping) or "$ref" in param or not param.get("required"):
                continue
            schema = param.get("schema") or {}
            value = (schema.get("enum") or [schema.get("default")])[0] if isinstance(schema, Mapping) else None
            if param.get("in") != "query" or value is None:
                break
            query.append((str(param["name"]), str(value)))
        else:
            return path, query
    return None


@dataclass(frozen=True)
class _Credentials:
    """What one identity sends, and how the doctor names it and says to fix it."""

    label: str
    authorization: str
    fix: str


def _credentials(target: Target) -> list[_Credentials]:
    """Each identity's bearer token; without identities, ``auth``'s token or its HTTP Basic pair."""
    envs = _env_names(target)

    def bearer(name: str, token: str) -> _Credentials:
        env = envs.get(name)
        return _Credentials(f"token of '{name}'", f"Bearer {token}",
                            f"export a valid, unexpired token in {env}" if env else
                            "give this identity a valid, unexpired token")

    found = [bearer(i["name"], i["token"]) for i in target.data.get("identities") or [] if i.get("token")]
    auth = target.data.get("auth") or {}
    if found or auth.get("type") not in ("bearer", "basic", OAUTH2):
        return found
    if auth["type"] in ("bearer", OAUTH2):  # OAUTH2: the token fetched from auth.token_url
        return [bearer("default", auth["token"])] if auth.get("token") else []
    if not (auth.get("username") and auth.get("password")):
        return []
    pair = base64.b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
    env = envs.get("default")
    return [_Credentials(f"HTTP Basic credentials of '{auth['username']}'", f"Basic {pair}",
                         f"check auth.username, and export the right password in {env}" if env else
                         "check auth.username and auth.password")]


def _env_names(target: Target) -> dict[str, str]:
    """For each identity name, the environment variable its secret comes from (for the fix text)."""
    try:
        raw: Any = yaml.safe_load(target.path.read_text("utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    names = {}
    for identity in raw.get("identities") or []:
        match = _ENV_REF.search(str(identity.get("token", "")))
        if match:
            names[str(identity.get("name"))] = match.group(1)
    auth = raw.get("auth") or {}
    auth_ref = _ENV_REF.search(str(auth.get("password" if auth.get("type") == "basic" else "token", "")))
    if auth_ref:
        names["default"] = auth_ref.group(1)
    return names


async def _tokens(target: Target, base_url: str, document: ApiDocument | None) -> list[Diagnosis]:
    fetched: list[Diagnosis] = []
    if needs_token(target):
        try:
            target = target.with_token(await fetch_token(target))
        except ConfigError as exc:
            return [Diagnosis("access token", "problem", exc.message, exc.hint or "check auth")]
        fetched = [Diagnosis("access token", "ok", f"fetched from {target.data['auth']['token_url']} "
                             "(OAuth 2.0 client credentials)")]
    masker = target.masker()  # the fetched token is a secret too
    return [replace(d, detail=masker.mask(d.detail)) for d in fetched + await _try_credentials(target, base_url,
                                                                                                 document)]


async def _try_credentials(target: Target, base_url: str, document: ApiDocument | None) -> list[Diagnosis]:
    credentials = _credentials(target)
    if not credentials:
        return [Diagnosis("credentials", "note", "the target file gives no token, HTTP Basic or OAuth credentials",
                          "add identities (or auth) with token: ${env:NAME}, or auth: {type: basic, username, "
                          "password: ${env:NAME}}, to test operations that need them")]
    probe = _probe(document) if document is not None else None
    if probe is None:
        return [Diagnosis("credentials", "note", "no GET operation demanding credentials could be called "
                          "without inventing values, so the credentials were not tried", None)]
    path, query = probe
    found = []
    async with _client(target, base_url) as anonymous:
        try:
            bare = await anonymous.request("GET", path, params=query)
        except HttpFailure as exc:
            return [Diagnosis("credentials", "problem", f"GET {path}: {exc.message}", _reach_fix(exc, target))]
    if bare.status not in (401, 403):
        return [Diagnosis("credentials", "note", f"GET {path} answers {bare.status} without credentials, so it "
                          "cannot tell whether the credentials are accepted", None)]
    for sent in credentials:
        async with _client(target, base_url, sent.authorization) as client:
            try:
                answer = await client.request("GET", path, params=query)
            except HttpFailure as exc:
                found.append(Diagnosis(sent.label, "problem", exc.message, _reach_fix(exc, target)))
                continue
        if answer.status in (401, 403):
            found.append(Diagnosis(sent.label, "problem", f"the system rejects it: GET {path} answered {answer.status}",
                                   sent.fix))
        else:
            found.append(Diagnosis(sent.label, "ok", f"accepted (GET {path} answered {answer.status})"))
    return found
