"""A value submitted on the SOAP channel never reaches a log line or a fault's text: faults name the element and
the rule it breaks, so that an integrator can fix the request, without quoting what was sent."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from lxml import etree

from presence.auth import wssecurity
from presence.auth.xml_namespaces import ERRORS, PROTOCOL, SOAP_ENV, TYPES
from presence.domain.visibility import Caller
from presence.logs import MaskingFormatter, PersonalNumberFilter
from presence.services.access.certificates import register_certificate
from presence.testing.wssecurity import make_certificate, pem, sign_envelope

from ...conftest import NOW
from ...helpers import CONSTRUCTION_SITE, EMPLOYER, WORKER

ENDPOINT = "/PresenceRegistration/v1"


def envelope(inss: str = WORKER, company: str = "448181966", workplace: str = CONSTRUCTION_SITE,
             reference: str | None = None) -> bytes:
    """A registerPresences request of two items, the second one as given."""
    def item(inss, company, workplace, reference):
        tail = f"<t:ClientPresenceRegistrationReference>{reference}</t:ClientPresenceRegistrationReference>" \
            if reference is not None else ""
        return (f"<p:PresenceRegistrationRequest><t:INSS>{inss}</t:INSS><t:CompanyID>{company}</t:CompanyID>"
                f"<t:WorkPlaceId>{workplace}</t:WorkPlaceId>{tail}</p:PresenceRegistrationRequest>")

    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:p="{PROTOCOL}" xmlns:t="{TYPES}"><soapenv:Body>'
            f"<p:RegisterPresencesRequest>{item(WORKER, '448181966', CONSTRUCTION_SITE, None)}"
            f"{item(inss, company, workplace, reference)}</p:RegisterPresencesRequest>"
            "</soapenv:Body></soapenv:Envelope>").encode()


def fault_and_log(server, caplog, raw: bytes) -> tuple[str, str, str]:
    """The fault's code and message, and the log of the request: as recorded (unmasked) and as the service's
    log formatter writes it."""
    with caplog.at_level(logging.INFO, logger="presence"):
        response = httpx.post(server + ENDPOINT, content=raw, headers={"Content-Type": "text/xml"}, timeout=30)
    assert response.status_code == 500
    error = etree.fromstring(response.content).find(f".//{{{ERRORS}}}BusinessError")
    formatter, masking = MaskingFormatter("%(name)s: %(message)s"), PersonalNumberFilter()
    formatted = "\n".join(formatter.format(record) for record in caplog.records if masking.filter(record))
    everything = etree.tostring(etree.fromstring(response.content), encoding="unicode")
    return error.findtext(f"{{{ERRORS}}}Code"), everything, caplog.text + formatted


# The INSS mistyped (12 digits, spaced, 10 digits), or a valid one in another field that is wrong.
MISTAKES = [
    ({"inss": "780123409612"}, "780123409612", "item 2, prt:INSS: does not match the pattern \\d{11}"),
    ({"inss": "780 123 409 61"}, "780 123 409 61", "item 2, prt:INSS: does not match the pattern \\d{11}"),
    ({"inss": "7801234096"}, "7801234096", "item 2, prt:INSS: does not match the pattern \\d{11}"),
    ({"company": WORKER}, WORKER, "item 2, prt:CompanyID: must have at most 10 digits"),
    ({"company": f"{WORKER}x"}, WORKER, "item 2, prt:CompanyID: is not a valid CompanyIDType"),
    ({"workplace": f"{WORKER}ABC"}, WORKER, "item 2, prt:WorkPlaceId: must be at most 13 characters long"),
    ({"reference": f"worker {WORKER} late again"}, WORKER,
     "item 2, prt:ClientPresenceRegistrationReference: must be at most 24 characters long"),
]


@pytest.mark.parametrize(("values", "submitted", "reason"), MISTAKES, ids=[m[1] + " " + m[2] for m in MISTAKES])
def test_an_xsd_failure_names_the_element_and_the_rule_never_the_value(server, caplog, values, submitted, reason):
    code, fault, log = fault_and_log(server, caplog, envelope(**values))
    assert code == "SOA-03006"
    assert f"XSD failure: line 1, {reason}</err:Message>" in fault
    digits = "".join(submitted.split())
    for text in (fault, log):
        assert submitted not in text and digits not in text
    assert "SOA-03006" in log  # the fault was logged, its ticket with it


@pytest.mark.parametrize(("operation", "reason"), [
    (f'<q:x{WORKER} xmlns:q="urn:be:{WORKER}"/>', "the Body holds no operation's element: one of "
                                                  "RegisterPresencesRequest, CancelPresencesRequest"),
    (f'<p:RegisterPresencesRequest xmlns:p="urn:be:{WORKER}"/>',
     f"RegisterPresencesRequest is not in the namespace {PROTOCOL}"),
], ids=["unknown element", "unknown namespace"])
def test_an_element_that_is_no_operation_is_not_named_back(server, caplog, operation, reason):
    raw = f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>{operation}</soapenv:Body></soapenv:Envelope>'
    code, fault, log = fault_and_log(server, caplog, raw.encode())
    assert code == "SOA-03005" and reason in fault
    assert WORKER not in fault and WORKER not in log


def test_an_altered_header_block_is_not_named_back(runtime):
    """The client names its header blocks: a digest mismatch names only the standard ones."""
    key, cert = make_certificate(not_before=NOW - timedelta(days=1))
    register_certificate(runtime, Caller.operator(), EMPLOYER, pem(cert), "badges")
    block = f"{{urn:be}}x{WORKER}"
    raw = envelope().replace(b"<soapenv:Body>", f'<soapenv:Header><b:x{WORKER} xmlns:b="urn:be">1</b:x{WORKER}>'
                                                 "</soapenv:Header><soapenv:Body>".encode())
    tree = etree.fromstring(sign_envelope(raw, key, cert, created=NOW, sign=(block, "timestamp", "body")))
    tree.find(f".//{block}").text = "2"
    with pytest.raises(wssecurity.NotAuthenticated) as refused:
        wssecurity.authenticate(tree, runtime.db, NOW)
    assert refused.value.reason == "a signed header block was altered after signing (digest mismatch)"
