"""WS-Security on the SOAP channel, and the certificate registry it trusts.

- the certificate rules of channel management (domain.certificates), pure;
- registering, listing and revoking certificates (services.certificates), on both engines;
- `auth.wssecurity.authenticate` on envelopes signed as integrators' stacks sign them (presence.testing.wssecurity);
- the `presence certificates` command.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from signxml import SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import SignXMLException
from sqlalchemy import select

from presence.auth import wssecurity
from presence.auth.wssecurity import NotAuthenticated, authenticate
from presence.auth.xml_namespaces import DS as DS_NS
from presence.auth.xml_namespaces import WSSE as WSSE_NS
from presence.auth.xml_namespaces import WSU as WSU_NS
from presence.clock import FrozenClock
from presence.db.models import AuditEvent, Certificate, Sender
from presence.domain import certificates as rules
from presence.domain.visibility import Caller, CallerKind, Role
from presence.services.access import certificates
from presence.services.access.certificates import (
    find_certificate,
    list_certificates,
    register_certificate,
    revoke_certificate,
)
from presence.services.errors import InvalidRequest, NotAllowed, NotFound
from presence.services.runtime import Runtime
from presence.testing.wssecurity import SHA256, der, make_certificate, pem, sign_envelope

from ..channels.soap.zeep_plugin import WSSecuritySigner
from ..conftest import NOW

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ENTERPRISE = "0448181966"
OTHER_ENTERPRISE = "0202239951"
VALID_FROM = NOW - timedelta(days=1)
ENVELOPE = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:pr="http://socialsecurity.be/presenceregistration/v1">'
    b"<soapenv:Header/>"
    b"<soapenv:Body><pr:GetPresenceRegistrationRequest><pr:Id>42</pr:Id></pr:GetPresenceRegistrationRequest>"
    b"</soapenv:Body></soapenv:Envelope>"
)


@cache
def certificate(kind: str = "rsa2048", **options):
    """Key pairs are slow to make: one of each kind per test session, valid around NOW."""
    if kind.startswith("rsa"):
        return make_certificate("rsa", bits=int(kind[3:]), not_before=VALID_FROM, **options)
    return make_certificate("ec", curve=kind, not_before=VALID_FROM, **options)


def q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def refusal(envelope, db, now=NOW) -> str:
    if isinstance(envelope, bytes):
        envelope = etree.fromstring(envelope)
    with pytest.raises(NotAuthenticated) as refused:
        authenticate(envelope, db, now)
    return refused.value.reason


@pytest.fixture
def registered(empty_runtime):
    """The default RSA 2048 certificate, registered for ENTERPRISE: (private_key, cert)."""
    key, cert = certificate()
    register_certificate(empty_runtime, Caller.operator(), ENTERPRISE, pem(cert), "badge system")
    return key, cert


# --- the certificate rules ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "options"), [
    ("rsa2048", {}), ("rsa3072", {}), ("rsa4096", {}), ("secp384r1", {}), ("secp521r1", {}),
    ("rsa2048", {"digest": "sha384"}), ("rsa2048", {"digest": "sha512"}),
])
def test_certificates_the_rules_accept(kind, options):
    _, cert = certificate(kind, **options)
    assert rules.check_certificate(cert, NOW) == []


@pytest.mark.parametrize(("kind", "options", "reason"), [
    ("rsa1024", {}, "RSA key of 1024 bits: 2048, 3072 or 4096 required"),
    ("rsa2560", {}, "RSA key of 2560 bits: 2048, 3072 or 4096 required"),
    ("secp256r1", {}, "EC curve secp256r1: P-384 or P-521 required"),
    ("rsa2048", {"digest": "sha1"}, "signed with SHA-1: SHA-256, SHA-384 or SHA-512 required"),
    ("rsa2048", {"key_usage_digital_signature": False}, "key usage without Digital Signature"),
    ("rsa2048", {"key_usage": False}, "no key usage extension: Digital Signature required"),
])
def test_certificates_the_rules_refuse_with_the_reason(kind, options, reason):
    _, cert = certificate(kind, **options)
    assert rules.check_certificate(cert, NOW) == [reason]


def test_expired_and_not_yet_valid_certificates_are_refused():
    _, cert = certificate()
    assert rules.check_certificate(cert, VALID_FROM - timedelta(seconds=1)) == [
        f"not valid before {VALID_FROM:%Y-%m-%d %H:%M:%S} UTC"]
    end = VALID_FROM + timedelta(days=365)
    assert rules.check_certificate(cert, end + timedelta(seconds=1)) == [f"expired on {end:%Y-%m-%d %H:%M:%S} UTC"]


def test_every_reason_is_given_at_once():
    _, cert = certificate("rsa1024", digest="sha1", key_usage_digital_signature=False)
    assert len(rules.check_certificate(cert, NOW + timedelta(days=400))) == 4


def test_pem_and_der_load_alike_and_garbage_is_refused():
    _, cert = certificate()
    assert rules.load_certificate(pem(cert)) == cert
    assert rules.load_certificate(der(cert)) == cert
    assert rules.load_certificate(b"\n" + pem(cert) + b"\n") == cert
    assert rules.fingerprint(cert) == rules.der_fingerprint(der(cert))
    for data, message in [
        (b"", "empty file"),
        (b"hello, world", "neither a PEM nor a DER X.509 certificate"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a readable PEM"),
        (pem(cert) + pem(certificate("rsa3072")[1]), "several certificates"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "private key"),
    ]:
        with pytest.raises(rules.InvalidCertificate, match=message):
            rules.load_certificate(data)


# --- the certificate registry -------------------------------------------------------------------------------

def test_registering_gives_the_enterprise_a_sender_number_and_is_audited(empty_runtime):
    _, cert = certificate()
    view = register_certificate(empty_runtime, Caller.operator(), "BE 0448.181.966", der(cert), " badges ")
    assert (view.enterprise, view.name, view.fingerprint) == (ENTERPRISE, "badges", rules.fingerprint(cert))
    assert view.not_after == cert.not_valid_after_utc and view.revoked_at is None
    with empty_runtime.db.reading() as session:
        number = session.scalar(select(Sender.number).where(Sender.enterprise == ENTERPRISE))
        assert view.client_id == f"self_service_expeditor_{number}"
        event = session.scalars(select(AuditEvent)).one()
        assert (event.action, event.subject_type, event.subject_ids) == ("certificate.registered", "certificate",
                                                                         [view.id])
        assert event.details["fingerprint"] == view.fingerprint
        stored = find_certificate(session, der(cert))
        assert stored is not None and rules.load_certificate(stored.pem.encode()) == cert


def test_a_certificate_is_refused_with_every_reason_and_nothing_is_stored(empty_runtime):
    _, cert = certificate("rsa1024", digest="sha1")
    with pytest.raises(InvalidRequest) as refused:
        register_certificate(empty_runtime, Caller.operator(), ENTERPRISE, pem(cert), "old")
    assert str(refused.value) == ("certificate refused: RSA key of 1024 bits: 2048, 3072 or 4096 required; "
                                  "signed with SHA-1: SHA-256, SHA-384 or SHA-512 required")
    with empty_runtime.db.reading() as session:
        assert session.scalars(select(Certificate)).all() == []
        assert session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize(("enterprise", "data", "name", "message"), [
    ("0448181967", None, "x", "enterprise number: wrong check digits"),
    (ENTERPRISE, None, "  ", "name: required"),
    (ENTERPRISE, None, "x" * 101, "name: at most 100 characters"),
    (ENTERPRISE, b"garbage", "x", "certificate: neither a PEM nor a DER X.509 certificate"),
])
def test_bad_input_is_refused_clearly(empty_runtime, enterprise, data, name, message):
    with pytest.raises(InvalidRequest, match=message):
        register_certificate(empty_runtime, Caller.operator(), enterprise, data or pem(certificate()[1]), name)


def test_a_certificate_is_registered_once(empty_runtime, registered):
    _, cert = registered
    for enterprise in (ENTERPRISE, OTHER_ENTERPRISE):
        with pytest.raises(InvalidRequest, match="certificate already registered"):
            register_certificate(empty_runtime, Caller.operator(), enterprise, der(cert), "again")


def test_only_the_enterprises_technical_manager_manages_its_certificates(empty_runtime):
    _, cert = certificate()
    for caller in (Caller.enterprise_account(ENTERPRISE), Caller.inspector(), Caller.back_office(),
                   Caller.enterprise_account(OTHER_ENTERPRISE, roles=(Role.TECHNICAL_MANAGER,))):
        with pytest.raises(NotAllowed):
            register_certificate(empty_runtime, caller, ENTERPRISE, pem(cert), "x")
    manager = Caller.enterprise_account(ENTERPRISE, roles=(Role.TECHNICAL_MANAGER,), user_type="PERSON")
    view = register_certificate(empty_runtime, manager, ENTERPRISE, pem(cert), "x")
    assert [v.fingerprint for v in list_certificates(empty_runtime, manager)] == [view.fingerprint]
    with pytest.raises(NotAllowed):
        list_certificates(empty_runtime, manager, OTHER_ENTERPRISE)
    with pytest.raises(NotFound):
        revoke_certificate(empty_runtime, Caller.enterprise_account(OTHER_ENTERPRISE,
                                                                     roles=(Role.TECHNICAL_MANAGER,)),
                           view.fingerprint)


def test_revoking_and_listing(empty_runtime, registered):
    _, cert = registered
    _, rollover = certificate("secp384r1")
    register_certificate(empty_runtime, Caller.operator(), ENTERPRISE, pem(rollover), "rollover")
    fingerprint = rules.fingerprint(cert)
    colons = ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
    revoked = revoke_certificate(empty_runtime, Caller.operator(), colons)
    assert revoked.revoked_at == NOW
    with pytest.raises(InvalidRequest, match="already revoked"):
        revoke_certificate(empty_runtime, Caller.operator(), fingerprint)
    with pytest.raises(NotFound):
        revoke_certificate(empty_runtime, Caller.operator(), "0" * 64)
    with pytest.raises(InvalidRequest, match="64 hexadecimal digits"):
        revoke_certificate(empty_runtime, Caller.operator(), "abc")
    listed = list_certificates(empty_runtime, Caller.operator(), ENTERPRISE)
    assert [(v.name, v.revoked_at is not None) for v in listed] == [("badge system", True), ("rollover", False)]
    assert list_certificates(empty_runtime, Caller.operator(), OTHER_ENTERPRISE) == []
    with empty_runtime.db.reading() as session:
        assert find_certificate(session, der(cert)) is None
        assert find_certificate(session, der(cert), include_revoked=True).revoked_at == NOW
        assert [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
            "certificate.registered", "certificate.registered", "certificate.revoked"]


# --- WS-Security: accepted ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "method", "digest"), [
    ("rsa2048", "rsa-sha256", "sha256"),
    ("rsa2048", "rsa-sha1", "sha1"),
    ("rsa2048", "rsa-sha1", "sha256"),
    ("rsa4096", "rsa-sha256", "sha256"),
    ("rsa3072", "rsa-sha512", "sha512"),
    ("secp384r1", "ecdsa-sha384", "sha256"),
    ("secp521r1", "ecdsa-sha512", "sha512"),
])
def test_a_signed_request_identifies_the_enterprise_account(db, empty_runtime, kind, method, digest):
    key, cert = certificate(kind)
    view = register_certificate(empty_runtime, Caller.operator(), ENTERPRISE, pem(cert), kind)
    caller = authenticate(etree.fromstring(sign_envelope(ENVELOPE, key, cert, method, digest, created=NOW)),
                          db, NOW).caller
    assert caller == Caller.enterprise_account(ENTERPRISE, roles=(Role.REGISTRAR,), sender_id=view.client_id,
                                               user_type="WEBSERVICE")
    assert caller.kind is CallerKind.ENTERPRISE and view.client_id.startswith("self_service_expeditor_")


def test_wss4j_inclusive_namespace_prefixes_are_understood(db, registered):
    key, cert = registered
    signed = sign_envelope(ENVELOPE, key, cert, created=NOW, inclusive_namespaces=True)
    assert b"InclusiveNamespaces" in signed
    assert authenticate(etree.fromstring(signed), db, NOW).caller.enterprise == ENTERPRISE


def test_pretty_printed_requests_and_an_unprefixed_envelope_are_fine(db, registered):
    key, cert = registered
    envelope = (b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">\n  <Body>\n'
                b'    <ping xmlns="urn:test">hello</ping>\n  </Body>\n</Envelope>')
    signed = sign_envelope(envelope, key, cert, created=NOW)
    assert authenticate(etree.fromstring(signed), db, NOW).caller.enterprise == ENTERPRISE


@pytest.mark.parametrize(("created", "expires"), [
    (timedelta(minutes=4), timedelta(minutes=9)),  # a client clock ahead
    (timedelta(minutes=-9), timedelta(minutes=-4)),  # a client clock behind
    (timedelta(minutes=-14), timedelta(minutes=1)),  # a long time to live
    (timedelta(0), None),  # no Expires (it is optional)
])
def test_clock_skew_and_age_within_the_limits_are_tolerated(db, registered, created, expires):
    """Created up to 5 minutes ahead, up to 15 minutes old; Expires passed by less than 5 minutes."""
    key, cert = registered
    signed = sign_envelope(ENVELOPE, key, cert, created=NOW + created, expires=expires and NOW + expires,
                           with_expires=expires is not None)
    assert (b"Expires" in signed) is (expires is not None)
    assert authenticate(etree.fromstring(signed), db, NOW).caller.enterprise == ENTERPRISE


def test_the_zeep_plugin_signs_outgoing_requests(db, registered):
    key, cert = registered
    plugin = WSSecuritySigner(key, cert, clock=lambda: NOW)
    envelope, headers = plugin.egress(etree.fromstring(ENVELOPE), {"SOAPAction": "x"}, None, {})
    assert headers == {"SOAPAction": "x"}
    assert authenticate(envelope, db, NOW).caller.enterprise == ENTERPRISE


# --- WS-Security: refused -----------------------------------------------------------------------------------

def signed_tree(registered, **options) -> etree._Element:
    key, cert = registered
    return etree.fromstring(sign_envelope(ENVELOPE, key, cert, created=options.pop("created", NOW), **options))


def test_no_security_header(db, registered):
    assert refusal(ENVELOPE, db) == "no WS-Security header"
    no_header = ENVELOPE.replace(b"<soapenv:Header/>", b"")
    assert refusal(no_header, db) == "no WS-Security header"
    assert refusal(b"<a:Envelope xmlns:a='urn:not-soap'/>", db) == "not a SOAP envelope"


def test_unsigned(db, registered):
    tree = signed_tree(registered)
    signature = tree.find(f".//{q(DS_NS, 'Signature')}")
    signature.getparent().remove(signature)
    assert refusal(tree, db) == "message not signed"


def test_body_altered_after_signing(db, registered):
    tree = signed_tree(registered)
    tree.find(f".//{{{'http://socialsecurity.be/presenceregistration/v1'}}}Id").text = "43"
    assert refusal(tree, db) == "the Body was altered after signing (digest mismatch)"


def test_timestamp_altered_after_signing(db, registered):
    tree = signed_tree(registered)
    tree.find(f".//{q(WSU_NS, 'Expires')}").text = "2026-03-03T09:30:00.000Z"
    assert refusal(tree, db) == "the Timestamp was altered after signing (digest mismatch)"


def test_signature_value_altered(db, registered):
    tree = signed_tree(registered)
    value = tree.find(f".//{q(DS_NS, 'SignatureValue')}")
    value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]
    assert refusal(tree, db) == "signature value does not verify with the token's certificate"


def test_signed_by_another_key_than_the_tokens(db, registered):
    _, cert = registered
    other_key, _ = certificate("rsa3072")
    signed = sign_envelope(ENVELOPE, other_key, cert, created=NOW)
    assert refusal(signed, db) == "signature value does not verify with the token's certificate"


@pytest.mark.parametrize(("created", "expires", "reason"), [
    (NOW - timedelta(minutes=12), NOW - timedelta(minutes=7), "Timestamp expired"),
    (NOW + timedelta(minutes=6), None, "Timestamp created in the future (more than the 5-minute clock skew)"),
    (NOW - timedelta(minutes=16), NOW + timedelta(hours=1), "Timestamp too old: created more than 15 minutes ago"),
    (NOW, NOW - timedelta(seconds=1), "Timestamp expires before it was created"),
])
def test_stale_timestamps(db, registered, created, expires, reason):
    assert refusal(signed_tree(registered, created=created, expires=expires), db) == reason


def test_timestamp_not_signed(db, registered):
    assert refusal(signed_tree(registered, sign=("body",)), db).startswith(
        "signature does not cover the Timestamp: add a wsu:Timestamp")


def test_body_not_signed(db, registered):
    tree = signed_tree(registered, sign=("timestamp",))
    assert refusal(tree, db) == "signature does not cover the envelope's Body"


def test_an_element_referenced_twice_is_refused(db, registered):
    tree = signed_tree(registered, sign=("timestamp", "body", "timestamp"))
    assert refusal(tree, db) == "signature references an element twice"


def test_signed_header_blocks_are_accepted_but_nothing_else(db, registered):
    """WCF signs the WS-Addressing headers too when it sends them."""
    key, cert = registered
    to = "{http://www.w3.org/2005/08/addressing}To"
    envelope = ENVELOPE.replace(b"<soapenv:Header/>", b'<soapenv:Header><a:To xmlns:a="http://www.w3.org/2005/08/'
                                b'addressing">http://localhost/PresenceRegistration/v1</a:To></soapenv:Header>')
    signed = sign_envelope(envelope, key, cert, created=NOW, sign=(to, "timestamp", "body"))
    assert authenticate(etree.fromstring(signed), db, NOW).caller.enterprise == ENTERPRISE
    tree = etree.fromstring(signed)
    tree.find(f".//{to}").text = "http://elsewhere/"
    assert refusal(tree, db) == "the To was altered after signing (digest mismatch)"

    tree = etree.fromstring(sign_envelope(ENVELOPE, key, cert, created=NOW))
    request = tree.find(q(SOAP, "Body"))[0]
    request.set(q(WSU_NS, "Id"), "inner")
    reference = copy.deepcopy(tree.find(f".//{q(DS_NS, 'Reference')}"))
    reference.set("URI", "#inner")
    tree.find(f".//{q(DS_NS, 'SignedInfo')}").append(reference)
    assert refusal(tree, db) == ("signature references other elements than the Body, the Timestamp and SOAP "
                                 "header blocks")


def test_wrapping_attack_signed_body_moved_into_the_header(db, registered):
    tree = signed_tree(registered)
    header, body = tree.find(q(SOAP, "Header")), tree.find(q(SOAP, "Body"))
    wrapper = etree.SubElement(header, "{urn:attacker}Wrapper")
    wrapper.append(body)  # the signed Body, with its wsu:Id, now sits in the header
    forged = etree.SubElement(tree, q(SOAP, "Body"))
    etree.SubElement(forged, "{http://socialsecurity.be/presenceregistration/v1}CancelPresencesRequest")
    assert refusal(tree, db) == "signature does not cover the envelope's Body"

    # The same, the forged Body claiming the signed Body's id: ambiguous.
    forged.set(q(WSU_NS, "Id"), body.get(q(WSU_NS, "Id")))
    assert refusal(tree, db) == "a signature reference is ambiguous"

    # Or under another attribute that looks like an id.
    del forged.attrib[q(WSU_NS, "Id")]
    forged.set("ID", body.get(q(WSU_NS, "Id")))
    assert refusal(tree, db) == "a signature reference is ambiguous"


def test_wrapping_attack_timestamp_elsewhere(db, registered):
    tree = signed_tree(registered, created=NOW - timedelta(minutes=14))
    security = tree.find(f".//{q(WSSE_NS, 'Security')}")
    old = security.find(q(WSU_NS, "Timestamp"))
    etree.SubElement(tree.find(q(SOAP, "Header")), "{urn:attacker}Wrapper").append(old)
    fresh = etree.SubElement(security, q(WSU_NS, "Timestamp"))
    etree.SubElement(fresh, q(WSU_NS, "Created")).text = "2026-03-03T08:30:00Z"
    assert refusal(tree, db).startswith("signature does not cover the Timestamp: add a wsu:Timestamp")


def test_unknown_certificate(db, registered):
    key, cert = certificate("rsa3072")
    assert refusal(sign_envelope(ENVELOPE, key, cert, created=NOW), db) == "certificate not registered"


def test_revoked_certificate(db, empty_runtime, registered):
    key, cert = registered
    revoke_certificate(empty_runtime, Caller.operator(), rules.fingerprint(cert))
    assert refusal(sign_envelope(ENVELOPE, key, cert, created=NOW), db) == "certificate revoked"


def test_expired_certificate(db):
    """Registered while valid, signing correctly, but past its end."""
    key, cert = make_certificate(not_before=NOW - timedelta(days=40), days=30)
    register_certificate(Runtime(db=db, clock=FrozenClock(NOW - timedelta(days=20))), Caller.operator(),
                         ENTERPRISE, pem(cert), "old")
    assert refusal(sign_envelope(ENVELOPE, key, cert, created=NOW), db) == "certificate expired"
    assert authenticate(etree.fromstring(sign_envelope(ENVELOPE, key, cert, created=NOW - timedelta(days=15))),
                        db, NOW - timedelta(days=15)).caller.enterprise == ENTERPRISE


def test_a_second_binary_security_token(db, registered):
    tree = signed_tree(registered)
    token = tree.find(f".//{q(WSSE_NS, 'BinarySecurityToken')}")
    second = copy.deepcopy(token)
    second.set(q(WSU_NS, "Id"), "X509-second")
    second.text = rules.to_pem(certificate("rsa3072")[1]).split("-----")[2].strip()
    token.addnext(second)
    assert refusal(tree, db) == "several BinarySecurityTokens in the Security header: exactly one expected"


@pytest.mark.parametrize(("change", "reason"), [
    ("ValueType", "BinarySecurityToken is not an X.509 v3 certificate"),
    ("EncodingType", "BinarySecurityToken is not Base64Binary encoded"),
    ("text", "BinarySecurityToken does not hold a readable certificate"),
])
def test_a_bad_token(db, registered, change, reason):
    tree = signed_tree(registered)
    token = tree.find(f".//{q(WSSE_NS, 'BinarySecurityToken')}")
    if change == "text":
        token.text = "bm90IGEgY2VydGlmaWNhdGU="
    else:
        token.set(change, "urn:something-else")
    assert refusal(tree, db) == reason


def test_two_security_headers_and_two_signatures(db, registered):
    tree = signed_tree(registered)
    security = tree.find(f".//{q(WSSE_NS, 'Security')}")
    signature = security.find(q(DS_NS, "Signature"))
    security.append(copy.deepcopy(signature))
    assert refusal(tree, db) == "several signatures in the Security header: exactly one expected"
    security.remove(security[-1])
    security.addnext(etree.Element(q(WSSE_NS, "Security")))
    assert refusal(tree, db) == "several WS-Security headers: exactly one expected"


def test_no_timestamp(db, registered):
    tree = signed_tree(registered)
    timestamp = tree.find(f".//{q(WSU_NS, 'Timestamp')}")
    timestamp.getparent().remove(timestamp)
    assert refusal(tree, db).startswith("no Timestamp in the Security header: add a wsu:Timestamp")


def test_algorithms_outside_the_profile_are_refused(db, registered):
    tree = signed_tree(registered)
    tree.find(f".//{q(DS_NS, 'CanonicalizationMethod')}").set("Algorithm",
                                                               "http://www.w3.org/2006/12/xml-c14n11")
    assert refusal(tree, db) == "SignedInfo not canonicalised with exclusive c14n"
    tree = signed_tree(registered)
    tree.find(f".//{q(DS_NS, 'SignatureMethod')}").set("Algorithm",
                                                       "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
    assert refusal(tree, db).startswith("signature method not accepted")
    tree = signed_tree(registered)
    tree.find(f".//{q(DS_NS, 'Transform')}").set("Algorithm",
                                                 "http://www.w3.org/2000/09/xmldsig#enveloped-signature")
    assert refusal(tree, db) == "a signature reference is not transformed with exclusive c14n only"
    tree = signed_tree(registered)
    tree.find(f".//{q(DS_NS, 'DigestMethod')}").set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#md5")
    assert refusal(tree, db).startswith("digest method not accepted")


def test_reasons_never_repeat_message_content(db, registered):
    tree = signed_tree(registered)
    tree.find(f".//{q(DS_NS, 'Reference')}").set("URI", "#78012340961")
    reason = refusal(tree, db)
    assert reason == "a signature reference does not resolve" and "78012340961" not in reason


# --- the signature check agrees with signxml's ------------------------------------------------------------

class _SignxmlVerifier(XMLVerifier):
    """signxml's verifier, configured as the SOAP channel used it before it verified signatures itself."""

    @classmethod
    def schemas(cls):
        return [wssecurity._signature_schema()]


