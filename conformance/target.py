"""The target file: the system under test, validated before anything runs, with secrets from the environment."""

from __future__ import annotations

import base64
import glob
import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, did_you_mean
from .yaml_loader import SAFE_LOADER

__all__ = ["MASK", "SECRET_KEYS", "SecretMasker", "Target", "load_target", "target_messages"]

MASK = "***"
SECRET_KEYS = frozenset({"token", "expired_token", "password", "client_secret"})
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_PATH_KEYS = {("tls", "ca_file"), ("trust_anchors",), ("messages",)}


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("conformance").joinpath("schemas/target.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class SecretMasker:
    """Replaces every known secret in text, plain and in the encodings that carry it over HTTP."""

    def __init__(self, secrets: list[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) < 4:  # masking 1-3 characters would garble every report
                continue
            forms.update({
                secret,
                urllib.parse.quote(secret, safe=""),
                urllib.parse.quote(secret),  # as a URL path carries it: "/" kept
                urllib.parse.quote_plus(secret),
                json.dumps(secret)[1:-1],
                json.dumps(secret, ensure_ascii=False)[1:-1],
                repr(secret)[1:-1],  # as Python quotes it in a message (a schema error, a !r field)
                base64.b64encode(secret.encode()).decode(),
                secret.encode().decode("latin-1"),  # its UTF-8 bytes read as Latin-1, as HTTP header values are
            })
        self._pattern = re.compile("|".join(map(re.escape, sorted(forms, key=len, reverse=True)))) if forms else None

    def mask(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        return self._pattern.sub(MASK, text) if self._pattern else text


@dataclass(frozen=True)
class Target:
    """A validated target file: paths resolved against its folder, secrets resolved from the environment."""

    path: Path
    data: Mapping[str, Any]
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def claims(self) -> frozenset[str]:
        """The optional features the vendor claims."""
        return frozenset(self.data.get("claims", ()))

    @property
    def trust_anchors(self) -> tuple[Path, ...]:
        """CA certificates for message signatures."""
        return tuple(Path(p) for p in self.data.get("trust_anchors", ()))

    @property
    def limits(self) -> Mapping[str, Any]:
        """The run limits the target file sets."""
        limits: Mapping[str, Any] = self.data.get("limits", {})
        return limits

    @property
    def security_level(self) -> int:
        """The system's security level (cấp độ 1-5, Thông tư 12/2022); 3 when the file does not say."""
        return int(self.data.get("security_level", 3))

    def with_token(self, token: str) -> Target:
        """This target with ``token`` as ``auth``'s bearer token (one fetched at run time), and as a secret."""
        auth = {**(self.data.get("auth") or {}), "token": token}
        return replace(self, data={**self.data, "auth": auth}, secrets=(*self.secrets, token))

    def masker(self) -> SecretMasker:
        """A masker for every secret this target holds."""
        return SecretMasker(list(self.secrets))

    def redacted(self) -> dict[str, Any]:
        """The target as written into reports: credentials are ``***``, and so is any secret inside another value."""
        redacted: dict[str, Any] = _redact(self.data, self.masker())
        return redacted


def _redact(value: Any, masker: SecretMasker, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _redact(v, masker, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, masker, key) for v in value]
    if key in SECRET_KEYS and isinstance(value, str):
        return MASK
    return masker.mask(value) if isinstance(value, str) else value


def _url_passwords(value: Any) -> list[str]:
    """The passwords of URLs with userinfo (``http://user:password@host``), and each ``user:password`` pair."""
    if isinstance(value, Mapping):
        return [found for v in value.values() for found in _url_passwords(v)]
    if isinstance(value, list):
        return [found for v in value for found in _url_passwords(v)]
    if not (isinstance(value, str) and "://" in value and "@" in value):
        return []
    try:
        parts = urllib.parse.urlsplit(value)
        user, password = parts.username, parts.password
    except ValueError:
        return []
    if not password:
        return []
    plain = urllib.parse.unquote(password)
    return list(dict.fromkeys([password, plain, f"{urllib.parse.unquote(user or '')}:{plain}"]))


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        parts = []
        for extra in extras:
            hint = did_you_mean(extra, allowed)
            parts.append(f"unknown key '{extra}' under {where}" + (f". {hint}" if hint else
                         f" (allowed: {', '.join(allowed)})"))
        return "; ".join(parts)
    if error.validator == "required":
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


def _resolve_env(value: Any, key: str | None, secrets: list[str], where: str) -> Any:
    if isinstance(value, Mapping):
        return {k: _resolve_env(v, k, secrets, f"{where}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, key, secrets, f"{where}/{i}") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    if key in SECRET_KEYS and not _ENV_REF.fullmatch(value):
        raise ConfigError(f"{where.lstrip('/')} holds a literal secret; secrets come only from the environment",
                          hint=f"write {key}: ${{env:SOME_NAME}} and export SOME_NAME before the run")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{where.lstrip('/')} refers to environment variable {name}, which is not set",
                              hint=f"export {name}=… before the run, or remove the reference")
        if key in SECRET_KEYS:
            secrets.append(os.environ[name])
        return os.environ[name]

    return _ENV_REF.sub(substitute, value)


def target_messages(target: Target) -> list[Path]:
    """The message samples the target file lists (``messages``: paths or glob patterns), sorted."""
    found: list[Path] = []
    for pattern in target.data.get("messages", ()):
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            raise ConfigError(f"the target file's messages entry '{pattern}' matches no file",
                              hint="paths and patterns are relative to the target file's folder")
        found += [Path(m) for m in matches]
    return found


def load_target(path: Path) -> Target:
    """Read, validate and resolve a target file, or raise :class:`ConfigError` saying how to fix it."""
    import jsonschema

    try:
        data = yaml.load(path.read_text("utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise ConfigError(f"cannot read target file {path}: {exc.strerror}",
                          hint="check the path given to -t/--target") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"target file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"target file {path} must be a mapping with at least a 'target' key",
                          hint="start from the example in the README")
    errors = list(jsonschema.Draft202012Validator(_schema()).iter_errors(data))
    if errors:
        lines = sorted({_describe(e) for e in errors})
        raise ConfigError(f"target file {path} is not valid:\n  " + "\n  ".join(lines))
    secrets: list[str] = []
    resolved = _resolve_env(data, None, secrets, "")
    auth = resolved.get("auth") or {}
    if auth.get("type") == "basic" and auth.get("password") and auth.get("username"):
        secrets.append(f"{auth['username']}:{auth['password']}")  # what HTTP Basic sends, base64-encoded
    secrets += _url_passwords(resolved)  # a password in a URL is a secret too, and httpx sends it as Basic
    base = path.parent
    for keys in _PATH_KEYS:
        node = resolved
        for k in keys[:-1]:
            node = node.get(k, {})
        last = keys[-1]
        if last in node:
            value = node[last]
            node[last] = [str(base / v) for v in value] if isinstance(value, list) else str(base / value)
    return Target(path=path, data=resolved, secrets=tuple(secrets))
