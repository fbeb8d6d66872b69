"""WS-Security for the SOAP channel: who signed the request (X.509 token profile, as WSS4J and .NET send it).

A request is authenticated when its `soapenv:Header` holds exactly one `wsse:Security` header with

- exactly one `wsse:BinarySecurityToken` (ValueType X509v3, Base64Binary) holding the client certificate;
- exactly one `wsu:Timestamp` with `Created` (and usually `Expires`) that is fresh (see below);
- exactly one `ds:Signature`, exclusive canonicalisation, whose `SignedInfo` references, by `#id`, this
  envelope's `soapenv:Body` and that `wsu:Timestamp` (and possibly other SOAP header blocks: WCF also signs
  the WS-Addressing headers when it sends them), each element once, each with the exclusive c14n transform;
  signature RSA-SHA1, RSA-SHA256/384/512 or ECDSA-SHA256/384/512, digests SHA-1, SHA-256, SHA-384, SHA-512;
  the signature verifies with the token's certificate (whatever `KeyInfo` points to, the token's key is used);
- a certificate registered through channel management, not revoked, valid now.

Signature wrapping: a referenced id may occur once in the whole envelope, and the elements the references
resolve to (resolved exactly as the XML-signature library does) must include the envelope's own `Body` (the
child of the Envelope) and the `Timestamp` of the Security header, and be nothing but those and children of
the SOAP Header; anything else is refused before any digest is computed.

Timestamp freshness, with `now` the server's clock: `Created` at most `CLOCK_SKEW` (5 minutes) in the future
and at most `MAX_AGE` (15 minutes) in the past; `Expires`, when present, after `Created` and not passed by more
than `CLOCK_SKEW` (the tolerance .NET's MaxClockSkew also applies to expiry). Clients normally send a 5-minute
time to live. Replayed messages within the freshness window are not detected here.

The caller is the certificate's enterprise acting through its web-service account (registrar role, sender id
`self_service_expeditor_<N>`). An OAuth bearer token of the REST channel (`Authorization: Bearer`) is the other
way in; it is verified by the REST/OAuth channel's code, not here.

Every failure is a `NotAuthenticated` whose reason is short, fixed text: safe to log and to answer, it never
repeats content of the message.
"""

from __future__ import annotations

import base64
import binascii
import importlib.resources
import re
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from lxml import etree
from signxml import (
    DigestAlgorithm,
    InvalidCertificate,
    InvalidDigest,
    InvalidInput,
    InvalidSignature,
    SignatureConfiguration,
    SignatureMethod,
    XMLVerifier,
)
from signxml.exceptions import SignXMLException
from sqlalchemy import select

from ...db.engine import Database
from ...db.models import Account, Sender
from ...domain.scopes import SOAP
from ...domain.visibility import Caller, Role
from ...services.certificates import find_certificate
from ...services.senders import client_id, sender_number
from .namespaces import DS, SOAP12_ENV, SOAP_ENV, WSSE, WSU

X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64_BINARY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(minutes=15)
MAX_REFERENCES = 10  # Body, Timestamp, and a few signed header blocks at most

SIGNATURE_METHODS = frozenset({
    SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512,
    SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512,
})
DIGEST_ALGORITHMS = frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256, DigestAlgorithm.SHA384,
                               DigestAlgorithm.SHA512})
_SIGNATURE_URIS = frozenset(method.value for method in SIGNATURE_METHODS)
_DIGEST_URIS = frozenset(digest.value for digest in DIGEST_ALGORITHMS)
# As signxml resolves `#id` references: the first of these attribute local names that matches wins.
_ID_ATTRIBUTES = ("Id", "ID", "id")
_ID_XPATH = {name: etree.XPath(f"//*[@*[local-name() = '{name}'] = $ref]") for name in _ID_ATTRIBUTES}
_ALL_IDS = etree.XPath("//@*[local-name() = 'Id' or local-name() = 'ID' or local-name() = 'id']")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_DIGEST_MISMATCH = re.compile(r"reference (\d+)")


