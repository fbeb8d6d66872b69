"""The SOAP service as integrators use it: a zeep client built from the WSDL we serve, signing with
WS-Security, against a real HTTP server, on SQLite and PostgreSQL. Every answer is checked against our XSDs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault as ZeepFault
from zeep.plugins import HistoryPlugin

from presence.auth.xml_namespaces import ERRORS, SOAP_ENV
from presence.channels.soap import schemas
from presence.domain.visibility import Caller
from presence.services.access.certificates import register_certificate
from presence.sources import simulation
from presence.testing.wssecurity import make_certificate, pem

from ...conftest import TODAY
from ...helpers import CLIENT, CONSTRUCTION_SITE, EMPLOYER, POSTED, WORKER, run_checks
from .zeep_plugin import WSSecuritySigner

TOMORROW = TODAY + timedelta(days=1)


class Checked(HistoryPlugin):
    """Keeps every answer and checks it against our XSDs."""

    def ingress(self, envelope, http_headers, operation):
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        [content] = list(body)
        if content.tag == f"{{{SOAP_ENV}}}Fault":
            [content] = list(content.find("detail"))
        problem = schemas.first_error(content)
        assert problem is None, problem
        return super().ingress(envelope, http_headers, operation)


def client_for(server, runtime, clock, enterprise=EMPLOYER, signature_method="rsa-sha256", digest="sha256",
               sign=True):
    key, cert = make_certificate(not_before=clock.now() - timedelta(days=1))
    register_certificate(runtime, Caller.operator(), enterprise, pem(cert), f"badges of {enterprise}")
    plugins = [Checked()]
    if sign:
        plugins.insert(0, WSSecuritySigner(key, cert, signature_method, digest, clock=clock.now))
    return zeep.Client(f"{server}/PresenceRegistration/v1?wsdl", plugins=plugins).service


@pytest.fixture
def service(server, runtime, clock):
    return client_for(server, runtime, clock)


def fault_code(error: ZeepFault) -> str:
    return error.detail.find(f".//{{{ERRORS}}}Code").text


def item(**values):
    values.setdefault("RegistrationDate", TODAY)
    values.setdefault("WorkPlaceId", CONSTRUCTION_SITE)
    return values


def test_the_official_example_with_todays_date(service):
    answers = service.registerPresences(PresenceRegistrationRequest=[
        item(INSS=WORKER, CompanyID=448181966),
        item(LimosaId=POSTED, ClientPresenceRegistrationReference="Ref 1"),
    ])
    first, second = (a.PresenceRegistration for a in answers)
    assert first.PresenceRegistrationSubmitted.INSS == WORKER
    assert first.PresenceRegistrationSubmitted.CompanyID == 448181966
    assert second.PresenceRegistrationSubmitted.ClientPresenceRegistrationReference == "Ref 1"
    assert second.PresenceRegistrationId > first.PresenceRegistrationId
    assert first.Channel == "WS" and first.Sector == 1 and first.INSS == WORKER
    assert first.LastValidation.Status == "SUCCESSFULLY REGISTERED" and first.LastValidation.ValidationDate is None
    assert first.CreationDate.tzinfo is None  # Belgian local time, without zone
    assert first.Sender.SenderCompanyId == 448181966 and first.Sender.SenderId.startswith("self_service_expeditor_")


def test_every_register_error_code(service):
    answers = service.registerPresences(PresenceRegistrationRequest=[
        item(INSS=WORKER, CompanyID=431150351),  # 2: check digits
        item(INSS=WORKER, CompanyID=123456749),  # 3: unknown to the enterprise register
        item(INSS=WORKER, CompanyID=448181966, WorkPlaceId="1Y1000003EQOZ"),  # 4
        item(INSS="05011512379", CompanyID=448181966),  # 5
        item(INSS=WORKER, CompanyID=448181966, RegistrationDate=TODAY - timedelta(days=1)),  # 6
        item(INSS=WORKER, CompanyID=448181966),
        item(INSS=WORKER),  # 14: an INSS needs its enterprise
        item(INSS=WORKER, CompanyID=448181966, LimosaId=POSTED),  # 13: one person identifier
    ])
    codes = [a.PresenceRegistrationError.ErrorList.Error[0].ErrorCode if a.PresenceRegistrationError else None
             for a in answers]
    assert codes == ["2", "3", "4", "5", "6", None, "14", "13"]
    echo = answers[3].PresenceRegistrationError.PresenceRegistrationSubmitted
    assert echo.INSS == "05011512379" and echo.CompanyID == 448181966


def test_cancel_and_every_cancel_error_code(server, runtime, clock, service):
    [mine, other] = [a.PresenceRegistration.PresenceRegistrationId for a in service.registerPresences(
        PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)] * 2)]
    stranger = client_for(server, runtime, clock, enterprise="0428759497")
    client = client_for(server, runtime, clock, enterprise=CLIENT)
    answers = service.cancelPresences(CancelPresenceRequest=[
        {"PresenceRegistrationId": mine, "CancellationReason": "HOLIDAY"},
        {"PresenceRegistrationId": mine, "CancellationReason": "HOLIDAY"},  # 8
        {"PresenceRegistrationId": other + 1000, "CancellationReason": "PLANNING"},  # 7
        {"PresenceRegistrationId": other, "CancellationReason": "VACATION"},  # 11
    ])
    assert answers[0].PresenceRegistration.LastValidation.Status == "SUCCESSFULLY CANCELLED"
    assert [a.PresenceRegistrationError.ErrorList.Error[0].ErrorCode for a in answers[1:]] == ["8", "7", "11"]
    assert answers[3].PresenceRegistrationError.CancelPresenceRequest.CancellationReason == "VACATION"

    [hidden] = stranger.cancelPresences(CancelPresenceRequest=[{"PresenceRegistrationId": other,
                                                                "CancellationReason": "PLANNING"}])
    assert hidden.PresenceRegistrationError.ErrorList.Error[0].ErrorCode == "10"
    [seen] = client.cancelPresences(CancelPresenceRequest=[{"PresenceRegistrationId": other,
                                                            "CancellationReason": "PLANNING"}])
    assert seen.PresenceRegistrationError.ErrorList.Error[0].ErrorCode == "1"
    clock.advance(timedelta(days=2))
    [late] = service.cancelPresences(CancelPresenceRequest=[{"PresenceRegistrationId": other,
                                                             "CancellationReason": "PLANNING"}])
    assert late.PresenceRegistrationError.ErrorList.Error[0].ErrorCode == "9"


def test_a_remark_appears_in_get_after_the_checks(service, runtime):
    scenario = next(s for s in simulation.scenarios(TODAY) if s.expected_remark == "CAW_01")
    [answer] = service.registerPresences(PresenceRegistrationRequest=[
        item(INSS=scenario.inss, CompanyID=int(scenario.enterprise_number), WorkPlaceId=scenario.workplace)])
    registration_id = answer.PresenceRegistration.PresenceRegistrationId
    before = service.getPresenceRegistration(GetPresenceRegistrationRequest={"PresenceRegistrationId":
                                                                              registration_id})
    assert before.GetPresenceRegistrationType.PresenceRegistrationType.LastValidation.Status == \
        "SUCCESSFULLY REGISTERED"
    run_checks(runtime)
    after = service.getPresenceRegistration(GetPresenceRegistrationRequest={"PresenceRegistrationId":
                                                                             registration_id})
    assert after.GetPresenceRegistrationRequest.PresenceRegistrationId == registration_id
    found = after.GetPresenceRegistrationType.PresenceRegistrationType
    assert found.LastValidation.Status == "FAILED"
    assert found.LastValidation.RemarkList.Remark == ["RELATED DIMONA NOT OK"]
    assert found.LastValidation.ValidationDate is not None
    assert [v.Status for v in found.ValidationHistory.Validation] == ["FAILED"]
    assert found.PresenceRegistrationConsultSubmitted.CompanyID == int(scenario.enterprise_number)

    nothing = service.getPresenceRegistration(GetPresenceRegistrationRequest={"PresenceRegistrationId":
                                                                               registration_id + 999})
    assert nothing.GetPresenceRegistrationType is None  # present but empty: nothing the caller may see


def test_search_with_criteria_pagination_and_sorting(service, runtime):
    service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)] * 3 + [
        item(LimosaId=POSTED, RegistrationDate=TOMORROW)])
    run_checks(runtime)
    today_and_tomorrow = {"RegistrationPeriod": [{"RegistrationPeriodStartDate": TODAY,
                                                  "RegistrationPeriodEndDate": TOMORROW}]}
    answer = service.searchPresences(SearchPresenceRequest={
        "SearchPresenceRegistrationCriteria": {"RegistrationPeriodList": today_and_tomorrow},
        "PaginationProperties": {"FirstRow": 1, "FetchSize": 2},
        "SortingProperties": {"SortDirection": "DESCENDING", "SortCriteria": "REGISTRATION DATE"},
    })
    found = answer.PresenceRegistrationList
    assert found.PresenceRegistrationResultCount == 4
    assert len(found.PresenceRegistration) == 2
    assert answer.SearchPresencesRequest.PaginationProperties.FetchSize == 2

    failed = service.searchPresences(SearchPresenceRequest={"SearchPresenceRegistrationCriteria": {
        "INSS": WORKER, "CompanyID": 448181966, "WorkPlaceId": CONSTRUCTION_SITE,
        "StatusList": {"Status": ["FAILED"]},
        "RemarkList": {"Remark": ["SAME DECLARATION HAS ALREADY BEEN REGISTERED"]},
        "RegistrationPeriodList": today_and_tomorrow, "Sector": 1}})
    assert failed.PresenceRegistrationList.PresenceRegistrationResultCount == 2

    refused = service.searchPresences(SearchPresenceRequest={"SearchPresenceRegistrationCriteria": {
        "INSS": "05011512379", "RegistrationPeriodList": today_and_tomorrow}})
    assert refused.PresenceRegistrationError.ErrorList.Error[0].ErrorCode == "5"


def test_answers_hold_at_most_500(service):
    for _ in range(3):
        service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)] * 200)
    answer = service.searchPresences(SearchPresenceRequest={
        "SearchPresenceRegistrationCriteria": {"RegistrationPeriodList": {"RegistrationPeriod": [
            {"RegistrationPeriodStartDate": TODAY, "RegistrationPeriodEndDate": TODAY}]}},
        "PaginationProperties": {"FirstRow": 0, "FetchSize": 1000}})
    assert answer.PresenceRegistrationList.PresenceRegistrationResultCount == 600
    assert len(answer.PresenceRegistrationList.PresenceRegistration) == 500


def test_rsa_sha1_signatures_are_accepted(server, runtime, clock):
    service = client_for(server, runtime, clock, signature_method="rsa-sha1", digest="sha1")
    [answer] = service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)])
    assert answer.PresenceRegistration.PresenceRegistrationId


def test_unsigned_requests_are_refused(server, runtime, clock):
    service = client_for(server, runtime, clock, sign=False)
    with pytest.raises(ZeepFault) as refused:
        service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)])
    assert fault_code(refused.value) == "SOA-01001"


def test_the_wsdl_points_at_this_server(server):
    import httpx

    wsdl = etree.fromstring(httpx.get(f"{server}/PresenceRegistration/v1?wsdl").content)
    [address] = wsdl.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == f"{server}/PresenceRegistration/v1"
    locations = [e.get("schemaLocation") for e in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import")]
    assert locations and all(loc.startswith(f"{server}/PresenceRegistration/v1?xsd=") for loc in locations)
    assert httpx.get(f"{server}/PresenceRegistration/v1?xsd=nothing.xsd").status_code == 404


# --- a bearer token of the REST channel's OAuth server ----------------------------------------------------

def _token(server, runtime, clock, scope) -> str:
    from ..rest.test_token_endpoint import make_client

    oauth = make_client(server, runtime, clock, scope=scope)
    response = oauth.request()
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _bearer_client(server, token):
    from requests import Session
    from zeep.transports import Transport

    session = Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return zeep.Client(f"{server}/PresenceRegistration/v1?wsdl", transport=Transport(session=session),
                       plugins=[Checked()]).service


def test_a_bearer_token_with_the_soap_scope_is_accepted(server, runtime, clock):
    from presence.domain.scopes import SOAP

    service = _bearer_client(server, _token(server, runtime, clock, [SOAP]))
    [answer] = service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)])
    assert answer.PresenceRegistration.Sender.SenderId.startswith("self_service_expeditor_")


def test_a_bearer_token_without_the_soap_scope_is_not_authorised(server, runtime, clock):
    from presence.domain.scopes import REST_ENTERPRISE

    service = _bearer_client(server, _token(server, runtime, clock, [REST_ENTERPRISE]))
    with pytest.raises(ZeepFault) as refused:
        service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)])
    assert fault_code(refused.value) == "SOA-01002"


def test_an_unknown_bearer_token_is_not_authenticated(server):
    service = _bearer_client(server, "x" * 43)
    with pytest.raises(ZeepFault) as refused:
        service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)])
    assert fault_code(refused.value) == "SOA-01001"


def test_an_accounts_certificate_needs_the_soap_scope(server, runtime, clock):
    from presence.domain.scopes import REST_ENTERPRISE
    from presence.services.access.accounts import create_account

    key, cert = make_certificate(not_before=clock.now() - timedelta(days=1))
    create_account(runtime, Caller.operator(), EMPLOYER, "cleaning app", pem(cert), "app key", [REST_ENTERPRISE])
    service = zeep.Client(f"{server}/PresenceRegistration/v1?wsdl",
                          plugins=[WSSecuritySigner(key, cert, clock=clock.now), Checked()]).service
    with pytest.raises(ZeepFault) as refused:
        service.registerPresences(PresenceRegistrationRequest=[item(INSS=WORKER, CompanyID=448181966)])
    assert fault_code(refused.value) == "SOA-01002"
