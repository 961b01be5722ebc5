"""Status packages: the status table per recipient, take-back (13/15/16), roles, and who sees the statuses."""

from __future__ import annotations

from datetime import datetime

import pytest

from conformance_fixtures.exchange_platform import status_table
from tests.exchange_platform.conftest import Api, document_id, edoc, problem, status

S, R1, R2 = "SENDER", "R1", "R2"


def refused(history: list[tuple[str, str]], code: str, by: str, recipients: tuple[str, ...] = (R1,)) -> bool:
    return status_table.refusal(history, code, by, recipients) is not None


@pytest.mark.parametrize("codes", [
    ["03"], ["01", "03"], ["02"], ["01", "02"], ["03", "04", "05", "05", "06"], ["03", "06"], ["03", "05", "06"],
    ["03", "04", "06"],
])
def test_allowed_recipient_sequences(codes: list[str]) -> None:
    history: list[tuple[str, str]] = []
    for code in codes:
        assert not refused(history, code, R1), (history, code)
        history.append((code, R1))


@pytest.mark.parametrize(("before", "code"), [
    ([], "04"), ([], "05"), ([], "06"), (["01"], "01"), (["01"], "04"), (["02"], "03"), (["02"], "01"),
    (["02"], "04"), (["03"], "02"), (["03"], "03"), (["03"], "01"), (["03", "05"], "04"), (["03", "06"], "05"),
    (["03", "06"], "06"), (["03", "04"], "04"), ([], "15"), ([], "16"), (["02"], "15"),
])
def test_forbidden_recipient_transitions(before: list[str], code: str) -> None:
    assert refused([(c, R1) for c in before], code, R1)


def test_take_back_is_answered_once_and_not_after_06() -> None:
    assert not refused([], "13", S)
    assert refused([("13", S)], "13", S)  # still waiting
    assert not refused([("13", S)], "15", R1)
    assert refused([("13", S), ("15", R1)], "16", R1)  # answered already
    assert not refused([("13", S), ("16", R1)], "13", S)  # a new request
    assert not refused([("03", R1), ("05", R1)], "13", S)
    assert refused([("03", R1), ("06", R1)], "13", S)
    assert not refused([("02", R1)], "13", S)  # "nothing follows 02" is about the recipient
    assert not refused([("02", R1), ("13", S)], "13", S)  # a rejecting recipient owes no answer


def test_take_back_with_several_recipients() -> None:
    both = (R1, R2)
    assert not refused([("03", R1), ("06", R1)], "13", S, both)  # R2 has not finished
    asked = [("03", R1), ("06", R1), ("13", S)]
    assert refused(asked, "15", R1, both)  # R1 had finished: the request was not addressed to it
    assert not refused(asked, "16", R2, both)
    assert refused(asked, "13", S, both)  # R2 has not answered yet
    assert not refused([*asked, ("16", R2)], "13", S, both)
    assert refused([("03", R1), ("06", R1), ("03", R2), ("06", R2)], "13", S, both)
    # a recipient whose track closes while a request waits owes no answer any more
    waiting = [("03", R1), ("01", R2), ("13", S), ("06", R1)]
    assert refused(waiting, "13", S, both) and refused(waiting, "15", R1, both)
    assert not refused([*waiting, ("02", R2)], "13", S, both)


def test_wrong_party() -> None:
    assert status_table.wrong_party("03", is_sender=True, is_recipient=False)
    assert status_table.wrong_party("13", is_sender=False, is_recipient=True)
    assert status_table.wrong_party("15", is_sender=True, is_recipient=False)
    assert not status_table.wrong_party("13", is_sender=True, is_recipient=False)
    assert not status_table.wrong_party("03", is_sender=True, is_recipient=True)


# ------------------------------------------------------------------------------------------------ over HTTP

def _document(api: Api, *recipients: object) -> tuple[str, str]:
    package = edoc(api.a, *(recipients or (api.b,)))
    return api.sent(api.a, package), document_id(package)


def _codes(api: Api, doc_id: str) -> list[tuple[str, str]]:
    response = api.get(api.a, f"/v1/edocs/{doc_id}/status")
    assert response.status_code == 200
    return [(s["statusCode"], s["from"]) for s in response.json()]


def test_statuses_are_recorded_in_order_and_reach_the_sender(api: Api) -> None:
    doc_id, answered = _document(api)
    for code in ("01", "03", "04", "05", "05", "06"):
        response = api.post_status(api.b, doc_id, status(code, api.b, answered))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["statusCode"] == code and body["from"] == api.b.organ_id
        datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert _codes(api, doc_id) == [(c, api.b.organ_id) for c in ("01", "03", "04", "05", "05", "06")]
    listed = api.get(api.b, f"/v1/edocs/{doc_id}/status").json()
    stamps = [s["timestamp"] for s in listed]
    assert stamps == sorted(stamps)