class NotAuthenticated(Exception):
    """The request does not prove who sent it. `reason` is safe to log (never content of the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotPermitted(Exception):
    """Authenticated, but not allowed to use this service (SOA-01002)."""


class _Verifier(XMLVerifier):
    """signxml's verifier, whose XML Signature schema also knows exclusive c14n's `InclusiveNamespaces` (WSS4J
    writes it into `CanonicalizationMethod`, whose content the XML Signature schema validates strictly)."""

    @classmethod
    def schemas(cls):
        return [_signature_schema()]


@cache
def _signature_schema() -> etree.XMLSchema:
    xmldsig = importlib.resources.files("signxml.schemas").joinpath("xmldsig1-schema.xsd")
    with importlib.resources.as_file(xmldsig) as path:
        return etree.XMLSchema(etree.fromstring(f"""
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{EXC_C14N}"
                       elementFormDefault="qualified">
              <xs:import namespace="{DS}" schemaLocation="{path.as_uri()}"/>
              <xs:element name="InclusiveNamespaces">
                <xs:complexType><xs:attribute name="PrefixList" type="xs:string"/></xs:complexType>
              </xs:element>
            </xs:schema>""".encode()))


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _one(parent: etree._Element, tag: str, what: str, where: str) -> etree._Element:
    found = parent.findall(tag)
    if not found:
        raise NotAuthenticated(f"no {what} in the {where}")
    if len(found) > 1:
        raise NotAuthenticated(f"several {what}s in the {where}: exactly one expected")
    return found[0]


def authenticate(envelope: etree._Element, db: Database, now: datetime) -> Caller:
    """The enterprise account that signed this SOAP envelope, or `NotAuthenticated`."""
    soap = etree.QName(envelope).namespace
    if etree.QName(envelope).localname != "Envelope" or soap not in (SOAP_ENV, SOAP12_ENV):
        raise NotAuthenticated("not a SOAP envelope")
    body = _one(envelope, _q(soap, "Body"), "Body", "envelope")
    headers = envelope.findall(_q(soap, "Header"))
    if len(headers) > 1:
        raise NotAuthenticated("several SOAP headers")
    if not headers:
        raise NotAuthenticated("no WS-Security header")
    securities = headers[0].findall(_q(WSSE, "Security"))
    if not securities:
        raise NotAuthenticated("no WS-Security header")
    if len(securities) > 1:
        raise NotAuthenticated("several WS-Security headers: exactly one expected")
    security = securities[0]

    certificate, certificate_der = _token_certificate(security)
    timestamp = _one(security, _q(WSU, "Timestamp"), "Timestamp", "Security header")
    signatures = security.findall(_q(DS, "Signature"))
    if not signatures:
        raise NotAuthenticated("message not signed")
    if len(signatures) > 1:
        raise NotAuthenticated("several signatures in the Security header: exactly one expected")
    references = _check_signed_info(signatures[0], envelope, headers[0], body, timestamp)
    _check_freshness(timestamp, now)

    with db.reading() as session:
        registered = find_certificate(session, certificate_der, include_revoked=True)
        if registered is None:
            raise NotAuthenticated("certificate not registered")
        if registered.revoked_at is not None:
            raise NotAuthenticated("certificate revoked")
        if now < registered.not_before:
            raise NotAuthenticated("certificate not yet valid")
        if now > registered.not_after:
            raise NotAuthenticated("certificate expired")
        enterprise = registered.enterprise
        if registered.account_id is not None:
            account = session.get(Account, registered.account_id)
            if account.revoked_at is not None or SOAP not in account.scopes.split():
                # Known, but its web-service account was not given the SOAP service.
                raise NotPermitted("the certificate's web-service account does not hold the SOAP scope")
        number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
    _verify_signature(envelope, soap, certificate, now, references)
    if number is None:  # registering the certificate gave the enterprise its number; never seen, but be sure
        with db.writing() as session:
            number = sender_number(session, enterprise, now)
    return Caller.enterprise_account(enterprise, roles=(Role.REGISTRAR,), sender_id=client_id(number),
                                     user_type="WEBSERVICE")


def _token_certificate(security: etree._Element) -> tuple[x509.Certificate, bytes]:
    """The certificate of the one BinarySecurityToken, and its DER encoding."""
    token = _one(security, _q(WSSE, "BinarySecurityToken"), "BinarySecurityToken", "Security header")
    if token.get("ValueType") != X509V3:
        raise NotAuthenticated("BinarySecurityToken is not an X.509 v3 certificate")
    if token.get("EncodingType", BASE64_BINARY) != BASE64_BINARY:
        raise NotAuthenticated("BinarySecurityToken is not Base64Binary encoded")
    try:
        der = base64.b64decode("".join((token.text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der), der
    except (binascii.Error, ValueError):
        raise NotAuthenticated("BinarySecurityToken does not hold a readable certificate") from None


def _resolve(envelope: etree._Element, uri: str | None) -> etree._Element:
    if not uri or not uri.startswith("#") or len(uri) < 2:
        raise NotAuthenticated("a signature reference is not a same-document #id reference")
    ref = uri[1:]
    for name in _ID_ATTRIBUTES:
        found = _ID_XPATH[name](envelope, ref=ref)
        if len(found) > 1:
            raise NotAuthenticated("a signature reference is ambiguous")
        if found:
            return found[0]
    raise NotAuthenticated("a signature reference does not resolve")


def _check_signed_info(signature: etree._Element, envelope: etree._Element, header: etree._Element,
                       body: etree._Element, timestamp: etree._Element) -> list[etree._Element]:
    """Algorithms accepted, and references to this envelope's Body and the header's Timestamp (and possibly to
    other SOAP header blocks, such as the WS-Addressing headers WCF signs), each element once.

    Returns the referenced elements in reference order."""
    signed_info = _one(signature, _q(DS, "SignedInfo"), "SignedInfo", "signature")
    c14n = _one(signed_info, _q(DS, "CanonicalizationMethod"), "CanonicalizationMethod", "SignedInfo")
    if c14n.get("Algorithm") != EXC_C14N:
        raise NotAuthenticated("SignedInfo not canonicalised with exclusive c14n")
    method = _one(signed_info, _q(DS, "SignatureMethod"), "SignatureMethod", "SignedInfo")
    if method.get("Algorithm") not in _SIGNATURE_URIS:
        raise NotAuthenticated("signature method not accepted: RSA-SHA1, RSA-SHA256/384/512 or "
                               "ECDSA-SHA256/384/512 expected")
    references = signed_info.findall(_q(DS, "Reference"))
    if len(references) > MAX_REFERENCES:
        raise NotAuthenticated(f"more than {MAX_REFERENCES} signature references")

    ids = [str(value) for value in _ALL_IDS(envelope)]
    targets: list[etree._Element] = []
    for reference in references:
        target = _resolve(envelope, reference.get("URI"))
        # A referenced id occurs once in the envelope, whatever the attribute: nothing else may pose as it.
        if ids.count(reference.get("URI")[1:]) != 1:
            raise NotAuthenticated("a signature reference is ambiguous")
        if any(target is seen for seen in targets):
            raise NotAuthenticated("signature references an element twice")
        transforms = reference.findall(f"{_q(DS, 'Transforms')}/{_q(DS, 'Transform')}")
        if not transforms or any(t.get("Algorithm") != EXC_C14N for t in transforms):
            raise NotAuthenticated("a signature reference is not transformed with exclusive c14n only")
        digest = _one(reference, _q(DS, "DigestMethod"), "DigestMethod", "signature reference")
        if digest.get("Algorithm") not in _DIGEST_URIS:
            raise NotAuthenticated("digest method not accepted: SHA-1, SHA-256, SHA-384 or SHA-512 expected")
        targets.append(target)
    if not any(target is body for target in targets):
        raise NotAuthenticated("signature does not cover the envelope's Body")
    if not any(target is timestamp for target in targets):
        raise NotAuthenticated("signature does not cover the Timestamp")
    for target in targets:
        if target is not body and target is not timestamp and target.getparent() is not header:
            raise NotAuthenticated("signature references other elements than the Body, the Timestamp and "
                                   "SOAP header blocks")
    return targets


def _instant(element: etree._Element | None, what: str) -> datetime:
    text = (element.text or "").strip() if element is not None else ""
    if not _DATETIME.fullmatch(text):
        raise NotAuthenticated(f"Timestamp {what} is not a date-time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise NotAuthenticated(f"Timestamp {what} is not a date-time") from None
    # WS-Security timestamps are UTC; a value without zone is read as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_freshness(timestamp: etree._Element, now: datetime) -> None:
    created = _instant(_one(timestamp, _q(WSU, "Created"), "Created", "Timestamp"), "Created")
    expires_elements = timestamp.findall(_q(WSU, "Expires"))
    if len(expires_elements) > 1:
        raise NotAuthenticated("several Expires in the Timestamp: at most one expected")
    if created > now + CLOCK_SKEW:
        raise NotAuthenticated("Timestamp created in the future (more than the 5-minute clock skew)")
    if created < now - MAX_AGE:
        raise NotAuthenticated("Timestamp too old: created more than 15 minutes ago")
    if expires_elements:
        expires = _instant(expires_elements[0], "Expires")
        if expires <= created:
            raise NotAuthenticated("Timestamp expires before it was created")
        if expires < now - CLOCK_SKEW:
            raise NotAuthenticated("Timestamp expired")


def _verify_signature(envelope: etree._Element, soap: str, certificate: x509.Certificate, now: datetime,
                      references: list[etree._Element]) -> None:
    config = SignatureConfiguration(
        require_x509=True,
        location=f"./{_q(soap, 'Header')}/{_q(WSSE, 'Security')}/",
        expect_references=len(references),
        signature_methods=SIGNATURE_METHODS,
        digest_algorithms=DIGEST_ALGORITHMS,
        verification_time=now,
        ignore_ambiguous_key_info=False,
    )
    try:
        _Verifier().verify(envelope, x509_cert=certificate, expect_config=config)
    except InvalidDigest as error:
        match = _DIGEST_MISMATCH.search(str(error))
        index = int(match.group(1)) if match else -1
        altered = etree.QName(references[index]).localname if 0 <= index < len(references) else "signed content"
        raise NotAuthenticated(f"the {altered} was altered after signing (digest mismatch)") from None
    except InvalidSignature:
        raise NotAuthenticated("signature value does not verify with the token's certificate") from None
    except InvalidCertificate:
        raise NotAuthenticated("certificate not valid now") from None
    except (InvalidInput, SignXMLException, etree.DocumentInvalid, ValueError):
        raise NotAuthenticated("malformed signature") from None