def signxml_accepts(tree: etree._Element, cert) -> bool:
    soap = etree.QName(tree).namespace
    config = SignatureConfiguration(
        require_x509=True, location=f"./{q(soap, 'Header')}/{q(WSSE_NS, 'Security')}/",
        expect_references=len(tree.findall(f".//{q(DS_NS, 'Reference')}")),
        signature_methods=frozenset(SignatureMethod(uri) for uri in wssecurity._SIGNATURE_METHODS),
        digest_algorithms=frozenset(signxml_digest for signxml_digest in wssecurity.DigestAlgorithm
                                    if signxml_digest.value in wssecurity._DIGEST_METHODS),
        verification_time=NOW, ignore_ambiguous_key_info=False)
    try:
        _SignxmlVerifier().verify(tree, x509_cert=cert, expect_config=config)
        return True
    except (SignXMLException, etree.DocumentInvalid, ValueError):
        return False


def resign(tree: etree._Element, key) -> etree._Element:
    """Sign the (changed) SignedInfo again with an RSA key, SHA-256: the digests stay as they are."""
    signed_info = tree.find(f".//{q(DS_NS, 'SignedInfo')}")
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
    tree.find(f".//{q(DS_NS, 'SignatureValue')}").text = base64.b64encode(
        key.sign(canonical, padding.PKCS1v15(), SHA256)).decode()
    return tree


