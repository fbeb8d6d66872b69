"""WS-Security for the SOAP channel: who signed the request (X.509 token profile, as WSS4J and .NET send it).

A request is authenticated when its `soapenv:Header` holds exactly one `wsse:Security` header with

- exactly one `wsse:BinarySecurityToken` (ValueType X509v3, Base64Binary) holding the client certificate;
- exactly one `wsu:Timestamp` with `Created` (and usually `Expires`) that is fresh (see below);
- exactly one `ds:Signature`, exclusive canonicalisation, whose `SignedInfo` references, by `#id`, this
  envelope's `soapenv:Body` and that `wsu:Timestamp` (and possibly other SOAP header blocks: WCF also signs
  the WS-Addressing headers when it sends them), each element once, each with one exclusive c14n transform;
  signature RSA-SHA1, RSA-SHA256/384/512 or ECDSA-SHA256/384/512, digests SHA-1, SHA-256, SHA-384, SHA-512;
  the signature verifies with the token's certificate (whatever `KeyInfo` points to, the token's key is used);
- a certificate registered through channel management, not revoked, valid now. What the database says about
  a certificate (and its account) is remembered for `services.certificates.TRUST_TTL` (5 seconds) in each serving
  process: revoking a certificate or an account, or taking the SOAP scope away, takes effect within 5 seconds.

Signature wrapping: a referenced id may occur once in the whole envelope, and the elements the references
resolve to (by any attribute whose local name is `Id`, `ID` or `id`) must include the envelope's own `Body` (the
child of the Envelope) and the `Timestamp` of the Security header, and be nothing but those and children of
the SOAP Header; anything else is refused before any digest is computed.

The signature is verified here, on the references vetted above and nothing else: each referenced element is
canonicalised where it stands (lxml's exclusive c14n, with the transform's PrefixList) and digested, and the
SignatureValue is checked over the canonical SignedInfo with the token's public key (`cryptography`). The
Signature element must also be valid against the XML Signature schema. (signxml, which did this before,
serialised and parsed the whole envelope again for each reference; its verdicts are the tests' reference.)

Timestamp freshness, with `now` the server's clock: `Created` at most `CLOCK_SKEW` (5 minutes) in the future
and at most `MAX_AGE` (15 minutes) in the past; `Expires`, when present, after `Created` and not passed by more
than `CLOCK_SKEW` (the tolerance .NET's MaxClockSkew also applies to expiry). Clients normally send a 5-minute
time to live.

Replays: a message is accepted once. `authenticate` gives, beside the caller, the message's `SignedMessage`: the
SHA-256 of its canonical SignedInfo (what the SignatureValue signs: it holds the digests of the Body and the
Timestamp), and until when a replay could pass the freshness check: `Expires` or `Created` + `MAX_AGE`,
whichever comes first, plus `CLOCK_SKEW`. The digest is of the SignedInfo rather than of the
SignatureValue because an ECDSA signature has two valid values ((r, s) and (r, n - s)): a replay with the other
one would pass for a new message. The SOAP service records it, shared by every process through the database
(`services.replays`, which says when), and refuses a replay with SOA-01001 "message already received". A request
authenticated by an OAuth bearer token has no signature to remember: the token is the credential.

The caller is the certificate's enterprise acting through its web-service account (registrar role, sender id
`self_service_expeditor_<N>`). An OAuth bearer token of the REST channel (`Authorization: Bearer`) is the other
way in; it is verified by the REST/OAuth channel's code, not here.

Every failure is a `NotAuthenticated` whose reason is short, fixed text: safe to log and to answer, it never
repeats content of the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib.resources
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod

from ..db.engine import Database
from ..domain.certificates import CertificateState
from ..domain.visibility import Caller, Role
from ..services.access.certificates import signing_certificate
from ..services.access.replays import SignedMessage
from ..services.access.senders import client_id, enterprise_sender_number
from .xml_namespaces import DS, SOAP12_ENV, SOAP_ENV, WSSE, WSU

X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64_BINARY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(minutes=15)
MAX_REFERENCES = 10  # Body, Timestamp, and a few signed header blocks at most
# What a request without a signed Timestamp lacks (zeep's stock BinarySignature adds none, and signs one only
# when another plugin put it there first).
ADD_TIMESTAMP = ("add a wsu:Timestamp (Created, Expires) to the wsse:Security header and sign it with the Body "
                 "(zeep: see the presence README, \"WS-Security with zeep\")")

# Signature method URI -> (key type, hash of the signed SignedInfo).
_SIGNATURE_METHODS = {
    SignatureMethod.RSA_SHA1.value: (rsa.RSAPublicKey, hashes.SHA1),
    SignatureMethod.RSA_SHA256.value: (rsa.RSAPublicKey, hashes.SHA256),
    SignatureMethod.RSA_SHA384.value: (rsa.RSAPublicKey, hashes.SHA384),
    SignatureMethod.RSA_SHA512.value: (rsa.RSAPublicKey, hashes.SHA512),
    SignatureMethod.ECDSA_SHA256.value: (ec.EllipticCurvePublicKey, hashes.SHA256),
    SignatureMethod.ECDSA_SHA384.value: (ec.EllipticCurvePublicKey, hashes.SHA384),
    SignatureMethod.ECDSA_SHA512.value: (ec.EllipticCurvePublicKey, hashes.SHA512),
}
# Digest method URI -> hashlib name.
_DIGEST_METHODS = {DigestAlgorithm.SHA1.value: "sha1", DigestAlgorithm.SHA256.value: "sha256",
                   DigestAlgorithm.SHA384.value: "sha384", DigestAlgorithm.SHA512.value: "sha512"}
# Every attribute that can identify an element for a `#id` reference (wsu:Id, Id, ID, id, xml:id), found in one
# pass over the envelope.
_ALL_IDS = etree.XPath("//@*[local-name() = 'Id' or local-name() = 'ID' or local-name() = 'id']")
# The signed parts a digest mismatch names: the Body, the Timestamp and the WS-Addressing headers.
_NAMED_PARTS = {"Body", "Timestamp", "To", "From", "ReplyTo", "FaultTo", "Action", "MessageID", "RelatesTo"}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


class NotAuthenticated(Exception):
    """The request does not prove who sent it. `reason` is safe to log (never content of the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotPermitted(Exception):
    """Authenticated, but not allowed to use this service (SOA-01002)."""


@cache
def _signature_schema() -> etree.XMLSchema:
    """The XML Signature schema (signxml's copy), which also knows exclusive c14n's `InclusiveNamespaces` (WSS4J
    writes it into `CanonicalizationMethod`, whose content the XML Signature schema validates strictly)."""
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


def _one(parent: etree._Element, tag: str, what: str, where: str, advice: str = "") -> etree._Element:
    found = parent.findall(tag)
    if not found:
        raise NotAuthenticated(f"no {what} in the {where}" + (f": {advice}" if advice else ""))
    if len(found) > 1:
        raise NotAuthenticated(f"several {what}s in the {where}: exactly one expected")
    return found[0]


@dataclass(frozen=True)
class Authenticated:
    caller: Caller  # the enterprise account that signed
    message: SignedMessage  # the message as it must be accepted once


def authenticate(envelope: etree._Element, db: Database, now: datetime) -> Authenticated:
    """Who signed this SOAP envelope, or `NotAuthenticated`."""
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
    timestamp = _one(security, _q(WSU, "Timestamp"), "Timestamp", "Security header", ADD_TIMESTAMP)
    signatures = security.findall(_q(DS, "Signature"))
    if not signatures:
        raise NotAuthenticated("message not signed")
    if len(signatures) > 1:
        raise NotAuthenticated("several signatures in the Security header: exactly one expected")
    references = _check_signed_info(signatures[0], envelope, headers[0], body, timestamp)
    keep_until = _check_freshness(timestamp, now)

    signer = signing_certificate(db, certificate_der)
    if signer is None:
        raise NotAuthenticated("certificate not registered")
    state = signer.state(now)
    if state is not CertificateState.ACTIVE:
        raise NotAuthenticated(f"certificate {state}")
    if not signer.soap_allowed:
        # Known, but its web-service account was not given the SOAP service.
        raise NotPermitted("the certificate's web-service account does not hold the SOAP scope")
    digest = _verify_signature(signatures[0], certificate, now, references)
    number = signer.sender_number
    if number is None:  # registering the certificate gave the enterprise its number; never seen, but be sure
        number = enterprise_sender_number(db, signer.enterprise, now)
    caller = Caller.enterprise_account(signer.enterprise, roles=(Role.REGISTRAR,), sender_id=client_id(number),
                                       user_type="WEBSERVICE")
    return Authenticated(caller, SignedMessage(digest, keep_until))


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


def _signed_elements(envelope: etree._Element) -> dict[str, list[etree._Element]]:
    """Every element carrying an id attribute (any namespace, local name Id, ID or id), by id value."""
    found: dict[str, list[etree._Element]] = {}
    for value in _ALL_IDS(envelope):
        found.setdefault(str(value), []).append(value.getparent())
    return found


def _resolve(by_id: dict[str, list[etree._Element]], uri: str | None) -> etree._Element:
    if not uri or not uri.startswith("#") or len(uri) < 2:
        raise NotAuthenticated("a signature reference is not a same-document #id reference")
    found = by_id.get(uri[1:], [])
    if not found:
        raise NotAuthenticated("a signature reference does not resolve")
    # A referenced id occurs once in the envelope, whatever the attribute: nothing else may pose as it.
    if len(found) > 1:
        raise NotAuthenticated("a signature reference is ambiguous")
    return found[0]


def _prefix_list(parent: etree._Element) -> list[str] | None:
    """The exclusive c14n `InclusiveNamespaces PrefixList` of a CanonicalizationMethod or Transform."""
    inclusive = parent.find(_q(EXC_C14N, "InclusiveNamespaces"))
    if inclusive is None or inclusive.get("PrefixList") is None:
        return None
    return inclusive.get("PrefixList").split()


@dataclass(frozen=True)
class _Reference:
    """A vetted signature reference: the element it resolves to, how to digest it, the digest it must have."""

    target: etree._Element
    prefixes: list[str] | None  # the exclusive c14n transform's PrefixList
    digest: str  # hashlib name
    digest_value: str


def _check_signed_info(signature: etree._Element, envelope: etree._Element, header: etree._Element,
                       body: etree._Element, timestamp: etree._Element) -> list[_Reference]:
    """Algorithms accepted, and references to this envelope's Body and the header's Timestamp (and possibly to
    other SOAP header blocks, such as the WS-Addressing headers WCF signs), each element once.

    Returns the references in their order."""
    signed_info = _one(signature, _q(DS, "SignedInfo"), "SignedInfo", "signature")
    c14n = _one(signed_info, _q(DS, "CanonicalizationMethod"), "CanonicalizationMethod", "SignedInfo")
    if c14n.get("Algorithm") != EXC_C14N:
        raise NotAuthenticated("SignedInfo not canonicalised with exclusive c14n")
    method = _one(signed_info, _q(DS, "SignatureMethod"), "SignatureMethod", "SignedInfo")
    if method.get("Algorithm") not in _SIGNATURE_METHODS:
        raise NotAuthenticated("signature method not accepted: RSA-SHA1, RSA-SHA256/384/512 or "
                               "ECDSA-SHA256/384/512 expected")
    references = signed_info.findall(_q(DS, "Reference"))
    if len(references) > MAX_REFERENCES:
        raise NotAuthenticated(f"more than {MAX_REFERENCES} signature references")

    by_id = _signed_elements(envelope)
    vetted: list[_Reference] = []
    for reference in references:
        target = _resolve(by_id, reference.get("URI"))
        if any(target is seen.target for seen in vetted):
            raise NotAuthenticated("signature references an element twice")
        transforms = reference.findall(f"{_q(DS, 'Transforms')}/{_q(DS, 'Transform')}")
        # One transform, as every stack sends (signxml, used before, failed on a second one).
        if len(transforms) != 1 or transforms[0].get("Algorithm") != EXC_C14N:
            raise NotAuthenticated("a signature reference is not transformed with exclusive c14n only")
        digest = _one(reference, _q(DS, "DigestMethod"), "DigestMethod", "signature reference")
        if digest.get("Algorithm") not in _DIGEST_METHODS:
            raise NotAuthenticated("digest method not accepted: SHA-1, SHA-256, SHA-384 or SHA-512 expected")
        value = _one(reference, _q(DS, "DigestValue"), "DigestValue", "signature reference")
        vetted.append(_Reference(target, _prefix_list(transforms[0]), _DIGEST_METHODS[digest.get("Algorithm")],
                                 value.text or ""))
    if not any(reference.target is body for reference in vetted):
        raise NotAuthenticated("signature does not cover the envelope's Body")
    if not any(reference.target is timestamp for reference in vetted):
        raise NotAuthenticated(f"signature does not cover the Timestamp: {ADD_TIMESTAMP}")
    for reference in vetted:
        target = reference.target
        if target is not body and target is not timestamp and target.getparent() is not header:
            raise NotAuthenticated("signature references other elements than the Body, the Timestamp and "
                                   "SOAP header blocks")
    return vetted


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


def _check_freshness(timestamp: etree._Element, now: datetime) -> datetime:
    """Refuses a stale Timestamp; returns until when a replay of it could pass this check (see the module's
    docstring)."""
    created = _instant(_one(timestamp, _q(WSU, "Created"), "Created", "Timestamp"), "Created")
    expires_elements = timestamp.findall(_q(WSU, "Expires"))
    if len(expires_elements) > 1:
        raise NotAuthenticated("several Expires in the Timestamp: at most one expected")
    if created > now + CLOCK_SKEW:
        raise NotAuthenticated("Timestamp created in the future (more than the 5-minute clock skew)")
    if created < now - MAX_AGE:
        raise NotAuthenticated("Timestamp too old: created more than 15 minutes ago")
    last = created + MAX_AGE
    if expires_elements:
        expires = _instant(expires_elements[0], "Expires")
        if expires <= created:
            raise NotAuthenticated("Timestamp expires before it was created")
        if expires < now - CLOCK_SKEW:
            raise NotAuthenticated("Timestamp expired")
        last = min(expires, last)  # a far Expires keeps nothing acceptable past MAX_AGE
    return last + CLOCK_SKEW


def _c14n(element: etree._Element, prefixes: list[str] | None) -> bytes:
    """Exclusive c14n without comments, of the element where it stands in the envelope (its in-scope namespaces
    are those the signer saw, so a PrefixList naming an ancestor's prefix renders it, as the recommendation
    says)."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False,
                          inclusive_ns_prefixes=prefixes)


def _verify_signature(signature: etree._Element, certificate: x509.Certificate, now: datetime,
                      references: list[_Reference]) -> str:
    """The SignatureValue over the canonical SignedInfo with the token's key, then each reference's digest.
    Returns the SHA-256 of the canonical SignedInfo (hex), which identifies the message.

    Only references `_check_signed_info` vetted are digested: those of this SignedInfo, whose canonical form is
    what the signature covers (c14n keeps the URIs, algorithms and digest values as they are)."""
    try:
        _signature_schema().assertValid(signature)
    except etree.DocumentInvalid:
        raise NotAuthenticated("malformed signature") from None
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise NotAuthenticated("certificate not valid now")
    signed_info = signature.find(_q(DS, "SignedInfo"))
    key_type, hash_type = _SIGNATURE_METHODS[signed_info.find(_q(DS, "SignatureMethod")).get("Algorithm")]
    canonical = _c14n(signed_info, _prefix_list(signed_info.find(_q(DS, "CanonicalizationMethod"))))
    try:
        value = base64.b64decode("".join((signature.find(_q(DS, "SignatureValue")).text or "").split()),
                                 validate=True)
    except binascii.Error:
        raise NotAuthenticated("malformed signature") from None
    key = certificate.public_key()
    try:
        if not isinstance(key, key_type):
            raise InvalidSignature
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(value, canonical, padding.PKCS1v15(), hash_type())
        else:
            # XML-DSig's ECDSA SignatureValue is r and s, each of the curve's size, back to back.
            size = (key.key_size + 7) // 8
            if len(value) != 2 * size:
                raise InvalidSignature
            r, s = int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
            key.verify(encode_dss_signature(r, s), canonical, ec.ECDSA(hash_type()))
    except InvalidSignature:
        raise NotAuthenticated("signature value does not verify with the token's certificate") from None

    for reference in references:
        data = _c14n(reference.target, reference.prefixes)
        try:
            expected = base64.b64decode("".join(reference.digest_value.split()), validate=True)
        except binascii.Error:
            raise NotAuthenticated("malformed signature") from None
        if not hmac.compare_digest(hashlib.new(reference.digest, data).digest(), expected):
            # The client names header blocks: only those of the standards are named back.
            name = etree.QName(reference.target).localname
            altered = f"the {name}" if name in _NAMED_PARTS else "a signed header block"
            raise NotAuthenticated(f"{altered} was altered after signing (digest mismatch)")
    return hashlib.sha256(canonical).hexdigest()
