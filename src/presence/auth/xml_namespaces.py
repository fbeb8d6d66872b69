"""The official WSDL's namespaces: binding, not ours to change."""

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
PROTOCOL = "http://socialsecurity.be/presenceregistration/v1"  # request/response roots and direct children
TYPES = "http://socialsecurity.be/presenceregistration/schemas/v1"  # everything inside them
ERRORS = "http://socialsecurity.be/errors/v1"
XML = "http://www.w3.org/XML/1998/namespace"
# WS-Security (OASIS 2004) and XML signatures.
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"


def p(name: str) -> str:
    return f"{{{PROTOCOL}}}{name}"


def t(name: str) -> str:
    return f"{{{TYPES}}}{name}"