def test_a_reference_with_two_transforms_is_refused(db, registered):
    """Even two exclusive c14n transforms, correctly signed (signxml, used before, failed on them)."""
    key, _ = registered
    tree = signed_tree(registered)
    reference = tree.find(f".//{q(DS_NS, 'Reference')}")
    transform = reference.find(f"{q(DS_NS, 'Transforms')}/{q(DS_NS, 'Transform')}")
    transform.addnext(copy.deepcopy(transform))
    assert refusal(resign(tree, key), db) == "a signature reference is not transformed with exclusive c14n only"


def _mutated(signed: bytes, change) -> etree._Element:
    tree = etree.fromstring(signed)
    change(tree)
    return tree


def _set_text(path: str, text: str):
    def change(tree):
        tree.find(path).text = text
    return change


def _alter_signature_value(tree):
    value = tree.find(f".//{q(DS_NS, 'SignatureValue')}")
    value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]


def _redeclare_on_body(tree):
    """The Body declares again a namespace already in scope: the canonical form is the same."""
    body = tree.find(q(SOAP, "Body"))
    copied = etree.Element(body.tag, attrib=dict(body.attrib), nsmap={**body.nsmap, "soapenv": SOAP})
    copied.extend(list(body))
    tree.replace(body, copied)


def _rename_prefix(tree):
    """The same operation element under another prefix: exclusive c14n keeps prefixes, so the digest changes."""
    body = tree.find(q(SOAP, "Body"))
    operation = body[0]
    renamed = etree.SubElement(body, operation.tag, nsmap={"other": etree.QName(operation).namespace})
    renamed.extend(list(operation))
    body.remove(operation)


