"""API-01: a document that is not valid OpenAPI fails, with the reason; a document that cannot be had is inconclusive.

Reading (profile notes): a document the system served with 200, or the file the target names, that is not
UTF-8 JSON or YAML, not an object, or nested deeper than the limit is not valid OpenAPI, so API-01 fails. A
document that cannot be fetched (no answer, not 200) or is over the size cap is not judged: inconclusive.
Every other requirement needs the document, so it is inconclusive in all these cases.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.live_session import RunOptions, run_live
from conformance_fixtures.registry_api import TOKEN, document
from tests.conftest import NOW_ARG, load_valid_report
from tests.live_server import serve

from .conftest import write_target


def _served(body: bytes, status: int = 200) -> Starlette:
    async def openapi(request: Request) -> Response:
        return Response(body, status, media_type="application/json")

    async def root(request: Request) -> Response:
        return Response(b"{}", 200, media_type="application/json")

    return Starlette(routes=[Route("/openapi.json", openapi), Route("/", root)])


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Starlette, *,
         openapi: str | None = None) -> dict[str, Any]:
    monkeypatch.setenv("REGISTRY_TOKEN", TOKEN)
    with serve(app) as base_url:
        target = write_target(tmp_path, base_url)
        if openapi is not None:
            target.write_text(target.read_text("utf-8").replace("openapi: /openapi.json", f"openapi: {openapi}"))
        run_live(RunOptions(target_file=target, out_dir=tmp_path / "out", profiles=["openapi-contract"], seed=1,
                            max_examples=5, formats=["json"], now=NOW_ARG))
    return load_valid_report(tmp_path / "out")


def _api01(report: dict[str, Any]) -> dict[str, Any]:
    [result] = [r for r in report["results"] if r["requirement"] == "API-01"]
    others = {r["outcome"] for r in report["results"] if r["requirement"] != "API-01"}
    assert others == {"inconclusive"}, others  # nothing else can be judged without the document
    return result


def _broken(change: Any) -> bytes:
    data = copy.deepcopy(document("3.1.0"))
    change(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(("body", "reason"), [
    (b"<html><body>Swagger UI</body></html>", "must be a JSON/YAML object"),  # YAML reads it as one string
    (b'{"openapi": "3.1.0", "paths": {', "neither valid JSON nor valid YAML"),
    (b"\xff\xfe{\"openapi\": 1}", "not UTF-8"),
    (b"[1, 2, 3]", "must be a JSON/YAML object"),
    (b"[" * 50_000 + b"]" * 50_000, "nested"),
    (_broken(lambda d: d["paths"]["/items"]["get"]["responses"].__setitem__(
        "200", {"$ref": "#/components/responses/Missing"})), "#/components/responses/Missing"),
    (_broken(lambda d: d["paths"]["/items"]["get"]["responses"].__setitem__(
        "200", {"$ref": "https://example.invalid/shared.yaml#/Ok"})), "https://example.invalid/shared.yaml"),
    (_broken(lambda d: d.pop("info")), "info"),
], ids=["html", "truncated", "not-utf8", "array", "deep", "unresolved-ref", "external-ref", "no-info"])
def test_a_served_document_that_is_not_valid_openapi_fails_api01(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  body: bytes, reason: str) -> None:
    report = _run(tmp_path, monkeypatch, _served(body))
    result = _api01(report)
    assert result["outcome"] == "fail", result
    assert result["message"].startswith("API-01: the document is not valid OpenAPI") and reason in result["message"]
    assert report["verdict"] == "non-conformant"


def test_a_document_file_that_is_not_valid_openapi_fails_api01(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "api.yaml").write_text("openapi: 3.1.0\npaths: [unclosed\n", "utf-8")
    result = _api01(_run(tmp_path, monkeypatch, _served(b"{}"), openapi=str(tmp_path / "api.yaml")))
    assert result["outcome"] == "fail" and "neither valid JSON nor valid YAML" in result["message"]


@pytest.mark.parametrize(("status", "openapi", "reason"), [
    (404, None, "answered 404, not 200"),
    (200, "missing.yaml", "cannot read the API document"),
], ids=["not-found", "missing-file"])
def test_a_document_that_cannot_be_had_leaves_api01_inconclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 status: int, openapi: str | None,
                                                                 reason: str) -> None:
    report = _run(tmp_path, monkeypatch, _served(b"{}", status), openapi=openapi)  # relative: beside the target
    result = _api01(report)
    assert result["outcome"] == "inconclusive" and reason in result["message"], result
    assert report["verdict"] == "inconclusive"
