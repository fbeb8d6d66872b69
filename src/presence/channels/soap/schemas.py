"""Our WSDL and XSDs (`wsdl/`), served with their locations pointing at this server, and the validator."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lxml import etree

from ...auth.xml_namespaces import ERRORS, PROTOCOL, TYPES

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
    """None when `element` (a message's Body content) is valid, else the first reason: where (line, item,
    element) and the rule it breaks, never the submitted value (see `_reason`)."""
    schema = validator()
    if schema.validate(element):
        return None
    errors = list(schema.error_log)
    return _reason(errors[0])[:400] if errors else "invalid"


# libxml2's messages quote the submitted value ("[facet 'pattern'] The value '780123409612' is not accepted by
# the pattern '\d{11}'."), and a fault text or a log line must not. So the reason is written anew: the element
# (when our schemas declare its name), and the rule, from the kind of error and, for a facet, its value in our
# schema. A facet's value is the last quoted part of the message, after the submitted one: each pattern below
# starts with a greedy `.*`, so a submitted value imitating the message's wording cannot pose as the facet.
_FACETS = {
    "SCHEMAV_CVC_PATTERN_VALID": (r".*the pattern '(.*)'\.", "does not match the pattern {}"),
    "SCHEMAV_CVC_LENGTH_VALID": (r".*the allowed length of '(\d+)'\.", "must be {} characters long"),
    "SCHEMAV_CVC_MINLENGTH_VALID": (r".*minimum length of '(\d+)'\.", "must be at least {} characters long"),
    "SCHEMAV_CVC_MAXLENGTH_VALID": (r".*maximum length of '(\d+)'\.", "must be at most {} characters long"),
    "SCHEMAV_CVC_TOTALDIGITS_VALID": (r".*are allowed \('(\d+)'\)\.", "must have at most {} digits"),
    "SCHEMAV_CVC_ENUMERATION_VALID": (r".*the set (\{.*\})\.", "must be one of {}"),
    "SCHEMAV_CVC_MININCLUSIVE_VALID": (r".*minimum value allowed \('(.*)'\)\.", "must be at least {}"),
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": (r".*maximum value allowed \('(.*)'\)\.", "must be at most {}"),
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": (r".*atomic type '(.*)'\.", "is not a valid {}"),
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_2": (r".*list type '(.*)'\.", "is not a valid {}"),
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_3": (r".*union type '(.*)'\.", "is not a valid {}"),
}
_RULES = {
    "SCHEMAV_CVC_COMPLEX_TYPE_2_1": "must be empty",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "holds text where only elements are allowed",
    "SCHEMAV_CVC_TYPE_3_1_2": "holds elements where only text is allowed",
    "SCHEMAV_CVC_TYPE_3_1_1": "has an attribute the schema does not allow",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "has an attribute the schema does not allow",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "has an attribute the schema does not allow",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "misses an attribute the schema requires",
    "SCHEMAV_CVC_ELT_1": "is not an element of this service",
}
_ELEMENT = re.compile(r"Element '([^']*)'")  # how every message starts: the element, {namespace}name
_EXPECTED = re.compile(r".*Expected is(?: one of)? \( (.*) \)\.", re.DOTALL)  # elements named by our schema
_ITEM = re.compile(r"/[^/]+/[^/\[]+\[(\d+)\]")  # the index of the request's item, when it has siblings
# Our elements are named with the prefixes of our answers.
_PREFIXES = {PROTOCOL: "pr", TYPES: "prt", ERRORS: "err"}


@cache
def _declared_names() -> frozenset[str]:
    """The local name of every element our XSDs declare."""
    return frozenset(
        declared.get("name")
        for name in names() if name.endswith(".xsd")
        for declared in etree.parse(str(DIRECTORY / name), _SAFE).iter(f"{{{_XSD}}}element")
        if declared.get("name")
    )


def _element(qualified: str) -> str:
    """An element ({namespace}name) as the reason names it: by name only when it is one of ours."""
    namespace, _, name = qualified[1:].rpartition("}") if qualified.startswith("{") else ("", "", qualified)
    if name not in _declared_names():
        return "an element the schema does not declare"
    if namespace not in _PREFIXES:
        return f"{name} in a namespace not of this service"
    return f"{_PREFIXES[namespace]}:{name}"


def _schema_type(name: str) -> str:
    """A type as our schema names it: xs:date, or CompanyIDType for {namespace}CompanyIDType."""
    return name.rpartition("}")[2] if name.startswith("{") else name


def _reason(error: etree._LogEntry) -> str:
    message = error.message or ""
    named = _ELEMENT.match(message)
    where = [f"line {error.line}"]
    item = _ITEM.match(error.path or "")
    if item:
        where.append(f"item {item.group(1)}")
    where.append(_element(named.group(1)) if named else "an element")
    return f"{', '.join(where)}: {_rule(error.type_name, message)}"


def _rule(kind: str, message: str) -> str:
    """The rule broken, in words, with the facet's value from our schema; never the submitted value."""
    if kind in _FACETS:
        pattern, wording = _FACETS[kind]
        facet = re.fullmatch(pattern, message, re.DOTALL)
        if facet:
            return wording.format(_schema_type(facet.group(1)))
    if kind in _RULES:
        return _RULES[kind]
    if kind == "SCHEMAV_ELEMENT_CONTENT":
        expected = _EXPECTED.fullmatch(message)
        names = [_element(name) for name in expected.group(1).split(", ")] if expected else []
        # Element names hold neither spaces nor parentheses: this wording is libxml2's, not the client's.
        rule = "a child element is missing" if ": Missing child element(s)." in message else "not expected here"
        if len(names) > 1:
            return f"{rule}; expected one of {', '.join(names)}"
        return f"{rule}; expected {names[0]}" if names else rule
    return f"does not conform to the schema ({kind})"
