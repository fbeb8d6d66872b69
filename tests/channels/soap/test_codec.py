"""The SOAP codec writes its answers as text: escaping, echoes of requests written in any style, and values XML
cannot carry. (Every kind of answer is also validated against our XSDs by the zeep tests.)"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from lxml import etree

from presence.auth.xml_namespaces import PROTOCOL, SOAP_ENV, TYPES
from presence.channels.soap import codec, schemas
from presence.domain.visibility import Caller
from presence.services.access.certificates import register_certificate
from presence.testing.wssecurity import make_certificate, pem, sign_envelope

from ...conftest import TODAY
from ...helpers import CONSTRUCTION_SITE, EMPLOYER, WORKER

ENDPOINT = "/PresenceRegistration/v1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def post_signed(server, runtime, clock, envelope: str) -> etree._Element:
    """The signed envelope's answer: the Body's content, checked against our XSDs."""
    key, cert = make_certificate(not_before=clock.now() - timedelta(days=1))
    register_certificate(runtime, Caller.operator(), EMPLOYER, pem(cert), "codec tests")
    signed = sign_envelope(envelope.encode(), key, cert, created=clock.now())
    response = httpx.post(server + ENDPOINT, content=signed, headers={"Content-Type": "text/xml; charset=utf-8"},
                          timeout=30)
    assert response.status_code == 200, response.text
    [content] = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body")
    assert schemas.first_error(content) is None, schemas.first_error(content)
    return content


def test_echoes_keep_the_clients_text_and_markup(server, runtime, clock):
    """Pretty printed, the types under another prefix, a reference needing escapes, an xsi:type attribute."""
    envelope = f"""<e:Envelope xmlns:e="{SOAP_ENV}" xmlns:x="{TYPES}" xmlns:xsi="{XSI}">
  <e:Body>
    <RegisterPresencesRequest xmlns="{PROTOCOL}">
      <PresenceRegistrationRequest>
        <x:RegistrationDate>{TODAY.isoformat()}</x:RegistrationDate>
        <x:INSS xsi:type="x:INSSType">{WORKER}</x:INSS>
        <x:CompanyID>448181966</x:CompanyID>
        <x:WorkPlaceId>{CONSTRUCTION_SITE}</x:WorkPlaceId>
        <x:ClientPresenceRegistrationReference>A&amp;B &lt;c&gt; "d"</x:ClientPresenceRegistrationReference>
      </PresenceRegistrationRequest>
      <PresenceRegistrationRequest>
        <x:INSS>{WORKER}</x:INSS>
        <x:CompanyID>123456749</x:CompanyID>
        <x:WorkPlaceId>{CONSTRUCTION_SITE}</x:WorkPlaceId>
        <x:ClientPresenceRegistrationReference><![CDATA[<&>]]></x:ClientPresenceRegistrationReference>
      </PresenceRegistrationRequest>
    </RegisterPresencesRequest>
  </e:Body>
</e:Envelope>"""
    accepted, refused = post_signed(server, runtime, clock, envelope)
    submitted = accepted.find(f"{{{TYPES}}}PresenceRegistration/{{{TYPES}}}PresenceRegistrationSubmitted")
    assert [etree.QName(child).localname for child in submitted] == [
        "RegistrationDate", "INSS", "CompanyID", "WorkPlaceId", "ClientPresenceRegistrationReference"]
    inss = submitted.find(f"{{{TYPES}}}INSS")
    assert (inss.text, inss.get(f"{{{XSI}}}type")) == (WORKER, "x:INSSType")
    assert submitted.findtext(f"{{{TYPES}}}ClientPresenceRegistrationReference") == 'A&B <c> "d"'

    error = refused.find(f"{{{TYPES}}}PresenceRegistrationError")
    assert error.findtext(f"{{{TYPES}}}ErrorList/{{{TYPES}}}Error/{{{TYPES}}}ErrorCode") == "3"
    echo = error.find(f"{{{TYPES}}}PresenceRegistrationSubmitted")
    assert echo.findtext(f"{{{TYPES}}}ClientPresenceRegistrationReference") == "<&>"
    assert echo.findtext(f"{{{TYPES}}}CompanyID") == "123456749"


@pytest.mark.parametrize(("text", "written"), [
    ("plain", "plain"),
    ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
    ("line\r\nnext\ttab", "line&#13;\nnext\ttab"),
    ("Bruxelles-Brussel, Liège, Zoë 😀", "Bruxelles-Brussel, Liège, Zoë 😀"),
])
def test_text_is_escaped(text, written):
    assert codec._escaped(text) == written
    assert etree.fromstring(f"<a>{written}</a>").text == text


@pytest.mark.parametrize("text", ["bell\x07", "nul\x00", "\ufffe", "lone \ud800 surrogate"])
def test_characters_xml_cannot_carry_are_refused_as_lxml_refuses_them(text):
    with pytest.raises(ValueError):
        codec._escaped(text)
    with pytest.raises(ValueError):
        etree.Element("a").text = text