_PRETTY = (b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/">\n  <Body>\n'
           b'    <ping xmlns="urn:test">hello &amp; <b a="1"/></ping>\n  </Body>\n</Envelope>')
_TO = "{http://www.w3.org/2005/08/addressing}To"
_WITH_TO = ENVELOPE.replace(b"<soapenv:Header/>", b'<soapenv:Header><a:To xmlns:a="http://www.w3.org/2005/08/'
                            b'addressing">http://localhost/PresenceRegistration/v1</a:To></soapenv:Header>')


@pytest.mark.parametrize("case", [
    "rsa-sha256", "rsa-sha1", "ecdsa", "inclusive namespaces", "pretty printed", "signed header block",
    "body altered", "timestamp altered", "signature altered", "namespace redeclared", "prefix renamed",
    "whitespace in the Body", "wrong key type",
])
def test_the_signature_check_agrees_with_signxml(db, empty_runtime, case):
    """Our verdict on the signature (signature value and digests) is signxml's, on valid and altered
    envelopes alike: accepted by both, or refused by both."""
    key, cert = certificate("secp384r1" if case == "ecdsa" else "rsa2048")
    method, digest = {"rsa-sha1": ("rsa-sha1", "sha1"), "ecdsa": ("ecdsa-sha384", "sha384")}.get(
        case, ("rsa-sha256", "sha256"))
    options = {"inclusive namespaces": {"inclusive_namespaces": True},
               "signed header block": {"sign": (_TO, "timestamp", "body")}}.get(case, {})
    envelope = {"pretty printed": _PRETTY, "signed header block": _WITH_TO}.get(case, ENVELOPE)
    signing_key = certificate("rsa3072")[0] if case == "wrong key type" else key
    token = certificate("secp384r1")[1] if case == "wrong key type" else cert
    register_certificate(empty_runtime, Caller.operator(), ENTERPRISE, pem(token), case)
    signed = sign_envelope(envelope, signing_key, token, method, digest, created=NOW, **options)
    pr_id = f".//{{{'http://socialsecurity.be/presenceregistration/v1'}}}Id"
    changes = {
        "body altered": _set_text(pr_id, "43"),
        "timestamp altered": _set_text(f".//{q(WSU_NS, 'Expires')}", "2026-03-03T09:31:00.000Z"),
        "signature altered": _alter_signature_value,
        "namespace redeclared": _redeclare_on_body,
        "prefix renamed": _rename_prefix,
        "whitespace in the Body": _set_text(pr_id, " 42"),
    }
    tree = _mutated(signed, changes.get(case, lambda tree: None))
    try:
        authenticate(copy.deepcopy(tree), db, NOW)
        ours = True
    except NotAuthenticated as refused:
        ours = False
        assert "altered after signing" in refused.reason or "does not verify" in refused.reason \
            or refused.reason == "malformed signature", refused.reason
    assert ours is signxml_accepts(tree, token)
    expected = case not in {"body altered", "timestamp altered", "signature altered", "prefix renamed",
                            "whitespace in the Body", "wrong key type"}
    assert ours is expected


