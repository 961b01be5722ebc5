"""The edoc-exchange operations, called as one agency: what the scenarios use to talk to a platform."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.http import HardenedClient, Response
from conformance.live import Identity, LiveContext

from .packages import Agency

__all__ = ["AgencyClient", "evidence", "json_body"]

MAX_PAGES = 50


def json_body(response: Response) -> Any:
    """The response body as JSON, or None when it is not JSON."""
    try:
        return json.loads(response.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def evidence(*responses: Response | None) -> list[dict[str, Any]]:
    """Exchanges as report evidence (masked, cut), for the responses given."""
    return [r.exchange.to_json() for r in responses if r is not None]


@dataclass
class AgencyClient:
    """One identity's view of the platform."""

    identity: Identity
    client: HardenedClient

    @property
    def agency(self) -> Agency:
        """The agency this identity stands for (its name is not needed in packages it sends)."""
        return Agency(self.identity.organ_id or "", self.identity.name)

    async def send(self, package: bytes, content_type: str = "application/xml") -> Response:
        """POST /v1/edocs."""
        return await self.client.request("POST", "/v1/edocs", content=package,
                                         headers={"Content-Type": content_type})

    async def inbox(self, state: str = "all") -> tuple[list[Mapping[str, Any]], list[Response]]:
        """Every inbox item (following ``next`` cursors), and the pages' responses."""
        items: list[Mapping[str, Any]] = []
        pages: list[Response] = []
        params = [("box", "inbox"), ("state", state), ("limit", "100")]
        for _ in range(MAX_PAGES):
            page = await self.client.request("GET", "/v1/edocs", params=params)
            pages.append(page)
            data = json_body(page)
            if page.status != 200 or not isinstance(data, Mapping):
                break
            items += [i for i in data.get("items") or [] if isinstance(i, Mapping)]
            cursor = data.get("next")
            if not isinstance(cursor, str) or not cursor:
                break
            params = [("box", "inbox"), ("state", state), ("limit", "100"), ("cursor", cursor)]
        return items, pages

    async def get(self, doc_id: str) -> Response:
        """GET /v1/edocs/{docId}."""
        return await self.client.request("GET", f"/v1/edocs/{doc_id}")

    async def ack(self, doc_id: str) -> Response:
        """POST /v1/edocs/{docId}/ack."""
        return await self.client.request("POST", f"/v1/edocs/{doc_id}/ack")

    async def post_status(self, doc_id: str, package: bytes) -> Response:
        """POST /v1/edocs/{docId}/status."""
        return await self.client.request("POST", f"/v1/edocs/{doc_id}/status", content=package,
                                         headers={"Content-Type": "application/xml"})

    async def statuses(self, doc_id: str) -> Response:
        """GET /v1/edocs/{docId}/status."""
        return await self.client.request("GET", f"/v1/edocs/{doc_id}/status")


def agency_client(ctx: LiveContext, identity: Identity) -> AgencyClient:
    """A client acting as ``identity``."""
    return AgencyClient(identity, ctx.client(identity))
