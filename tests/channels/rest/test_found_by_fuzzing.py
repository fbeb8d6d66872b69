"""What fuzzing the REST service against its OpenAPI document found (`test_rest_schemathesis.py`, and probes of
the same kinds of input), each kept fixed here: bad input always gets a Belgif bad request naming the field, never
a server error, and changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import httpx
import pytest

from presence.db.models import Registration
from presence.domain import scopes

from ...helpers import CLEANING_SITE, count
from .test_routes import BASE, PROBLEM, Api, assert_problem, item, token

BAD_REQUEST = "urn:problem-type:belgif:badRequest"
DAY = {"startDate": "2026-03-03T00:00:00+01:00", "endDate": "2026-03-03T23:59:59+01:00"}


@pytest.fixture
def api(server, runtime, clock) -> Api:
    return Api(server, token(server, runtime, clock, scopes.REST_ENTERPRISE))


def raw(api: Api, path: str, text: str) -> httpx.Response:
    """A body as written (JSON that `json.dumps` would not write: NaN, lone surrogates)."""
    return api.post(path, content=text.encode(), headers={**api.headers, "Content-Type": "application/json"})


def refused(answer: httpx.Response, name: str, echoed: bool = True) -> dict:
    body = assert_problem(answer, 400, BAD_REQUEST)
    [issue] = [i for i in body["issues"] if i.get("name") == name]
    assert issue["in"] == "body" and issue["detail"]
    assert ("value" in issue) is echoed
    return issue


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused_by_name(api, runtime, clock, number):
    """Was a 500 on both engines: pydantic refused it, and the answer echoing NaN could not be written as JSON."""
    before = count(runtime.db, Registration)
    text = json.dumps({"items": [item(clock)]}).replace("4.3517", number)
    refused(raw(api, "/presenceRegistrations/registerInBulk", text), "items[0].placeOfWork.coordinates.longitude",
            echoed=False)
    assert count(runtime.db, Registration) == before


def test_numbers_are_json_numbers_and_date_times_json_strings(api, runtime, clock):
    """Were accepted (and registered): `true` or `"4.35"` as a coordinate, seconds since 1970 as a date-time —
    which the document, number and date-time string, does not allow."""
    before = count(runtime.db, Registration)
    for coordinates, name in (({"longitude": 4.35, "latitude": True}, "latitude"),
                              ({"longitude": "4.35", "latitude": 50.85}, "longitude")):
        refused(api.post("/presenceRegistrations/registerInBulk", {"items": [
            item(clock, placeOfWork={"coordinates": coordinates})]}), f"items[0].placeOfWork.coordinates.{name}")
    instant = int(clock.now().timestamp())
    refused(api.post("/presenceRegistrations/registerInBulk", {"items": [item(clock, registrationDate=instant)]}),
            "items[0].registrationDate")
    refused(api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": {
        "startDate": 0, "endDate": DAY["endDate"]}}}), "criteria.registrationDate.startDate")
    assert count(runtime.db, Registration) == before


@pytest.mark.parametrize("changes, name", [
    ({"customReference": "clock\x0042"}, "items[0].customReference"),
    ({"placeOfWork": {"address": {"postCode": "1000", "municipalityName": "Bruxelles", "streetName": "Rue\x00",
                                  "houseNumber": "12"}}}, "items[0].placeOfWork.address.streetName"),
])
def test_text_with_a_nul_character_is_refused_by_name(api, runtime, clock, changes, name):
    """Was a 500 on PostgreSQL (a text column cannot hold NUL) once the rest of the item was right."""
    before = count(runtime.db, Registration)
    refused(api.post("/presenceRegistrations/registerInBulk", {"items": [item(clock, **changes)]}), name)
    assert count(runtime.db, Registration) == before
    refused(api.post("/presenceRegistrations/search", {"criteria": {
        "registrationDate": DAY, "contractualRelationshipReference": CLEANING_SITE[:5] + "\x00"}}),
        "criteria.contractualRelationshipReference")


def test_a_lone_surrogate_is_refused_by_name_and_not_echoed(api, runtime, clock):
    """Was a 500 on both engines: `"\\udcff"` is valid JSON but no Unicode text; neither stored nor echoed."""
    before = count(runtime.db, Registration)
    body = json.dumps({"items": [item(clock)]})
    for old, name in (('"clock-42"', "items[0].customReference"), ('"in"', "items[0].type")):
        refused(raw(api, "/presenceRegistrations/registerInBulk", body.replace(old, '"\\udcff"')), name,
                echoed=False)
    assert count(runtime.db, Registration) == before
    refused(raw(api, "/presenceRegistrations/search", json.dumps({"criteria": {
        "registrationDate": DAY, "activity": "OFFICE"}}).replace('"OFFICE"', '"\\udcff"')),
        "criteria.activity", echoed=False)
    refused(raw(api, "/presenceRegistrations/1/cancel", '{"reason": "\\udcff"}'), "reason", echoed=False)


def test_instants_centuries_away_are_no_server_error(api, runtime, clock):
    """Were a 500 on both engines (converting them to UTC or Belgian time overflowed). A registration then is
    refused per item like any outside the real-time window; a search for a period reaching them just searches."""
    before = count(runtime.db, Registration)
    answer = api.post("/presenceRegistrations/registerInBulk", {"items": [
        item(clock, registrationDate="9999-12-31T23:59:59-14:00"),
        item(clock, registrationDate="0001-01-01T00:00:00+14:00")]})
    assert answer.status_code == 200, answer.text
    for result in answer.json()["items"]:
        assert [e["errorCode"] for e in result["notCreatedPresenceRegistration"]["errorList"]] == ["16"]
    assert count(runtime.db, Registration) == before
    for period in ({"startDate": "0001-01-01T00:00:00+14:00", "endDate": "9999-12-31T23:59:59-14:00"},
                   {"startDate": DAY["startDate"], "endDate": "9999-12-31T23:59:59+00:00"}):
        answer = api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": period}})
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] >= 0


@pytest.mark.parametrize("text", ['{"items": [' + "1" * 5000 + "]}", "[" * 5000 + "]" * 5000])
def test_a_body_that_cannot_be_parsed_is_a_belgif_bad_request(api, text):
    """Was FastAPI's bare 400 (`about:blank`, no issues): a number too long for Python, nesting too deep."""
    body = assert_problem(raw(api, "/presenceRegistrations/registerInBulk", text), 400, BAD_REQUEST)
    [issue] = body["issues"]
    assert issue["in"] == "body" and issue["detail"]


def test_the_document_states_the_shape_rules(server, api):
    """The document did not say exactly-one-of (employer, place of work), so generated requests were refused,
    nor the 400 of a code longer than a code can be in the reference-data lookups."""
    spec = httpx.get(server + BASE + "/openapi.json", timeout=30).json()
    found = spec["components"]["schemas"]
    assert [branch["required"] for branch in found["Employer"]["oneOf"]] == [["enterpriseNumber"],
                                                                            ["foreignVatNumber"]]
    assert [branch["required"] for branch in found["PlaceOfWork"]["oneOf"]] == [["coordinates"], ["address"]]
    coordinates = found["Coordinates"]["properties"]
    assert coordinates["longitude"]["type"] == "number" and coordinates["longitude"]["maximum"] == 180
    for path in ("/refData/remarks/{code}", "/refData/activities/{code}"):
        assert "400" in spec["paths"][path]["get"]["responses"]
        assert_problem(api.get(path.replace("{code}", "X" * 41)), 400, BAD_REQUEST)


def test_a_newline_in_a_path_parameter_gets_a_problem(api):
    answer = api.get("/refData/remarks/CAW%0A14")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(PROBLEM)
