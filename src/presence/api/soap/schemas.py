"""Our WSDL and XSDs (`wsdl/`), served with their locations pointing at this server, and the validator."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

DIRECTORY = Path(__file__).parent / "wsdl"
WSDL = "PresenceRegistration_v1.wsdl"
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
_XSD = "http://www.w3.org/2001/XMLSchema"


def names() -> list[str]:
    return sorted(path.name for path in DIRECTORY.iterdir() if path.suffix in (".xsd", ".wsdl"))


def document(name: str, endpoint: str) -> bytes | None:
    """The WSDL or an XSD, its imports and service address rewritten to this server (None: no such file)."""
    if name not in names():
        return None
    tree = etree.parse(str(DIRECTORY / name), _SAFE)
    for element in tree.iter(f"{{{_XSD}}}import", f"{{{_XSD}}}include"):
        location = element.get("schemaLocation")
        if location and "/" not in location and location in names():
            element.set("schemaLocation", f"{endpoint}?xsd={location}")
    for address in tree.iter(f"{{{_WSDL_SOAP}}}address"):
        address.set("location", endpoint)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@cache
def validator() -> etree.XMLSchema:
    """One schema for every message: the protocol XSD (which imports the types) and the errors XSD."""
    imports = "".join(
        f'<xs:import namespace="{etree.parse(str(DIRECTORY / name), _SAFE).getroot().get("targetNamespace")}" '
        f'schemaLocation="{(DIRECTORY / name).as_uri()}"/>'
        for name in names() if name.endswith(".xsd") and name != "xml.xsd"
    )
    root = f'<xs:schema xmlns:xs="{_XSD}" targetNamespace="urn:presence:all" elementFormDefault="qualified">' \
           f"{imports}</xs:schema>"
    return etree.XMLSchema(etree.fromstring(root.encode(), _SAFE, base_url=DIRECTORY.as_uri() + "/"))


def first_error(element: etree._Element) -> str | None:
    """None when `element` (a message's Body content) is valid, else the first reason."""
    schema = validator()
    if schema.validate(element):
        return None
    error = schema.error_log.last_error
    return f"line {error.line}: {error.message}"[:400] if error else "invalid"