def test_forbidden_transitions_are_409_and_not_recorded(api: Api) -> None:
    doc_id, answered = _document(api)
    assert api.post_status(api.b, doc_id, status("04", api.b, answered)).status_code == 409
    assert api.post_status(api.b, doc_id, status("02", api.b, answered)).status_code == 201
    for code in ("03", "04", "06", "02"):
        assert api.post_status(api.b, doc_id, status(code, api.b, answered)).status_code == 409, code
    assert _codes(api, doc_id) == [("02", api.b.organ_id)]


def test_take_back_over_http(api: Api) -> None:
    doc_id, answered = _document(api)
    assert api.post_status(api.b, doc_id, status("15", api.b, answered)).status_code == 409  # nothing pending
    assert api.post_status(api.a, doc_id, status("13", api.a, answered)).status_code == 201
    assert api.post_status(api.a, doc_id, status("13", api.a, answered)).status_code == 409  # one is pending
    assert api.post_status(api.b, doc_id, status("16", api.b, answered)).status_code == 201
    assert api.post_status(api.b, doc_id, status("15", api.b, answered)).status_code == 409  # answered
    assert api.post_status(api.b, doc_id, status("03", api.b, answered)).status_code == 201
    assert api.post_status(api.b, doc_id, status("06", api.b, answered)).status_code == 201
    assert api.post_status(api.a, doc_id, status("13", api.a, answered)).status_code == 409  # after 06
    assert [c for c, _ in _codes(api, doc_id)] == ["13", "16", "03", "06"]


def test_take_back_after_a_rejection_is_allowed(api: Api) -> None:
    doc_id, answered = _document(api)
    assert api.post_status(api.b, doc_id, status("02", api.b, answered)).status_code == 201
    assert api.post_status(api.a, doc_id, status("13", api.a, answered)).status_code == 201


def test_wrong_party_is_403_even_where_the_table_would_say_409(api: Api) -> None:
    doc_id, answered = _document(api)
    assert api.post_status(api.a, doc_id, status("03", api.a, answered)).status_code == 403  # sender sends 03
    assert api.post_status(api.b, doc_id, status("13", api.b, answered)).status_code == 403  # recipient sends 13
    assert api.post_status(api.b, doc_id, status("03", api.b, answered)).status_code == 201
    assert api.post_status(api.b, doc_id, status("06", api.b, answered)).status_code == 201
    # now 13 is forbidden by the table too (after 06), but a recipient sending it is a role error first
    response = api.post_status(api.b, doc_id, status("13", api.b, answered))
    assert response.status_code == 403 and "sender" in problem(response)["detail"]


def test_status_from_must_be_the_caller(api: Api) -> None:
    doc_id, answered = _document(api, api.b, api.c)
    response = api.post_status(api.b, doc_id, status("03", api.c, answered))
    assert response.status_code == 403


def test_response_for_must_name_the_document(api: Api) -> None:
    doc_id, _ = _document(api)
    _, other = _document(api)
    response = api.post_status(api.b, doc_id, status("03", api.b, other))
    assert response.status_code == 400 and "ResponseFor/DocumentId" in problem(response)["detail"]


def test_an_invalid_status_package_is_400_with_ids(api: Api) -> None:
    doc_id, answered = _document(api)
    response = api.post_status(api.b, doc_id, status("07", api.b, answered))
    assert response.status_code == 400 and "STS-02" in {e["requirement"] for e in problem(response)["errors"]}
    response = api.post_status(api.b, doc_id, edoc(api.b, api.a))
    assert response.status_code == 400 and "e-document" in problem(response)["detail"]


def test_status_for_a_missing_document_is_404(api: Api) -> None:
    _, answered = _document(api)
    assert api.post_status(api.b, "missing-doc", status("03", api.b, answered)).status_code == 404
    assert api.get(api.b, "/v1/edocs/missing-doc/status").status_code == 404


def test_each_recipient_has_its_own_track(api: Api) -> None:
    doc_id, answered = _document(api, api.b, api.c)
    assert api.post_status(api.b, doc_id, status("03", api.b, answered)).status_code == 201
    assert api.post_status(api.c, doc_id, status("02", api.c, answered)).status_code == 201
    assert api.post_status(api.b, doc_id, status("06", api.b, answered)).status_code == 201
    assert api.post_status(api.c, doc_id, status("04", api.c, answered)).status_code == 409
    # the take-back now asks nobody (B finished, C rejected), but 06 is not reached by every recipient
    assert api.post_status(api.a, doc_id, status("13", api.a, answered)).status_code == 201
    for recipient in (api.b, api.c):
        assert api.post_status(recipient, doc_id, status("15", recipient, answered)).status_code == 409
    assert len(api.get(api.c, f"/v1/edocs/{doc_id}/status").json()) == 4
