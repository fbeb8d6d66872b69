"""The REST service `presenceRegistration` v1 over real HTTP with OAuth bearer tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from presence.clock import BRUSSELS
from presence.domain import scopes
from presence.sources.simulation import PUBLIC_BIS as POSTED_WORKER
from presence.sources.simulation import PUBLIC_CLEANING_CLIENT, PUBLIC_OTHER_ENTERPRISE
from presence.sources.simulation import PUBLIC_FOREIGN_EMPLOYER as FOREIGN_EMPLOYER

from ...helpers import CLEANING_SITE, CLIENT, EMPLOYER, WORKER, run_checks
from .test_token_endpoint import make_client

BASE = "/REST/presenceRegistration/v1"
PROBLEM = "application/problem+json"


class Api:
    def __init__(self, server, token):
        self.base = server + BASE
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **options):
        return httpx.get(self.base + path, headers=options.pop("headers", self.headers), timeout=30, **options)

    def post(self, path, json=None, **options):
        return httpx.post(self.base + path, json=json, headers=options.pop("headers", self.headers), timeout=30,
                          **options)


def token(server, runtime, clock, scope, enterprise=EMPLOYER, key_type="rsa", **options) -> str:
    answer = make_client(server, runtime, clock, key_type, scope=[scope], enterprise=enterprise, **options).request()
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.fixture
def api(server, runtime, clock) -> Api:
    return Api(server, token(server, runtime, clock, scopes.REST_ENTERPRISE))


@pytest.fixture
def professional(server, runtime, clock) -> Api:
    """Consultation only (an enterprise has one account: another enterprise's)."""
    return Api(server, token(server, runtime, clock, scopes.REST_PROFESSIONAL, CLIENT))


def item(clock, type_="in", ago=timedelta(0), **changes) -> dict:
    values = {
        "registrationDate": (clock.now() - ago).astimezone(BRUSSELS).isoformat(),
        "ssin": WORKER,
        "type": type_,
        "employer": {"enterpriseNumber": EMPLOYER},
        "placeOfWork": {"coordinates": {"longitude": 4.3517, "latitude": 50.8466}},
        "contractualRelationshipReference": CLEANING_SITE,
        "customReference": "clock-42",
        "activity": "OFFICE",
    }
    values.update(changes)
    return values


def register(api, *items) -> list[dict]:
    answer = api.post("/presenceRegistrations/registerInBulk", {"items": list(items)})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def assert_problem(answer, status, type_) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["type"] == type_ and body["status"] == status and body["title"]
    assert WORKER not in answer.text
    return body


# --- register, get, search, cancel ------------------------------------------------------------------------

def test_register_an_in_and_an_out_then_get_them_with_their_shift(api, runtime, clock):
    results = register(api, item(clock, "IN", ago=timedelta(minutes=8)),
                       item(clock, "out", placeOfWork={"address": {
                           "postCode": "1000", "municipalityName": "Bruxelles", "streetName": "Rue Haute",
                           "houseNumber": "12", "boxNumber": "B"}}))
    assert [set(r) for r in results] == [{"createdPresenceRegistration"}] * 2
    first, second = (r["createdPresenceRegistration"] for r in results)
    assert first["type"] == "in" and second["type"] == "out"
    assert first["registrationDate"] == "2026-03-03T09:22:00+01:00"
    assert second["registrationDate"] == "2026-03-03T09:30:00+01:00"
    assert first["validity"] == "pending" and first["status"]["code"] == "registered"
    assert first["channel"] == "REST" and first["customReference"] == "clock-42" and first["activity"] == "OFFICE"
    assert first["employer"] == {"enterpriseNumber": EMPLOYER}
    assert first["placeOfWork"] == {"coordinates": {"longitude": 4.3517, "latitude": 50.8466}}
    assert second["placeOfWork"]["address"]["boxNumber"] == "B"
    assert first["contractualRelationshipReference"] == CLEANING_SITE
    assert int(second["id"]) > int(first["id"])

    run_checks(runtime)
    answer = api.get(f"/presenceRegistrations/{second['id']}")
    assert answer.status_code == 200, answer.text
    presence = answer.json()
    assert presence["id"] == second["id"] and presence["ssin"] == WORKER
    assert presence["worker"]["givenName"] and presence["worker"]["familyName"]
    assert presence["validity"] in ("valid", "invalid")
    for remark in presence["remarks"]:
        assert remark["code"].startswith("CAW_") and set(remark["labels"]) == {"fr", "nl", "de", "en"}
    assert presence["shift"] == {"start": "2026-03-03T09:22:00+01:00", "end": "2026-03-03T09:30:00+01:00",
                                 "breaks": [], "workedDuration": "PT8M", "open": False, "forgottenOut": False}


def test_an_out_without_in_gets_its_remark_with_labels(api, runtime, clock):
    [result] = register(api, item(clock, "out"))
    run_checks(runtime)
    presence = api.get(f"/presenceRegistrations/{result['createdPresenceRegistration']['id']}").json()
    [remark] = [r for r in presence["remarks"] if r["code"] == "CAW_18"]
    assert remark["labels"]["en"] == "Check-out without check-in" and remark["labels"]["fr"]
    assert presence["validity"] == "invalid"


def test_an_open_shift(api, clock):
    [result] = register(api, item(clock, "in"))
    presence = api.get(f"/presenceRegistrations/{result['createdPresenceRegistration']['id']}").json()
    assert presence["shift"]["open"] is True and "end" not in presence["shift"]


def test_an_item_refused_per_item_in_order(api, clock):
    results = register(api, item(clock, ago=timedelta(minutes=20)), item(clock),
                       item(clock, type_="sideways", activity="JUGGLING"))
    assert set(results[0]) == {"notCreatedPresenceRegistration"}
    [error] = results[0]["notCreatedPresenceRegistration"]["errorList"]
    assert error["errorCode"] == "16" and "10 minutes" in error["errorDescription"]
    assert set(results[1]) == {"createdPresenceRegistration"}
    codes = {e["errorCode"] for e in results[2]["notCreatedPresenceRegistration"]["errorList"]}
    assert codes == {"17", "20"}


def test_search_with_paging_and_next(api, professional, clock):
    """The professional scope consults too (another enterprise: it sees none of these)."""
    register(api, *[item(clock, "in" if i % 2 == 0 else "out", ago=timedelta(minutes=i)) for i in range(5)])
    day = {"startDate": "2026-03-03T00:00:00+01:00", "endDate": "2026-03-03T23:59:59+01:00"}
    body = {"criteria": {"registrationDate": day, "contractualRelationshipReference": CLEANING_SITE}}
    answer = api.post("/presenceRegistrations/search?page=1&pageSize=2", body)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert (page["page"], page["pageSize"], page["total"], page["totalPages"]) == (1, 2, 5, 3)
    assert len(page["items"]) == 2 and "shift" in page["items"][0]
    assert "page=2" in page["next"] and page["next"].startswith(api.base)
    last = httpx.post(page["next"].replace("page=2", "page=3"), json=body, headers=api.headers, timeout=30).json()
    assert len(last["items"]) == 1 and "next" not in last
    second = httpx.post(page["next"], json=body, headers=api.headers, timeout=30).json()
    seen = [p["id"] for p in page["items"] + second["items"] + last["items"]]
    assert len(set(seen)) == 5

    ins = api.post("/presenceRegistrations/search", {**body, "criteria": {**body["criteria"], "type": "IN"},
                                                     "sort": {"field": "registrationDate", "order": "desc"}}).json()
    assert ins["total"] == 3 and {p["type"] for p in ins["items"]} == {"in"}
    dates = [p["registrationDate"] for p in ins["items"]]
    assert dates == sorted(dates, reverse=True)
    outsider = professional.post("/presenceRegistrations/search", body)
    assert outsider.status_code == 200 and outsider.json()["total"] == 0
    other_day = {"startDate": "2026-03-02T00:00:00+01:00", "endDate": "2026-03-02T23:59:59+01:00"}
    assert api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": other_day}}).json()[
        "total"] == 0


