"""Reading a SOAP request safely: size and depth caps, no DTD, no entities, no network.

Every refusal is a `Fault` with the contract's SOA-03xxx code, raised before anything is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ...auth.xml_namespaces import PROTOCOL, SOAP12_ENV, SOAP_ENV
from .faults import Fault

MAX_BYTES = 1024 * 1024  # 200 registrations take about 100 KB; signed, a little more
MAX_DEPTH = 32  # the deepest legitimate request (a search) nests 8 levels under the envelope

OPERATIONS = {
    "RegisterPresencesRequest": "registerPresences",
    "CancelPresencesRequest": "cancelPresences",
    "SearchPresencesRequest": "searchPresences",
    "GetPresenceRegistrationRequest": "getPresenceRegistration",
}

_PARSER = etree.XMLParser(
    resolve_entities=False,  # no entity expansion (billion laughs) ...
    no_network=True,  # ... nor fetching of anything (XXE)
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


@dataclass(frozen=True)
class Request:
    envelope: etree._Element
    operation: str  # the WSDL operation name
    body: etree._Element  # the operation's root element (e.g. RegisterPresencesRequest)


def read(raw: bytes, soap_action: str | None = None) -> Request:
    if len(raw) > MAX_BYTES:
        raise Fault("SOA-03001", f"message larger than {MAX_BYTES // 1024} KB")
    if not raw.strip():
        raise Fault("SOA-03002", "empty message")
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower():
        raise Fault("SOA-03001", "document type declarations are not accepted")
    try:
        envelope = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as error:
        raise Fault("SOA-03001", f"not well-formed XML (line {error.lineno})") from None
    if envelope.getroottree().docinfo.doctype:
        raise Fault("SOA-03001", "document type declarations are not accepted")
    _check_depth(envelope)

    if envelope.tag == f"{{{SOAP12_ENV}}}Envelope":
        raise Fault("SOA-03002", "SOAP 1.2 envelope: this service speaks SOAP 1.1")
    if envelope.tag != f"{{{SOAP_ENV}}}Envelope":
        raise Fault("SOA-03002", "the root element is not a SOAP 1.1 Envelope")
    bodies = envelope.findall(f"{{{SOAP_ENV}}}Body")
    if not bodies:
        raise Fault("SOA-03003")
    if len(bodies) > 1:
        raise Fault("SOA-03004", "more than one SOAP Body")
    children = [child for child in bodies[0] if isinstance(child.tag, str)]
    if not children:
        raise Fault("SOA-03003", "the SOAP Body is empty")
    if len(children) > 1:
        raise Fault("SOA-03004", "document/literal: exactly one element in the SOAP Body")
    body = children[0]
    namespace, _, name = body.tag[1:].partition("}") if body.tag.startswith("{") else ("", "", body.tag)
    # The element is named back only when it is one of ours: a client's names and namespaces are its own text.
    if name not in OPERATIONS:
        raise Fault("SOA-03005", f"the Body holds no operation's element: one of {', '.join(OPERATIONS)} in "
                                 f"the namespace {PROTOCOL}")
    if namespace != PROTOCOL:
        raise Fault("SOA-03005", f"{name} is not in the namespace {PROTOCOL}")
    operation = OPERATIONS[name]
    if soap_action:
        action = soap_action.strip().strip('"')
        if action and action != f"{PROTOCOL}/{operation}":
            raise Fault("SOA-03004", "the SOAPAction header does not match the operation in the Body")
    return Request(envelope, operation, body)


# True when an element sits at depth MAX_DEPTH + 1 (the Envelope being at depth 1): one XPath walk in C.
_TOO_DEEP = etree.XPath("boolean(/" + "*/" * MAX_DEPTH + "*)")


def _check_depth(root: etree._Element) -> None:
    if _TOO_DEEP(root):
        raise Fault("SOA-03001", f"elements nested deeper than {MAX_DEPTH} levels")


_HEAD = f"<?xml version='1.0' encoding='UTF-8'?>\n<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV}\"><soapenv:Body>"
_TAIL = "</soapenv:Body></soapenv:Envelope>"


def write(content: etree._Element | str) -> bytes:
    """A SOAP 1.1 envelope around `content`: an operation's response, as the codec writes it (XML text, one
    element declaring its namespaces), or a fault element."""
    if not isinstance(content, str):
        content = etree.tostring(content, encoding="unicode")
    return f"{_HEAD}{content}{_TAIL}".encode()
