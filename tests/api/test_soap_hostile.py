"""Hostile and malformed SOAP requests: each gets its fault quickly, and nothing changes."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree
from sqlalchemy import func, select

from presence.api.soap import envelope as soap_envelope
from presence.api.soap import schemas
from presence.api.soap.faults import Fault
from presence.api.soap.namespaces import ERRORS, PROTOCOL, SOAP_ENV, TYPES
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
def test_hostile_and_malformed_requests(server, registry, name, body, code):
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
    with registry.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0


def test_soap_action_must_match_the_operation(server):
    response = httpx.post(server + ENDPOINT, content=envelope(register(item())),
                          headers={"Content-Type": "text/xml", "SOAPAction": f'"{PROTOCOL}/cancelPresences"'})
    assert b"SOA-03004" in response.content


def test_the_ticket_is_in_the_log_line(server, caplog):
    with caplog.at_level("WARNING", logger="presence.api.soap.service"):
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
