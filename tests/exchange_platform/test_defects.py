"""Each defect changes the behaviour it claims, and only by switching it on.

Whether the ``edoc-exchange`` profile catches each defect is proven by the profile's own tests; here
each defect is only shown to do what its description says, next to the clean behaviour it replaces.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from conformance_fixtures.exchange_platform import DEFECTS, Defect, running_platform
from tests.exchange_platform.conftest import Api, Listener, client, document_id, edoc, status
from tests.exchange_platform.test_exchange import with_doctype

EXC_IDS = {f"EXC-{n:02d}" for n in (1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22)}
Start = Callable[..., Api]


def test_every_defect_breaks_a_known_requirement_and_every_requirement_has_one() -> None:
    assert all(isinstance(d, Defect) and d.name == name for name, d in DEFECTS.items())
    assert {d.requirement for d in DEFECTS.values()} == EXC_IDS
    assert all(d.description and len(d.description) < 160 for d in DEFECTS.values())


def test_an_unknown_defect_is_refused_with_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="racy-doc-ids") as raised, running_platform(tmp_path, defects=["nope"]):
        pass
    assert "'nope'" in str(raised.value)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Start a plain-HTTP platform with one defect; ``checked=False`` skips the response checks."""
    with ExitStack() as stack:
        def started(defect: str, *, checked: bool = True) -> Api:
            platform = stack.enter_context(running_platform(tmp_path / defect, tls=False, defects=[defect]))
            http = client(platform) if checked else httpx.Client(base_url=platform.base_url, timeout=20)
            return Api(platform, stack.enter_context(http))

        yield started


def test_drops_null_fields(start: Start) -> None:
    agencies = start("drops-null-fields").http.get("/v1/agencies").json()
    top = next(a for a in agencies if a["organId"] == "000.00.00.G22")
    assert "parentId" not in top
    assert next(a for a in agencies if a["organId"] == "G09.20")["parentId"] == "G09"


def test_crash_on_odd_cursor(start: Start) -> None:
    api = start("crash-on-odd-cursor")
    crashed = api.get(api.a, "/v1/edocs", params={"box": "inbox", "cursor": "é"})
    assert crashed.status_code == 500  # still problem+json, with no traceback: the response hook checks it
    assert api.get(api.a, "/v1/edocs", params={"box": "inbox", "cursor": "garbled"}).status_code == 400
    assert api.get(api.a, "/v1/edocs", params={"box": "inbox"}).status_code == 200


def test_accepts_out_of_range_limit(start: Start) -> None:
    api = start("accepts-out-of-range-limit")
    for limit in ("0", "101", "-5"):
        assert api.get(api.a, "/v1/edocs", params={"box": "inbox", "limit": limit}).status_code == 200
    assert api.get(api.a, "/v1/edocs", params={"box": "inbox", "limit": "ten"}).status_code == 400


def test_plain_text_errors(start: Start) -> None:
    api = start("plain-text-errors", checked=False)
    missing = api.http.get("/v1/nothing")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    wrong = api.http.delete("/v1/agencies")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, OPTIONS"
    assert wrong.headers["content-type"].startswith("text/plain")
    documented = api.http.get("/v1/edocs", params={"box": "inbox"})  # the operations' own errors are unchanged
    assert documented.status_code == 401 and documented.headers["content-type"].startswith("application/problem")


def test_reencodes_packages(start: Start) -> None:
    api = start("reencodes-packages")
    package = edoc(api.a, api.b)
    got = api.get(api.b, f"/v1/edocs/{api.sent(api.a, package)}").content
    assert got != package
    assert document_id(got) == document_id(package)


def test_accepts_invalid_packages(start: Start) -> None:
    api = start("accepts-invalid-packages")
    invalid = edoc(api.a, api.b, promulgation_date="2014/02/30")
    doc_id = api.sent(api.a, invalid)
    assert api.get(api.b, f"/v1/edocs/{doc_id}").content == invalid
    assert api.send(api.a, with_doctype(edoc(api.a, api.b), "<!DOCTYPE edXML>")).status_code == 400


