"""SOAP 1.1 faults with the contract's error detail (`err:SystemError` / `err:BusinessError`)."""

from __future__ import annotations

from lxml import etree

from ...auth.xml_namespaces import ERRORS, SOAP_ENV, XML

# code: (SOAP faultcode, detail element, message)
CODES: dict[str, tuple[str, str, str]] = {
    "SOA-00001": ("Server", "SystemError", "Service error"),
    "SOA-01001": ("Client", "BusinessError", "Not authenticated"),
    "SOA-01002": ("Client", "BusinessError", "Not authorised"),
    "SOA-02001": ("Server", "SystemError", "Service unavailable: contact the service desk"),
    "SOA-02002": ("Server", "SystemError", "Service temporarily unavailable: retry later"),
    "SOA-03001": ("Client", "BusinessError", "Malformed message"),
    "SOA-03002": ("Client", "BusinessError", "Not a SOAP 1.1 message"),
    "SOA-03003": ("Client", "BusinessError", "No SOAP body"),
    "SOA-03004": ("Client", "BusinessError", "WS-I Basic Profile failure"),
    "SOA-03005": ("Client", "BusinessError", "WSDL failure: not an operation of this service"),
    "SOA-03006": ("Client", "BusinessError", "XSD failure"),
    "SOA-03007": ("Client", "BusinessError", "Content validation failure"),
}
# Failures a client may retry as they are.
RETRY = {"SOA-00001", "SOA-02002"}
ORIGIN = "presence"
CONTACT = "the service desk of the registry's operator"


class Fault(Exception):
    """A technical error, answered as a SOAP fault. `detail` says what is wrong (safe to show)."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(f"{code}: {detail or CODES[code][2]}")
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        summary = CODES[self.code][2]
        return f"{summary}: {self.detail}" if self.detail else summary


def fault_element(fault: Fault, ticket: str, environment: str) -> etree._Element:
    """The soapenv:Fault, whose detail names the ticket that is also in our log line."""
    faultcode, kind, _ = CODES[fault.code]
    element = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soapenv": SOAP_ENV})
    etree.SubElement(element, "faultcode").text = f"soapenv:{faultcode}"
    etree.SubElement(element, "faultstring").text = fault.message
    detail = etree.SubElement(element, "detail")
    error = etree.SubElement(detail, f"{{{ERRORS}}}{kind}", nsmap={"err": ERRORS}, Id=ticket)
    etree.SubElement(error, f"{{{ERRORS}}}Origin").text = ORIGIN
    etree.SubElement(error, f"{{{ERRORS}}}Code").text = fault.code
    message = etree.SubElement(error, f"{{{ERRORS}}}Message")
    message.set(f"{{{XML}}}lang", "en")
    message.text = fault.message
    etree.SubElement(error, f"{{{ERRORS}}}Retry").text = "true" if fault.code in RETRY else "false"
    etree.SubElement(error, f"{{{ERRORS}}}Contact").text = CONTACT
    etree.SubElement(error, f"{{{ERRORS}}}Environment").text = environment.capitalize()
    return element
