"""OAuth 2.0 client credentials (RFC 6749 §4.4): the access token a target's ``auth`` asks the tool to fetch.

``auth: {type: oauth2-client-credentials, token_url, client_id, client_secret, scope}``: the token is fetched
once per process, before anything is judged, through the hardened client (the target's limits and TLS trust).
The client authenticates with HTTP Basic (§2.3.1). The token then serves as the default identity's bearer
token, and is a secret of the run like every other: masked wherever it could be written.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from urllib.parse import quote_plus, urlencode

import httpx

from .errors import ConfigError
from .http import HardenedClient, HttpFailure, HttpLimits
from .target import Target

__all__ = ["OAUTH2", "fetch_token", "needs_token", "with_fetched_token"]

OAUTH2 = "oauth2-client-credentials"
_NEEDED = ("token_url", "client_id", "client_secret")


def needs_token(target: Target) -> bool:
    """Whether the target's default caller is the OAuth client (``auth``), not declared ``identities``."""
    return (target.data.get("auth") or {}).get("type") == OAUTH2 and not target.data.get("identities")


def with_fetched_token(target: Target) -> Target:
    """``target`` with the access token its ``auth`` fetches, when its callers need one; else ``target``."""
    return target.with_token(asyncio.run(fetch_token(target))) if needs_token(target) else target


async def fetch_token(target: Target) -> str:
    """The access token the authorization server gives the target's client; ConfigError with the fix otherwise."""
    auth = target.data.get("auth") or {}
    missing = [f"auth.{key}" for key in _NEEDED if not auth.get(key)]
    if missing:
        raise ConfigError(f"auth type {OAUTH2} needs {', '.join(missing)}",
                          hint="add token_url (a URL, or a path on base_url), client_id and "
                               "client_secret: ${env:NAME} under auth")
    url = _token_url(target, str(auth["token_url"]))
    form = {"grant_type": "client_credentials", **({"scope": str(auth["scope"])} if auth.get("scope") else {})}
    pair = f"{quote_plus(str(auth['client_id']))}:{quote_plus(str(auth['client_secret']))}"
    headers = {"Authorization": f"Basic {base64.b64encode(pair.encode()).decode()}", "Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded"}
    ca = target.data.get("tls", {}).get("ca_file")
    origin = str(url.copy_with(path="/", query=None, fragment=None))
    async with HardenedClient(origin, limits=HttpLimits.from_target(target), ca_file=Path(ca) if ca else None,
                              masker=target.masker()) as client:
        try:
            response = await client.request("POST", url.raw_path.decode("ascii"), headers=headers,
                                            content=urlencode(form).encode())
        except HttpFailure as exc:
            raise ConfigError(f"cannot fetch an access token from {url}: {exc.message}",
                              hint="check auth.token_url, that the authorization server answers, and tls.ca_file "
                                   "for its certificate") from None
    answer = _json_object(response.body)
    if response.status != 200:
        said = " ".join(str(answer.get(k, "")) for k in ("error", "error_description")).strip()[:200]
        raise ConfigError(target.masker().mask(
            f"the authorization server refused the client: POST {url} answered {response.status}"
            + (f" ({said})" if said else "")),
            hint="check auth.client_id, the client secret in the environment, and auth.scope")
    token, kind = answer.get("access_token"), answer.get("token_type")
    if not isinstance(token, str) or not token.strip() or not isinstance(kind, str) or kind.lower() != "bearer":
        raise ConfigError(f"POST {url} answered 200 without a bearer access token (RFC 6749 §5.1: access_token "
                          f"and token_type bearer)", hint="point auth.token_url at the token endpoint")
    return token


def _token_url(target: Target, value: str) -> httpx.URL:
    try:
        url = httpx.URL(str(target.data.get("endpoints", {}).get("base_url", ""))).join(value)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigError(f"auth.token_url {value!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"auth.token_url {value!r} must be an http(s) URL, or a path on endpoints.base_url",
                          hint="for example https://id.example.vn/oauth2/token or /oauth2/token")
    return url


def _json_object(body: bytes) -> dict[str, object]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