def test_resolves_external_entities(start: Start, listener: Listener) -> None:
    api = start("resolves-external-entities")
    package = edoc(api.a, api.b)
    subject = b"<edXML:Subject>"
    xxe = with_doctype(package.replace(subject, subject + b"&xxe;", 1),
                       f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "{listener.url}/entity">]>')
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{listener.url}/xinclude" parse="text"/>'
    for hostile in (xxe, with_doctype(package, f'<!DOCTYPE edXML SYSTEM "{listener.url}/dtd">'),
                    edoc(api.a, api.b).replace(subject, include.encode() + subject, 1)):
        response = api.send(api.a, hostile)
        assert response.status_code == 400 and "CANARY" not in response.text  # refused all the same
    assert sorted(listener.hits) == ["/dtd", "/entity", "/xinclude"]


def test_duplicates_on_resend(start: Start) -> None:
    api = start("duplicates-on-resend")
    package = edoc(api.a, api.b)
    first, second = api.sent(api.a, package), api.sent(api.a, package)
    assert first != second
    assert [i["documentId"] for i in api.inbox(api.b)].count(document_id(package)) == 2


def test_status_for_missing_document(start: Start) -> None:
    api = start("status-for-missing-document")
    answered = document_id(edoc(api.a, api.b))
    assert api.post_status(api.b, "no-such-doc", status("03", api.b, answered)).status_code == 201
    assert api.get(api.b, "/v1/edocs/no-such-doc/status").status_code == 404
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    # a document that exists but is not the caller's is still 404
    assert api.post_status(api.c, doc_id, status("03", api.c, document_id(package))).status_code == 404


def test_ignores_status_table(start: Start) -> None:
    api = start("ignores-status-table")
    package = edoc(api.a, api.b)
    doc_id, answered = api.sent(api.a, package), document_id(package)
    for code in ("06", "04", "02", "03", "15"):
        assert api.post_status(api.b, doc_id, status(code, api.b, answered)).status_code == 201, code
    assert api.post_status(api.a, doc_id, status("03", api.a, answered)).status_code == 403  # roles still hold


def test_racy_doc_ids(start: Start) -> None:
    api = start("racy-doc-ids")
    sequential = edoc(api.a, api.b)
    assert api.sent(api.a, sequential) == "1"
    assert api.send(api.a, sequential).status_code == 409  # one at a time, nothing is lost
    packages = [edoc(api.b, api.c) for _ in range(20)]
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(len(packages))

    def send(package: bytes) -> None:
        with client(api.platform) as http:
            barrier.wait()
            answers.append(Api(api.platform, http).send(api.b, package))

    threads = [threading.Thread(target=send, args=(p,)) for p in packages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in answers] == [201] * 20  # every send was "accepted"...
    assert len(api.inbox(api.c)) < 20  # ...but some were replaced by others with the same docId


def test_unauthenticated_status_list(start: Start) -> None:
    api = start("unauthenticated-status-list")
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    assert api.post_status(api.b, doc_id, status("03", api.b, document_id(package))).status_code == 201
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        listed = api.http.get(f"/v1/edocs/{doc_id}/status", headers=headers)
        assert listed.status_code == 200 and listed.json()[0]["statusCode"] == "03"
    assert api.get(api.c, f"/v1/edocs/{doc_id}/status").status_code == 404  # a known outsider still is not served
    assert api.http.get(f"/v1/edocs/{doc_id}").status_code == 401


def test_accepts_expired_token(start: Start) -> None:
    api = start("accepts-expired-token")
    expired = {"Authorization": f"Bearer {api.a.expired_token}"}
    assert api.http.get("/v1/edocs", params={"box": "inbox"}, headers=expired).status_code == 200
    assert api.http.get("/v1/edocs", params={"box": "inbox"}, headers={"Authorization": "Bearer x"}).status_code \
        == 401


def test_cross_agency_read(start: Start) -> None:
    api = start("cross-agency-read")
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    assert api.get(api.c, f"/v1/edocs/{doc_id}").content == package
    assert api.ack(api.c, doc_id).status_code == 404
    assert api.get(api.c, f"/v1/edocs/{doc_id}/status").status_code == 404


def test_trusts_from_organid(start: Start) -> None:
    api = start("trusts-from-organid")
    package = edoc(api.b, api.c)
    doc_id = api.sent(api.a, package)  # A's token, B's name
    assert next(i for i in api.inbox(api.c) if i["docId"] == doc_id)["from"] == api.b.organ_id