# --- what the database says about a certificate is remembered a few seconds ---------------------------------

@pytest.fixture
def trust_clock(monkeypatch):
    """The registration cache's clock, moved by hand (seconds)."""
    moment = [1000.0]
    monkeypatch.setattr(certificates._SIGNERS, "timer", lambda: moment[0])
    return moment


def test_a_revocation_takes_effect_within_the_trust_bound(db, empty_runtime, registered, trust_clock):
    key, cert = registered
    assert authenticate(signed_tree(registered), db, NOW).caller.enterprise == ENTERPRISE
    revoke_certificate(empty_runtime, Caller.operator(), rules.fingerprint(cert))
    # Within the bound, this process still relies on what it read (another process may have revoked it) ...
    trust_clock[0] += certificates.TRUST_TTL - 0.5
    assert authenticate(signed_tree(registered), db, NOW).caller.enterprise == ENTERPRISE
    # ... and no longer after it.
    trust_clock[0] += 0.5
    assert refusal(signed_tree(registered), db) == "certificate revoked"
    trust_clock[0] += 3600
    assert refusal(signed_tree(registered), db) == "certificate revoked"


def test_an_unregistered_certificate_is_not_remembered(db, empty_runtime, trust_clock):
    key, cert = certificate("rsa3072")
    signed = sign_envelope(ENVELOPE, key, cert, created=NOW)
    assert refusal(signed, db) == "certificate not registered"
    register_certificate(empty_runtime, Caller.operator(), ENTERPRISE, pem(cert), "just now")
    assert authenticate(etree.fromstring(signed), db, NOW).caller.enterprise == ENTERPRISE


