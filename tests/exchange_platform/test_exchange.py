"""The edoc-exchange operations of the reference platform: sending, reading, inboxes, access control, errors."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import unicodedata
import urllib.parse
from importlib import resources

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance_fixtures.exchange_platform.agencies import IDENTITY_AGENCIES
from tests.exchange_platform.conftest import (
    XML_HEADERS,
    Api,
    Listener,
    bearer,
    document_id,
    edoc,
    now,
    problem,
    status,
)

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def with_doctype(package: bytes, doctype: str) -> bytes:
    """``package`` with a DOCTYPE after its XML declaration."""
    assert package.startswith(DECLARATION)
    return DECLARATION + doctype.encode() + b"\n" + package[len(DECLARATION):]


# ------------------------------------------------------------------------------------------------ agencies

def test_agencies_need_no_token_and_hold_the_corpus_agencies(api: Api) -> None:
    response = api.http.get("/v1/agencies")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    agencies = {a["organId"]: a for a in response.json()}
    for organ_id in ("000.00.00.G22", "000.00.11.H53", "000.00.00.H53", "G09.20", "H37.02.02"):
        assert organ_id in agencies
    assert agencies["000.00.00.G22"]["name"] == "Văn phòng Chính phủ"
    assert agencies["000.00.11.H53"]["name"] == "Sở Thông tin và Truyền thông tỉnh Tây Ninh"
    assert all(set(a) == {"organId", "name", "parentId"} for a in agencies.values())
    assert all(unicodedata.is_normalized("NFC", a["name"]) for a in agencies.values())
    assert {a["parentId"] for a in agencies.values()} - {None} <= agencies.keys()
    assert agencies["G09.20"]["parentId"] == "G09" and agencies["000.00.00.G22"]["parentId"] is None


def test_identities_are_agencies_with_distinct_random_tokens(api: Api) -> None:
    identities = api.platform.identities
    assert [(i.name, i.organ_id) for i in identities] == list(IDENTITY_AGENCIES)
    tokens = [t for i in identities for t in (i.token, i.expired_token)]
    assert len(set(tokens)) == len(tokens) and all(len(t) >= 32 for t in tokens)
    assert identities[0].token not in repr(identities[0])


def test_openapi_document_is_served_as_json(api: Api) -> None:
    response = api.http.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    text = resources.files("conformance_profiles.edoc_exchange").joinpath("openapi.yaml").read_text("utf-8")
    assert response.json() == yaml.safe_load(text)


# ------------------------------------------------------------------------------------------------- sending

def test_a_package_reaches_every_recipient_byte_for_byte(api: Api) -> None:
    package = edoc(api.a, api.b, api.c)
    response = api.send(api.a, package)
    assert response.status_code == 201
    created = response.json()
    assert created["documentId"] == document_id(package)
    assert created["recipients"] == [api.b.organ_id, api.c.organ_id]
    assert response.headers["location"] == f"/v1/edocs/{created['docId']}"
    for reader in (api.a, api.b, api.c):
        got = api.get(reader, f"/v1/edocs/{created['docId']}")
        assert got.status_code == 200
        assert got.headers["content-type"].split(";")[0] == "application/xml"
        assert hashlib.sha256(got.content).digest() == hashlib.sha256(package).digest()
    for recipient in (api.b, api.c):
        item = next(i for i in api.inbox(recipient) if i["docId"] == created["docId"])
        assert item["documentId"] == document_id(package) and item["from"] == api.a.organ_id
    assert all(i["docId"] != created["docId"] for i in api.inbox(api.a, state="all"))


def test_byte_identity_keeps_bom_odd_whitespace_and_vietnamese(api: Api) -> None:
    package = b"\xef\xbb\xbf" + edoc(api.b, api.a).replace(b"\n", b"\r\n").replace(b"?>", b" ?>", 1)
    doc_id = api.sent(api.b, package)
    assert api.get(api.a, f"/v1/edocs/{doc_id}").content == package


def test_sending_as_another_agency_is_403(api: Api) -> None:
    response = api.send(api.a, edoc(api.b, api.c))
    assert response.status_code == 403
    assert api.b.organ_id in problem(response)["detail"]


def test_unknown_recipient_is_422(api: Api) -> None:
    response = api.send(api.a, edoc(api.a, api.b, "000.00.99.H53"))
    assert response.status_code == 422
    assert "000.00.99.H53" in problem(response)["detail"]


def test_resend_of_a_document_id_is_409_naming_the_first_doc_id(api: Api) -> None:
    package = edoc(api.a, api.b)
    first = api.sent(api.a, package)
    again = api.send(api.a, package)
    assert again.status_code == 409 and problem(again)["docId"] == first
    assert [i["docId"] for i in api.inbox(api.b, state="all")].count(first) == 1


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/json", "application/xml-dtd", "text/plain"])
def test_a_body_that_is_not_application_xml_is_415(api: Api, content_type: str | None) -> None:
    headers = bearer(api.a) | ({"Content-Type": content_type} if content_type else {})
    response = api.http.post("/v1/edocs", content=edoc(api.a, api.b), headers=headers)
    assert response.status_code == 415


def test_content_type_parameters_are_allowed(api: Api) -> None:
    headers = bearer(api.a) | {"Content-Type": "Application/XML; charset=UTF-8"}
    assert api.http.post("/v1/edocs", content=edoc(api.a, api.b), headers=headers).status_code == 201


@pytest.mark.parametrize(("why", "overrides", "broken"), [
    ("impossible date", {"promulgation_date": "2014/02/30"}, "EDX-08"),
    ("empty subject", {"subject": ""}, "EDX-09"),
    ("priority 9", {"priority": "9"}, "EDX-10"),
])
def test_an_invalid_package_is_400_naming_the_broken_requirements(api: Api, why: str, overrides: dict[str, str],
                                                                   broken: str) -> None:
    package = edoc(api.a, api.b, **overrides)
    response = api.send(api.a, package)
    assert response.status_code == 400, why
    body = problem(response)
    assert broken in {e["requirement"] for e in body["errors"]}
    assert all(e["message"] for e in body["errors"])
    assert all(i["documentId"] != document_id(package) for i in api.inbox(api.b, state="all"))


@pytest.mark.parametrize("body", [b"", b"not xml", b"<edXML/>", b"\xff\xfe<\x00a\x00/>\x00", b"<a>" * 300])
def test_garbage_is_400(api: Api, body: bytes) -> None:
    response = api.send(api.a, body)
    assert response.status_code == 400
    assert problem(response)["errors"]


def test_a_status_package_is_no_e_document(api: Api) -> None:
    response = api.send(api.b, status("03", api.b, document_id(edoc(api.a, api.b))))
    assert response.status_code == 400 and "status package" in problem(response)["detail"]


def test_a_signature_that_does_not_verify_makes_a_package_invalid(api: Api) -> None:
    from conformance_fixtures import edxml_corpus as corpus  # the corpus's own signing helpers

    pki = corpus._make_pki(now())
    signed = corpus._sign(edoc(api.a, api.b), pki.trusted)
    assert api.send(api.a, signed).status_code == 201  # verifies; its chain is inconclusive without anchors
    subject = corpus._SUBJECTS[0].encode()
    tampered = corpus._sign(edoc(api.a, api.b), pki.trusted).replace(subject, subject + " (sửa)".encode())
    response = api.send(api.a, tampered)
    assert response.status_code == 400 and "EDX-18" in {e["requirement"] for e in problem(response)["errors"]}


def _hostile(api: Api, url: str) -> dict[str, bytes]:
    package = edoc(api.a, api.b)
    subject = b"<edXML:Subject>"
    entity_in_subject = package.replace(subject, subject + b"&xxe;", 1)
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}/xinclude" parse="text"/>'
    return {
        "xxe-url": with_doctype(entity_in_subject, f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "{url}/entity">]>'),
        "xxe-file": with_doctype(entity_in_subject, '<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
        "external-dtd": with_doctype(package, f'<!DOCTYPE edXML SYSTEM "{url}/dtd">'),
        "parameter-entity": with_doctype(package, f'<!DOCTYPE edXML [<!ENTITY % p SYSTEM "{url}/dtd"> %p;]>'),
        "billion-laughs": with_doctype(
            package.replace(subject, subject + b"&l9;", 1),
            "<!DOCTYPE edXML [<!ENTITY l0 'lol'>" + "".join(
                f"<!ENTITY l{i} '{f'&l{i - 1};' * 10}'>" for i in range(1, 10)) + "]>"),
        "xinclude": package.replace(subject, include.encode() + subject, 1),
    }


def test_hostile_packages_are_400_and_nothing_is_fetched(api: Api, listener: Listener) -> None:
    for name, package in _hostile(api, listener.url).items():
        started = time.monotonic()
        response = api.send(api.a, package)
        assert response.status_code == 400, name
        assert {e["requirement"] for e in problem(response)["errors"]} == {"EDX-17"}, name
        assert "root:" not in response.text and "CANARY" not in response.text
        assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert listener.hits == []


# ------------------------------------------------------------------------------------- inbox and reading

def test_inbox_pages_follow_arrival_order_with_cursors(api: Api) -> None:
    sent = [api.sent(api.a, edoc(api.a, api.c)) for _ in range(5)]
    everything = api.inbox(api.c, state="all", limit=100)
    paged = api.inbox(api.c, state="all", limit=2)
    assert [i["docId"] for i in paged] == [i["docId"] for i in everything]
    ours = [i["docId"] for i in paged if i["docId"] in sent]
    assert ours == sent
    assert all(i["receivedAt"].endswith("Z") and "T" in i["receivedAt"] for i in paged)


def test_default_page_and_limit(api: Api) -> None:
    response = api.get(api.c, "/v1/edocs", params={"box": "inbox", "limit": 1, "whatever": "ignored"})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "next"} and len(page["items"]) <= 1


def test_ack_takes_a_document_out_of_pending_only_for_the_recipient(api: Api) -> None:
    doc_id = api.sent(api.a, edoc(api.a, api.b, api.c))
    assert doc_id in [i["docId"] for i in api.inbox(api.b)]
    for outsider in (api.a,):  # the sender is no recipient: 404, not 403
        assert api.ack(outsider, doc_id).status_code == 404
    assert api.ack(api.b, doc_id).status_code == 204
    assert api.ack(api.b, doc_id).status_code == 204  # again: still taken
    assert doc_id not in [i["docId"] for i in api.inbox(api.b)]
    assert doc_id in [i["docId"] for i in api.inbox(api.b, state="all")]
    assert doc_id in [i["docId"] for i in api.inbox(api.c)]  # the other recipient has not taken it


def test_a_third_agency_sees_nothing_of_a_document(api: Api) -> None:
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    third = api.c
    for response in (api.get(third, f"/v1/edocs/{doc_id}"), api.ack(third, doc_id),
                     api.get(third, f"/v1/edocs/{doc_id}/status")):
        assert response.status_code == 404
        assert document_id(package) not in response.text
    response = api.post_status(third, doc_id, status("03", third, document_id(package)))
    assert response.status_code == 404
    assert doc_id not in [i["docId"] for i in api.inbox(third, state="all")]


def test_an_unknown_doc_id_is_404(api: Api) -> None:
    for response in (api.get(api.a, "/v1/edocs/nosuchdocument"), api.ack(api.a, "nosuchdocument"),
                     api.get(api.a, "/v1/edocs/nosuchdocument/status")):
        assert response.status_code == 404


@pytest.mark.parametrize("doc_id", ["a" * 65, "a.b", "%C3%A9t%C3%A9", "a%20b", "%ZZ", "%FF", "%2E%2E", "a~b", "*"])
def test_a_malformed_doc_id_is_400(api: Api, doc_id: str) -> None:
    for path in (f"/v1/edocs/{doc_id}", f"/v1/edocs/{doc_id}/status"):
        assert api.get(api.a, path).status_code == 400, path
    assert api.ack(api.a, doc_id).status_code == 400


@pytest.mark.parametrize("params", [
    {}, {"box": "outbox"}, {"box": ""}, {"box": "inbox", "state": "done"}, {"box": "inbox", "state": ""},
    {"box": "inbox", "limit": "0"}, {"box": "inbox", "limit": "101"}, {"box": "inbox", "limit": "-1"},
    {"box": "inbox", "limit": "1.5"}, {"box": "inbox", "limit": "ten"}, {"box": "inbox", "limit": ""},
    {"box": "inbox", "limit": "9" * 5000}, {"box": "inbox", "limit": "٣"}, {"box": "inbox", "cursor": ""},
    {"box": "inbox", "cursor": "x" * 513}, {"box": "inbox", "cursor": "garbled"},
    {"box": "inbox", "cursor": "é" * 512}, {"box": "inbox", "cursor": "A" * 32},
    {"box": "inbox", "cursor": "\x00\ud7ff\U0010ffff"}, {"box": ["inbox", "inbox"]},
])
def test_parameters_the_schema_forbids_are_400(api: Api, params: dict[str, object]) -> None:
    assert api.get(api.a, "/v1/edocs", params=params).status_code == 400


def test_a_cursor_issued_to_another_agency_is_400(api: Api) -> None:
    for _ in range(2):
        api.sent(api.a, edoc(api.a, api.b))
    page = api.get(api.b, "/v1/edocs", params={"box": "inbox", "state": "all", "limit": 1}).json()
    assert page["next"] is not None
    mine = api.get(api.b, "/v1/edocs", params={"box": "inbox", "state": "all", "cursor": page["next"]})
    assert mine.status_code == 200
    theirs = api.get(api.c, "/v1/edocs", params={"box": "inbox", "state": "all", "cursor": page["next"]})
    assert theirs.status_code == 400


def test_odd_raw_requests_never_get_a_5xx(api: Api) -> None:
    odd = ["/v1/edocs?box=%FF%FE", "/v1/edocs?box=inbox&cursor=%E0%A4", "/v1/edocs?box=inbox&limit=%00",
           "/v1/edocs?%%%=&&==", "/v1/edocs/%00", "/v1/edocs/" + "a" * 5000, "/v1//edocs", "/v1/edocs/x/y/z"]
    for path in odd:
        response = api.http.get(path, headers=bearer(api.a))
        assert 400 <= response.status_code < 500, path
    odd_bytes = {"X-Odd": "é".encode() * 4000}  # obs-text, as latin-1 bytes on the wire
    response = api.http.get("/v1/edocs", params={"box": "inbox"}, headers=bearer(api.a) | odd_bytes)
    assert response.status_code == 200


def test_a_request_http_cannot_parse_gets_a_problem_too(api: Api) -> None:
    host, port = api.platform.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GET /v1/agencies HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/problem+json" in head.lower() and b"nosniff" in head
    assert json.loads(body)["status"] == 400


# ------------------------------------------------------------------------------------------ authentication

OPERATIONS = [("GET", "/v1/edocs?box=inbox"), ("POST", "/v1/edocs"), ("GET", "/v1/edocs/{doc}"),
              ("POST", "/v1/edocs/{doc}/ack"), ("GET", "/v1/edocs/{doc}/status"), ("POST", "/v1/edocs/{doc}/status")]


@pytest.fixture(scope="module")
def known_doc(api: Api) -> str:
    return api.sent(api.a, edoc(api.a, api.b))


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_but_agencies_needs_a_valid_token(api: Api, known_doc: str, method: str, path: str) -> None:
    unknown = "Bearer " + "A" * len(api.a.token)
    for authorization in (None, "Basic dXNlcjpwYXNz", "Bearer", f"Bearer {api.a.token} extra", api.a.token,
                          unknown, f"Bearer {api.a.expired_token}", f"Bearer {api.a.token}é".encode()):
        headers: dict[str, str | bytes] = {**XML_HEADERS}
        if authorization is not None:
            headers["Authorization"] = authorization
        response = api.http.request(method, path.format(doc=known_doc), headers=headers,
                                    content=edoc(api.a, api.b) if method == "POST" else None)
        assert response.status_code == 401, authorization
        assert response.headers["www-authenticate"].startswith("Bearer")
    expired = api.http.get("/v1/edocs?box=inbox", headers={"Authorization": f"Bearer {api.a.expired_token}"})
    assert "expired" in expired.headers["www-authenticate"]


def test_two_authorization_headers_are_401(api: Api) -> None:
    headers = [("Authorization", f"Bearer {api.a.token}"), ("Authorization", f"Bearer {api.b.token}")]
    assert api.http.get("/v1/edocs?box=inbox", headers=headers).status_code == 401


# ------------------------------------------------------------------------------------------ HTTP surface

@pytest.mark.parametrize(("path", "allow"), [
    ("/v1/agencies", "GET, OPTIONS"), ("/v1/edocs", "GET, POST, OPTIONS"), ("/v1/edocs/abc", "GET, OPTIONS"),
    ("/v1/edocs/abc/ack", "POST, OPTIONS"), ("/v1/edocs/abc/status", "GET, POST, OPTIONS"),
])
def test_options_and_undocumented_methods_say_allow(api: Api, path: str, allow: str) -> None:
    options = api.http.options(path)
    assert options.status_code == 204 and options.headers["allow"] == allow and options.content == b""
    for method in ("PUT", "DELETE", "PATCH", "HEAD", "TRACE", "CONNECTX"):
        response = api.http.request(method, path, headers=bearer(api.a))
        assert response.status_code == 405, method
        assert response.headers["allow"] == allow


def test_unknown_paths_are_404_and_trace_is_405_everywhere(api: Api) -> None:
    for path in ("/", "/v1", "/v1/edocs/", "/v2/agencies", "/.git/HEAD", "/swagger-ui/", "/actuator"):
        assert api.http.get(path).status_code == 404, path
    trace = api.http.request("TRACE", "/", headers={"X-Canary": "canary-4711"})
    assert trace.status_code == 405 and "canary-4711" not in trace.text


def test_security_headers_hsts_and_csp(api: Api) -> None:
    response = api.http.get("/v1/nothing-here")
    assert "max-age=63072000" in response.headers["strict-transport-security"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


_ODD_TEXT = st.text(max_size=600)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"]), doc_id=_ODD_TEXT,
       params=st.dictionaries(st.sampled_from(["box", "state", "limit", "cursor", "other"]),
                              st.one_of(_ODD_TEXT, st.integers().map(str)), max_size=4),
       body=st.binary(max_size=300), content_type=st.sampled_from([None, "application/xml", "text/plain", "*/*"]))
def test_generated_requests_never_get_a_5xx(api: Api, method: str, doc_id: str, params: dict[str, str], body: bytes,
                                            content_type: str | None) -> None:
    headers = bearer(api.a) | ({"Content-Type": content_type} if content_type else {})
    quoted = urllib.parse.quote(doc_id, safe="") or "x"
    for path in ("/v1/edocs", f"/v1/edocs/{quoted}", f"/v1/edocs/{quoted}/ack", f"/v1/edocs/{quoted}/status"):
        response = api.http.request(method, path, params=params, headers=headers,
                                    content=body if method in ("POST", "PUT") else None)
        assert response.status_code < 500  # and the response hook checks every error is a problem