def test_cancel(api, professional, clock):
    [result] = register(api, item(clock))
    presence_id = result["createdPresenceRegistration"]["id"]
    assert_problem(professional.post(f"/presenceRegistrations/{presence_id}/cancel", {"reason": "HOLIDAY"}),
                   403, "urn:problem-type:belgif:missingPermission")
    answer = api.post(f"/presenceRegistrations/{presence_id}/cancel", {"reason": "planning"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"]["code"] == "cancelled"
    assert api.get(f"/presenceRegistrations/{presence_id}").json()["status"]["code"] == "cancelled"
    again = assert_problem(api.post(f"/presenceRegistrations/{presence_id}/cancel", {"reason": "HOLIDAY"}),
                           409, "urn:problem-type:presence:conflict")
    assert again["errorCode"] == "8"
    wrong = assert_problem(api.post(f"/presenceRegistrations/{presence_id}/cancel", {"reason": "BORED"}),
                           400, "urn:problem-type:belgif:badRequest")
    assert wrong["issues"][0]["name"] == "reason" and "11" in wrong["issues"][0]["detail"]
    assert_problem(api.post("/presenceRegistrations/999999/cancel", {"reason": "HOLIDAY"}),
                   404, "urn:problem-type:belgif:resourceNotFound")


@pytest.mark.parametrize("curve", ["p-384", "p-521"])
def test_a_time_clock_with_an_ec_key_registers_consults_and_cancels(server, runtime, clock, curve):
    ec_api = Api(server, token(server, runtime, clock, scopes.REST_ENTERPRISE, key_type="ec", curve=curve))
    [result] = register(ec_api, item(clock))
    presence_id = result["createdPresenceRegistration"]["id"]
    assert ec_api.get(f"/presenceRegistrations/{presence_id}").json()["id"] == presence_id
    window = {"startDate": (clock.now() - timedelta(hours=1)).isoformat(),
              "endDate": (clock.now() + timedelta(hours=1)).isoformat()}
    found = ec_api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": window}}).json()
    assert presence_id in [p["id"] for p in found["items"]]
    cancelled = ec_api.post(f"/presenceRegistrations/{presence_id}/cancel", {"reason": "planning"})
    assert cancelled.status_code == 200 and cancelled.json()["status"]["code"] == "cancelled"


def test_a_foreign_employer_s_account_registers_and_consults_its_posted_worker(server, runtime, clock):
    """A foreign enterprise (a VAT number, no KBO/BCE number) gets an account, a token, and registers by REST."""
    foreign = Api(server, token(server, runtime, clock, scopes.REST_ENTERPRISE, enterprise=FOREIGN_EMPLOYER))
    [result] = register(foreign, item(clock, ssin=POSTED_WORKER, employer={"foreignVatNumber": FOREIGN_EMPLOYER}))
    created = result["createdPresenceRegistration"]
    assert created["employer"] == {"foreignVatNumber": FOREIGN_EMPLOYER}

    presence = foreign.get(f"/presenceRegistrations/{created['id']}")
    assert presence.status_code == 200, presence.text
    day = {"startDate": "2026-03-03T00:00:00+01:00", "endDate": "2026-03-03T23:59:59+01:00"}
    found = foreign.post("/presenceRegistrations/search", {"criteria": {
        "registrationDate": day, "employer": {"foreignVatNumber": FOREIGN_EMPLOYER}}})
    assert [p["id"] for p in found.json()["items"]] == [created["id"]]
    cancelled = foreign.post(f"/presenceRegistrations/{created['id']}/cancel", {"reason": "planning"})
    assert cancelled.status_code == 200, cancelled.text


# --- reference data ---------------------------------------------------------------------------------------

def test_ref_data(professional):
    remarks = professional.get("/refData/remarks").json()["items"]
    assert len(remarks) == 19 and remarks[13]["code"] == "CAW_14"
    assert set(remarks[0]["labels"]) == {"fr", "nl", "de", "en"}
    assert professional.get("/refData/remarks/CAW_14").json()["labels"]["en"] == "This presence was already registered"
    activities = professional.get("/refData/activities").json()["items"]
    assert {a["code"] for a in activities} >= {"OFFICE", "WINDOWS"}
    assert professional.get("/refData/activities/windows").json()["labels"]["nl"] == "Glazenwassen"
    assert_problem(professional.get("/refData/remarks/CAW_99"), 404, "urn:problem-type:belgif:resourceNotFound")
    assert_problem(professional.get("/refData/activities/NOPE"), 404, "urn:problem-type:belgif:resourceNotFound")


# --- problems ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token-at-all-but-long-enough", "Basic abc"])
def test_invalid_token_401(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    answer = api.get("/refData/remarks", headers=headers)
    assert_problem(answer, 401, "urn:problem-type:belgif:invalidAccessToken")
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("authorization", [None, "Basic abc"])
def test_registering_without_a_token_is_401_whatever_the_body(api, clock, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    for body in ({"items": [item(clock)]}, {"items": "not a list"}):
        answer = api.post("/presenceRegistrations/registerInBulk", body, headers=headers)
        assert_problem(answer, 401, "urn:problem-type:belgif:invalidAccessToken")


def test_registering_with_an_unknown_token_is_401_whatever_the_body(api, clock):
    for body in ({"items": [item(clock)]}, {"items": "not a list"}):
        answer = api.post("/presenceRegistrations/registerInBulk", body,
                          headers={"Authorization": "Bearer not-a-token-at-all-but-long-enough"})
        assert_problem(answer, 401, "urn:problem-type:belgif:invalidAccessToken")
        assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_the_token_is_judged_before_the_body_even_when_remembered(api, professional, clock):
    for _ in range(2):  # the second time, this process remembers having verified the token
        answer = professional.post("/presenceRegistrations/registerInBulk", {"items": "not a list"})
        assert_problem(answer, 403, "urn:problem-type:belgif:missingPermission")
        answer = api.post("/presenceRegistrations/registerInBulk", {"items": "not a list"})
        assert_problem(answer, 400, "urn:problem-type:belgif:badRequest")


def test_professional_may_not_register(professional, clock):
    answer = professional.post("/presenceRegistrations/registerInBulk", {"items": [item(clock)]})
    assert_problem(answer, 403, "urn:problem-type:belgif:missingPermission")


def test_unknown_id_404(api):
    assert_problem(api.get("/presenceRegistrations/987654321"), 404, "urn:problem-type:belgif:resourceNotFound")
    bad = assert_problem(api.get("/presenceRegistrations/abc"), 400, "urn:problem-type:belgif:badRequest")
    assert bad["issues"][0]["in"] == "path" and bad["issues"][0]["name"] == "id"
    assert_problem(api.get("/nowhere"), 404, "urn:problem-type:belgif:resourceNotFound")


def test_malformed_body_names_the_field_and_never_echoes_an_ssin(api, clock):
    broken = item(clock, ssin=12345678901)
    broken.pop("type")
    answer = api.post("/presenceRegistrations/registerInBulk",
                      {"items": [item(clock), item(clock), item(clock), broken,
                                 item(clock, employer={"enterpriseNumber": EMPLOYER, "foreignVatNumber": "FR1"})]})
    body = assert_problem(answer, 400, "urn:problem-type:belgif:badRequest")
    issues = {i["name"]: i for i in body["issues"]}
    assert {"items[3].type", "items[3].ssin", "items[4].employer"} <= set(issues)
    assert all(i["in"] == "body" and i["type"] and i["title"] and i["detail"] for i in body["issues"])
    assert "value" not in issues["items[3].ssin"] and "12345678901" not in answer.text

    not_json = api.post("/presenceRegistrations/registerInBulk", content=b"{oops",
                        headers={**api.headers, "Content-Type": "application/json"})
    assert_problem(not_json, 400, "urn:problem-type:belgif:badRequest")
    query = api.post("/presenceRegistrations/search?pageSize=501", {"criteria": {"registrationDate": {
        "startDate": "2026-03-03T00:00:00+01:00", "endDate": "2026-03-03T23:00:00+01:00"}}})
    issue = assert_problem(query, 400, "urn:problem-type:belgif:badRequest")["issues"][0]
    assert (issue["in"], issue["name"], issue["value"]) == ("query", "pageSize", "501")
    missing = assert_problem(api.post("/presenceRegistrations/search", {"criteria": {}}), 400,
                             "urn:problem-type:belgif:badRequest")
    assert missing["issues"][0]["name"] == "criteria.registrationDate"


@pytest.mark.parametrize("count", [0, 201])
def test_batch_size_400(api, clock, count):
    answer = api.post("/presenceRegistrations/registerInBulk", {"items": [item(clock)] * count})
    body = assert_problem(answer, 400, "urn:problem-type:belgif:badRequest")
    assert body["issues"][0]["name"] == "items"


# --- the OpenAPI document ---------------------------------------------------------------------------------

def test_openapi_document(server):
    answer = httpx.get(server + BASE + "/openapi.json", timeout=30)
    assert answer.status_code == 200
    spec = answer.json()
    assert set(spec["paths"]) == {
        "/presenceRegistrations/registerInBulk", "/presenceRegistrations/{id}", "/presenceRegistrations/search",
        "/presenceRegistrations/{id}/cancel", "/refData/remarks", "/refData/remarks/{code}", "/refData/activities",
        "/refData/activities/{code}", "/placesOfWork/addresses"}
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert {op["operationId"] for op in operations} >= {"registerInBulk", "getPresenceRegistration",
                                                       "searchPresenceRegistrations", "cancelPresenceRegistration"}
    for op in operations:
        assert "422" not in op["responses"] and {"200", "401", "429", "500"} <= set(op["responses"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "Problem" in spec["components"]["schemas"]
    assert httpx.get(server + "/openapi.json", timeout=30).status_code == 404


def test_an_unexpected_error_is_a_problem_that_tells_nothing_personal(api, monkeypatch, caplog):
    from presence.channels.rest import routes

    def broken(*args, **kwargs):
        raise RuntimeError(f"the row of {WORKER} is corrupt")

    monkeypatch.setattr(routes, "get_presence", broken)
    with caplog.at_level("ERROR"):
        answer = api.get("/presenceRegistrations/1")
    body = assert_problem(answer, 500, "urn:problem-type:belgif:internalServerError")
    assert "logged" in body["detail"]
    assert "RuntimeError" in caplog.text and WORKER not in caplog.text


# --- search criteria as a new integrator writes them -------------------------------------------------------

@pytest.mark.parametrize(("criterion", "value", "name"), [
    ("ssin", "780123409612", "criteria.ssin"),  # 12 digits
    ("ssin", "78012340962", "criteria.ssin"),  # wrong check digits
    ("contractualRelationshipReference", "1Y10", "criteria.contractualRelationshipReference"),
    ("employer", {"enterpriseNumber": "0448181967"}, "criteria.employer.enterpriseNumber"),
])
def test_a_malformed_identifier_in_a_search_is_400_not_an_empty_list(api, criterion, value, name):
    day = {"startDate": "2026-03-03", "endDate": "2026-03-03"}
    answer = api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": day, criterion: value}})
    body = assert_problem(answer, 400, "urn:problem-type:belgif:badRequest")
    [issue] = body["issues"]
    assert issue["name"] == name and issue["in"] == "body"
    assert "780123409" not in answer.text  # a personal number is never echoed, even a malformed one


def test_search_by_plain_dates_covers_whole_belgian_days(api, clock):
    register(api, item(clock, "in", ago=timedelta(minutes=5)))
    day = {"startDate": "2026-03-03", "endDate": "2026-03-03"}
    found = api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": day, "ssin": WORKER}})
    assert found.status_code == 200, found.text
    assert found.json()["total"] == 1
    before = {"startDate": "2026-03-01", "endDate": "2026-03-02"}
    assert api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": before}}).json()[
        "total"] == 0
    mixed = {"startDate": "2026-03-03T09:00:00+01:00", "endDate": "2026-03-03"}
    assert api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": mixed}}).json()[
        "total"] == 1
    for wrong in ({"startDate": "2026-03-3", "endDate": "2026-03-03"},
                  {"startDate": "2026-03-03", "endDate": "2026-02-30"},
                  {"startDate": "2026-03-04", "endDate": "2026-03-03"}):
        answer = api.post("/presenceRegistrations/search", {"criteria": {"registrationDate": wrong}})
        assert_problem(answer, 400, "urn:problem-type:belgif:badRequest")


# --- what another enterprise sees -------------------------------------------------------------------------

def test_an_out_registered_by_another_enterprise_shows_it_neither_the_shift_nor_the_name(api, server, runtime,
                                                                                        clock):
    """EMPLOYER's worker checks in on EMPLOYER's workplace; STRANGER, with no role there and no link to him,
    registers an out for him. STRANGER's answers show its own out alone, and no name; those linked to the worker
    (EMPLOYER, the workplace's client) see his name and the whole shift."""
    [ours] = register(api, item(clock, "in", ago=timedelta(minutes=9)))
    check_in = ours["createdPresenceRegistration"]["registrationDate"]
    assert check_in == "2026-03-03T09:21:00+01:00"
    stranger = Api(server, token(server, runtime, clock, scopes.REST_ENTERPRISE, PUBLIC_OTHER_ENTERPRISE))
    [theirs] = register(stranger, item(clock, "out", employer={"enterpriseNumber": PUBLIC_OTHER_ENTERPRISE}))
    out = theirs["createdPresenceRegistration"]
    assert "worker" not in out
    run_checks(runtime)

    day = {"startDate": "2026-03-03T00:00:00+01:00", "endDate": "2026-03-03T23:59:59+01:00"}
    got = stranger.get(f"/presenceRegistrations/{out['id']}")
    found = stranger.post("/presenceRegistrations/search", {"criteria": {"registrationDate": day}})
    assert [p["id"] for p in found.json()["items"]] == [out["id"]]
    for answer, presence in ((got, got.json()), (found, found.json()["items"][0])):
        assert presence["shift"] == {"start": "2026-03-03T09:30:00+01:00", "end": "2026-03-03T09:30:00+01:00",
                                     "breaks": [], "workedDuration": "PT0S", "open": False, "forgottenOut": False}
        assert "worker" not in presence
        assert check_in not in answer.text and "PT9M" not in answer.text

    cleaning_client = Api(server, token(server, runtime, clock, scopes.REST_PROFESSIONAL, PUBLIC_CLEANING_CLIENT))
    for reader in (api, cleaning_client):
        presence = reader.get(f"/presenceRegistrations/{out['id']}").json()
        assert presence["worker"] == {"givenName": "Jan", "familyName": "Janssens"}
        assert presence["shift"]["start"] == check_in and presence["shift"]["workedDuration"] == "PT9M"