def test_the_cache_is_per_database(db, registered, trust_clock, tmp_path):
    """Another database (another registry in the same process) does not see this one's certificates."""
    from presence.db.engine import Database
    from presence.db.migrate import upgrade

    assert authenticate(signed_tree(registered), db, NOW).caller.enterprise == ENTERPRISE
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    assert refusal(signed_tree(registered), other) == "certificate not registered"


# --- the command line ---------------------------------------------------------------------------------------

PRESENCE = str(Path(sys.executable).parent / "presence")


def run(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRESENCE_DATABASE_URL": db_url, "COLUMNS": "250"}
    return subprocess.run([PRESENCE, *args], capture_output=True, text=True, env=env, timeout=120)


def test_the_certificates_command(db, tmp_path):
    # The command runs on the system clock: certificates valid today.
    _, cert = make_certificate(not_before=datetime.now(UTC) - timedelta(days=1), common_name="planning system")
    good = tmp_path / "client.pem"
    good.write_bytes(pem(cert))
    added = run(db.url, "certificates", "add", "--enterprise", "0448.181.966", "--file", str(good))
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert shown["fingerprint"] == rules.fingerprint(cert)
    assert (shown["enterprise"], shown["name"]) == (ENTERPRISE, "planning system")
    assert shown["client_id"].startswith("self_service_expeditor_")

    again = run(db.url, "certificates", "add", "--enterprise", ENTERPRISE, "--file", str(good), "--name", "x")
    assert again.returncode == 1 and "certificate already registered" in again.stderr

    _, weak = make_certificate(bits=1024, not_before=datetime.now(UTC) - timedelta(days=1))
    bad = tmp_path / "weak.der"
    bad.write_bytes(der(weak))
    refused = run(db.url, "certificates", "add", "--enterprise", ENTERPRISE, "--file", str(bad))
    assert refused.returncode == 1 and refused.stdout == ""
    assert "RSA key of 1024 bits: 2048, 3072 or 4096 required" in refused.stderr

    listed = run(db.url, "certificates", "list", "--wide", "--enterprise", ENTERPRISE)  # the whole fingerprint
    assert listed.returncode == 0 and shown["fingerprint"] in listed.stdout and "active" in listed.stdout

    revoked = run(db.url, "certificates", "revoke", shown["fingerprint"])
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in run(db.url, "certificates", "list").stdout
    unknown = run(db.url, "certificates", "revoke", "0" * 64)
    assert unknown.returncode == 1 and "no such certificate" in unknown.stderr
