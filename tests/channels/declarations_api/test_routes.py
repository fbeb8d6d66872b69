"""The work declarations API over real HTTP with OAuth bearer tokens (scope `scope:presence-declarations`), on
SQLite and PostgreSQL: a declaring contractor's software declares works with two levels of subcontractors, changes
them, ends a subcontract and cancels; a subcontractor's software declares under itself and sees its branch; bad
input is named field by field and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from presence.domain import scopes
from presence.sources import simulation
from presence.sources.models import Contract, WorkDeclaration

from ...conftest import TODAY
from ...helpers import count
from ..rest.test_token_endpoint import make_client

BASE = "/api/declarations/v1"
PROBLEM = "application/problem+json"
CONTRACTOR, SUB, SUB_SUB = simulation.PUBLIC_ENTERPRISE, simulation.PUBLIC_OTHER_ENTERPRISE, simulation.SCENARIO_BUILDER
OTHER, STRANGER = simulation.PUBLIC_CLEANING_CLIENT, simulation._scenario_enterprise(11)


class Api:
    def __init__(self, server, token, language="en"):
        self.base = server + BASE
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}

    def __getattr__(self, method):
        def call(path, **options):
            return httpx.request(method.upper(), self.base + path, headers=options.pop("headers", self.headers),
                                 timeout=30, **options)
        return call


def api(server, runtime, clock, enterprise, scope=scopes.DECLARATIONS, language="en") -> Api:
    answer = make_client(server, runtime, clock, "ec", scope=[scope], enterprise=enterprise).request()
    assert answer.status_code == 200, answer.text
    return Api(server, answer.json()["access_token"], language)


def works(**changes) -> dict:
    body = {"sector": "construction",
            "client": {"enterpriseNumber": simulation.PUBLIC_CLIENT, "name": "Immo Exemplum NV"},
            "workplace": {"street": "Rue Haute", "houseNumber": "12", "postCode": "1000", "municipality": "Bruxelles",
                          "locate": True},
            "description": "Renovation of a school", "startDate": (TODAY - timedelta(days=10)).isoformat(),
            "endDate": (TODAY + timedelta(days=200)).isoformat(), "amount": "620000",
            "actors": [{"role": "architect", "name": "Atelier Lumen"}],
            "subcontractors": [
                {"enterpriseNumber": SUB, "principal": CONTRACTOR, "startDate": TODAY.isoformat(), "amount": "90000"},
                {"enterpriseNumber": SUB_SUB, "principal": SUB, "startDate": TODAY.isoformat(),
                 "endDate": (TODAY + timedelta(days=50)).isoformat(), "activities": "cabling"}]}
    body.update(changes)
    return body


def test_a_declaring_contractor_declares_changes_ends_and_cancels(server, runtime, clock):
    contractor = api(server, runtime, clock, CONTRACTOR)
    answer = contractor.post("/declarations", json=works())
    assert answer.status_code == 201, answer.text
    declared = answer.json()
    number = declared["number"]
    assert answer.headers["location"] == f"{BASE}/declarations/{number}"
    assert declared["url"] == f"{server}/w/{number}" and declared["poster"] == f"{server}/w/{number}/poster.pdf"
    assert (declared["amount"], declared["subjectToRegistration"], declared["origin"]) == ("620000.00", True, "online")
    assert (declared["workplace"]["latitude"], declared["workplace"]["longitude"]) == (50.85045, 4.34878)
    assert [(s["enterpriseNumber"], s["principal"]) for s in declared["subcontractors"]] == [
        (SUB, CONTRACTOR), (SUB_SUB, SUB)]
    assert declared["actors"] == [{"role": "architect", "name": "Atelier Lumen", "enterpriseNumber": None}]
    assert httpx.get(declared["url"]).status_code == 200  # the workplace's page, as the QR code leads to it

    assert number in {d["number"] for d in contractor.get("/declarations").json()["items"]}
    assert contractor.get("/declarations", params={"q": "haute"}).json()["items"][0]["role"] == \
        "declaring_contractor"

    changed = contractor.patch(f"/declarations/{number}", json={"amount": "450000"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["amount"], changed.json()["subjectToRegistration"]) == ("450000.00", False)
    assert changed.json()["startDate"] == works()["startDate"]  # left out: kept
    assert changed.json()["history"][-1]["details"]["amount"] == ["620000.00", "450000.00"]

    ended = contractor.post(f"/declarations/{number}/subcontractors/{SUB}/end",
                            json={"endDate": (TODAY + timedelta(days=30)).isoformat()})
    assert ended.status_code == 200, ended.text
    assert {s["enterpriseNumber"]: s["endDate"] for s in ended.json()["subcontractors"]} == {
        SUB: (TODAY + timedelta(days=30)).isoformat(), SUB_SUB: (TODAY + timedelta(days=30)).isoformat()}
    assert [r["change"] for r in ended.json()["history"]] == ["declared", "changed", "subcontractor_ended"]

    assert contractor.post(f"/declarations/{number}/cancel").status_code == 204
    assert number not in {d["number"] for d in contractor.get("/declarations").json()["items"]}
    assert contractor.get(f"/declarations/{number}").json()["cancelled"] is True


def test_a_subcontractor_declares_under_itself_and_sees_its_branch(server, runtime, clock):
    number = api(server, runtime, clock, CONTRACTOR).post("/declarations", json=works()).json()["number"]
    sub = api(server, runtime, clock, SUB)
    added = sub.post(f"/declarations/{number}/subcontractors",
                     json={"enterpriseNumber": OTHER, "principal": SUB, "startDate": TODAY.isoformat()})
    assert added.status_code == 201, added.text
    assert {s["enterpriseNumber"] for s in added.json()["subcontractors"]} == {SUB, SUB_SUB, OTHER}
    refused = sub.post(f"/declarations/{number}/subcontractors",  # not under itself
                       json={"enterpriseNumber": STRANGER, "principal": CONTRACTOR,
                             "startDate": TODAY.isoformat()})
    assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM)
    assert sub.patch(f"/declarations/{number}", json={"amount": "1"}).status_code == 403
    assert {d["number"]: d["role"] for d in sub.get("/declarations").json()["items"]}[number] == "subcontractor"
    stranger = api(server, runtime, clock, STRANGER)
    assert stranger.get(f"/declarations/{number}").status_code == 404  # as if it did not exist


def test_bad_input_is_named_field_by_field_in_the_callers_language_and_stores_nothing(server, runtime, clock):
    contractor = api(server, runtime, clock, CONTRACTOR, language="fr-BE,fr;q=0.9")
    before = count(runtime.db, WorkDeclaration), count(runtime.db, Contract)
    body = works(amount="-5", client={"enterpriseNumber": "0403019262", "name": "Immo"})
    body["subcontractors"][1]["startDate"] = (TODAY - timedelta(days=30)).isoformat()  # before its principal's
    answer = contractor.post("/declarations", json=body)
    assert (answer.status_code, answer.headers["content-type"]) == (400, PROBLEM)
    issues = {issue["name"]: issue["detail"] for issue in answer.json()["issues"]}
    assert issues == {"client.enterpriseNumber": "Numéro d'entreprise : chiffres de contrôle incorrects.",
                      "amount": "Indiquez un montant en euros, non négatif, avec 2 décimales au plus.",
                      "subcontractors[1].startDate": "la période n'est pas comprise dans celle du donneur d'ordre"}
    cycle = works(subcontractors=[
        {"enterpriseNumber": SUB, "principal": SUB_SUB, "startDate": TODAY.isoformat()},
        {"enterpriseNumber": SUB_SUB, "principal": SUB, "startDate": TODAY.isoformat()}])
    assert contractor.post("/declarations", json=cycle).json()["issues"][0]["name"] == "subcontractors[0].principal"
    malformed = contractor.post("/declarations", json=works(amount=620000, sector="bakery"))
    assert {issue["name"] for issue in malformed.json()["issues"]} == {"amount", "sector"}
    assert contractor.post("/declarations", content=b"{", headers={
        **contractor.headers, "Content-Type": "application/json"}).status_code == 400
    assert (count(runtime.db, WorkDeclaration), count(runtime.db, Contract)) == before


@pytest.mark.parametrize("scope", [scopes.REST_ENTERPRISE, scopes.SOAP])
def test_only_the_declarations_scope_opens_the_api(server, runtime, clock, scope):
    other = api(server, runtime, clock, CONTRACTOR, scope=scope)
    answer = other.get("/declarations")
    assert (answer.status_code, answer.json()["type"]) == (403, "urn:problem-type:belgif:missingPermission")
    assert httpx.get(server + BASE + "/declarations").status_code == 401


def test_the_openapi_document_names_every_operation(server):
    document = httpx.get(server + BASE + "/openapi.json").json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert operations == {"listDeclarations", "declare", "getDeclaration", "changeDeclaration",
                          "declareSubcontractor", "endSubcontract", "cancelDeclaration"}
    assert document["servers"] == [{"url": BASE}] and document["security"] == [{"bearer": []}]
    assert "422" not in str(document)
