"""Hostile and malformed SOAP requests: each gets its fault quickly, and nothing changes."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree
from sqlalchemy import func, select

from presence.auth.xml_namespaces import ERRORS, PROTOCOL, SOAP_ENV, TYPES
from presence.channels.soap import envelope as soap_envelope
from presence.channels.soap import schemas
from presence.channels.soap.faults import Fault
from presence.db.models import Registration

ENDPOINT = "/PresenceRegistration/v1"


def item(inss="78012340961", company="448181966", workplace="1Y1000003EQCZ", date=None) -> str:
    when = f"<t:RegistrationDate>{date}</t:RegistrationDate>" if date else ""
    return (f"<p:PresenceRegistrationRequest>{when}<t:INSS>{inss}</t:INSS><t:CompanyID>{company}</t:CompanyID>"
            f"<t:WorkPlaceId>{workplace}</t:WorkPlaceId></p:PresenceRegistrationRequest>")


def envelope(body: str, prolog: str = "") -> bytes:
    return (f'{prolog}<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:p="{PROTOCOL}" xmlns:t="{TYPES}">'
            f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>").encode()


def register(*items: str) -> str:
    return f"<p:RegisterPresencesRequest>{''.join(items)}</p:RegisterPresencesRequest>"


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10)) + "]>")
XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

CORPUS = [
    ("XXE", envelope(register(item(inss="&xxe;")), XXE), "SOA-03001"),
    ("billion laughs", envelope(register(item(workplace="&lol9;")), BILLION_LAUGHS), "SOA-03001"),
    ("external DTD", envelope(register(item()), '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">'), "SOA-03001"),
    ("oversize body", envelope(register(item()) + "<!--" + "x" * 2_000_000 + "-->"), "SOA-03001"),
    ("not XML", b"hello, registry", "SOA-03001"),
    ("truncated XML", envelope(register(item()))[:-30], "SOA-03001"),
    ("deep nesting", envelope("<a>" * 200 + "</a>" * 200), "SOA-03001"),
    ("not SOAP", b"<RegisterPresencesRequest/>", "SOA-03002"),
    ("SOAP 1.2", b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>',
     "SOA-03002"),
    ("empty", b"", "SOA-03002"),
    ("no Body", f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"/>'.encode(), "SOA-03003"),
    ("empty Body", envelope(""), "SOA-03003"),
    ("two operations in the Body", envelope(register(item()) + register(item())), "SOA-03004"),
    ("wrong namespace", envelope(f'<q:RegisterPresencesRequest xmlns:q="urn:other">{item()}'
                                 "</q:RegisterPresencesRequest>"), "SOA-03005"),
    ("unknown operation", envelope("<p:DeleteEverythingRequest/>"), "SOA-03005"),
    ("201 items", envelope(register(*[item()] * 201)), "SOA-03006"),
    ("no item", envelope(register()), "SOA-03006"),
    ("elements out of order", envelope(register(
        "<p:PresenceRegistrationRequest><t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId><t:INSS>78012340961</t:INSS>"
        "<t:CompanyID>448181966</t:CompanyID></p:PresenceRegistrationRequest>")), "SOA-03006"),
    ("item in the wrong namespace", envelope(register(item()).replace("t:INSS", "p:INSS")), "SOA-03006"),
    ("unsigned", envelope(register(item())), "SOA-01001"),
]


@pytest.mark.parametrize("name, body, code", CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_and_malformed_requests(server, runtime, name, body, code):
    response = httpx.post(server + ENDPOINT, content=body, headers={"Content-Type": "text/xml; charset=utf-8"},
                          timeout=30)
    assert response.status_code == 500
    fault = etree.fromstring(response.content)
    detail = fault.find(f".//{{{SOAP_ENV}}}Fault/detail")
    [error] = list(detail)
    assert schemas.first_error(error) is None
    assert error.findtext(f"{{{ERRORS}}}Code") == code, error.findtext(f"{{{ERRORS}}}Message")
    ticket = error.get("Id")
    assert ticket and len(ticket) == 32
    assert b"root:" not in response.content  # nothing of /etc/passwd
    with runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0


def test_soap_action_must_match_the_operation(server):
    response = httpx.post(server + ENDPOINT, content=envelope(register(item())),
                          headers={"Content-Type": "text/xml", "SOAPAction": f'"{PROTOCOL}/cancelPresences"'})
    assert b"SOA-03004" in response.content


def test_the_ticket_is_in_the_log_line(server, caplog):
    with caplog.at_level("WARNING", logger="presence.channels.soap.service"):
        response = httpx.post(server + ENDPOINT, content=b"not xml")
    ticket = etree.fromstring(response.content).find(f".//{{{ERRORS}}}BusinessError").get("Id")
    assert any(ticket in record.getMessage() for record in caplog.records)


def test_nesting_is_capped_at_32_levels():
    """The Envelope is level 1: 32 levels are read (the Body's content is not an operation), 33 are refused."""
    def nested(levels: int) -> bytes:  # the Envelope, the Body and levels - 2 elements inside
        inner = levels - 2
        return envelope("<a>" * inner + "</a>" * inner)

    with pytest.raises(Fault) as refused:
        soap_envelope.read(nested(32))
    assert refused.value.code == "SOA-03005"
    with pytest.raises(Fault) as refused:
        soap_envelope.read(nested(33))
    assert refused.value.code == "SOA-03001"


@pytest.mark.parametrize("element, value", [
    ("RegistrationDate", "12345-01-01"), ("RegistrationDate", "-2026-03-03"),
    ("RegistrationPeriodStartDate", "10000-01-01"), ("CreationStartDate", "0001-01-01T00:00:00+14:00"),
])
def test_dates_the_xsd_admits_but_no_registry_holds_are_a_content_fault(server, runtime, element, value):
    """Were a service error (SOA-00001, "retry as is") with a traceback in the log: a registration's is a content
    fault, a search's an error in its answer, each naming the element."""
    from datetime import timedelta

    from presence.domain.visibility import Caller
    from presence.services.access.certificates import register_certificate
    from presence.testing.wssecurity import make_certificate, pem, sign_envelope

    from ...conftest import NOW

    key, cert = make_certificate(not_before=NOW - timedelta(days=1))
    register_certificate(runtime, Caller.operator(), "0448181966", pem(cert), "badges")
    if element == "RegistrationDate":
        body = register(item(date=value))
    else:
        period = {"RegistrationPeriodStartDate": value, "RegistrationPeriodEndDate": "2026-03-03"} \
            if element.startswith("RegistrationPeriod") else \
            {"RegistrationPeriodStartDate": "2026-03-03", "RegistrationPeriodEndDate": "2026-03-03"}
        creation = f"<t:CreationStartDate>{value}</t:CreationStartDate>" if element == "CreationStartDate" else ""
        body = ("<p:SearchPresencesRequest><p:SearchPresenceRequest><t:SearchPresenceRegistrationCriteria>"
                "<t:RegistrationPeriodList><t:RegistrationPeriod>"
                + "".join(f"<t:{k}>{v}</t:{k}>" for k, v in period.items()) +
                f"</t:RegistrationPeriod></t:RegistrationPeriodList>{creation}"
                "</t:SearchPresenceRegistrationCriteria></p:SearchPresenceRequest></p:SearchPresencesRequest>")
    signed = sign_envelope(envelope(body), key, cert, created=NOW)
    response = httpx.post(server + ENDPOINT, content=signed, headers={"Content-Type": "text/xml"}, timeout=30)
    answer = etree.fromstring(response.content)
    if element == "RegistrationDate":  # a registration: the whole request is refused
        error = answer.find(f".//{{{ERRORS}}}BusinessError")
        assert error is not None, response.text
        assert error.findtext(f"{{{ERRORS}}}Code") == "SOA-03007"
        message = error.findtext(f"{{{ERRORS}}}Message")
    else:  # a search: its answer's error list says why
        assert response.status_code == 200, response.text
        message = answer.findtext(f".//{{{TYPES}}}ErrorDescription")
    assert f"{element}: a date" in message and "9999" in message
    with runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0
