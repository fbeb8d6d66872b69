"""Channel management: web-service accounts, their permissions and certificates (on both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from presence.db.models import AccessToken, Account, AuditEvent, Certificate
from presence.domain import certificates as certificate_rules
from presence.domain import scopes
from presence.domain.visibility import Caller, Role
from presence.services.access.accounts import (
    add_certificate,
    change_scopes,
    create_account,
    list_accounts,
    revoke_account,
)
from presence.services.access.certificates import find_certificate, register_certificate, revoke_certificate
from presence.services.access.senders import client_id, sender_number, sender_number_of
from presence.services.errors import InvalidRequest, NotAllowed, NotFound
from presence.testing.wssecurity import der, make_certificate, pem

from ...helpers import count

ENTERPRISE = "0448181966"
OTHER = "0566988259"
OPERATOR = Caller.operator()
TECHNICAL_MANAGER = Caller.enterprise_account(ENTERPRISE, roles=(Role.TECHNICAL_MANAGER,), sender_id="tm",
                                              user_type="PERSON", inss="78012340961")
ALL = list(scopes.SCOPES)


def certificate(clock, **options):
    options.setdefault("not_before", clock.now() - timedelta(days=1))
    return make_certificate(**options)


def create(runtime, clock, enterprise=ENTERPRISE, caller=OPERATOR, scope=ALL, name="badge system", **options):
    _key, cert = certificate(clock, **options)
    return create_account(runtime, caller, enterprise, name, pem(cert), "first certificate", scope)


def audit_actions(db) -> list[str]:
    with db.reading() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_account_shows_the_client_id_of_the_enterprises_sender_number(empty_runtime, clock):
    runtime = empty_runtime
    view = create(runtime, clock, scope=[scopes.REST_PROFESSIONAL, scopes.REST_ENTERPRISE])
    with runtime.db.writing() as session:
        number = sender_number(session, ENTERPRISE, clock.now())
    assert view.client_id == client_id(number) == f"self_service_expeditor_{number}"
    assert sender_number_of(view.client_id) == number
    assert view.enterprise == ENTERPRISE and view.name == "badge system" and view.revoked_at is None
    assert view.scopes == (scopes.REST_ENTERPRISE, scopes.REST_PROFESSIONAL)  # catalogue order
    [cert] = view.certificates
    assert cert.account_id == view.id and cert.name == "first certificate" and cert.client_id == view.client_id
    assert audit_actions(runtime.db) == ["account.created", "certificate.registered"]
    assert view.as_json()["client_id"] == view.client_id
    # The certificate is in the one registry, the SOAP channel's too.
    with runtime.db.reading() as session:
        found = find_certificate(session, der_of(runtime, cert.fingerprint))
        assert found is not None and found.account_id == view.id


def der_of(runtime, fingerprint: str) -> bytes:
    from cryptography import x509

    with runtime.db.reading() as session:
        row = session.scalar(select(Certificate).where(Certificate.fingerprint == fingerprint))
    return der(x509.load_pem_x509_certificate(row.pem.encode()))


def test_a_technical_manager_creates_the_account_of_his_enterprise_only(empty_runtime, clock):
    view = create(empty_runtime, clock, caller=TECHNICAL_MANAGER, scope=" ".join(ALL))
    assert view.scopes == tuple(ALL)
    with pytest.raises(NotAllowed):
        create(empty_runtime, clock, enterprise=OTHER, caller=TECHNICAL_MANAGER)
    registrar = Caller.enterprise_account(OTHER, roles=(Role.REGISTRAR,))
    with pytest.raises(NotAllowed):
        create(empty_runtime, clock, enterprise=OTHER, caller=registrar)
    assert [v.client_id for v in list_accounts(empty_runtime, TECHNICAL_MANAGER)] == [view.client_id]
    with pytest.raises(NotAllowed):
        list_accounts(empty_runtime, TECHNICAL_MANAGER, OTHER)
    with pytest.raises(NotAllowed):
        list_accounts(empty_runtime, registrar)
    # Someone else's account is, to him, no account at all.
    other = create(empty_runtime, clock, enterprise=OTHER)
    with pytest.raises(NotFound):
        revoke_account(empty_runtime, TECHNICAL_MANAGER, other.client_id)
    _key, cert = certificate(clock)
    with pytest.raises(NotFound):
        add_certificate(empty_runtime, TECHNICAL_MANAGER, other.client_id, pem(cert), "mine")


def issued_by_authority(clock):
    """A certificate issued by a certification authority (not self-signed): (authority's cert, client's cert)."""
    authority_key = ec.generate_private_key(ec.SECP384R1())
    authority = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Qualified CA")])
    client_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    start = clock.now() - timedelta(days=1)
    ca_cert = (x509.CertificateBuilder().subject_name(authority).issuer_name(authority)
               .public_key(authority_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                              critical=True)
               .sign(authority_key, hashes.SHA384()))
    client_cert = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "badge system")]))
                   .issuer_name(authority).public_key(client_key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + timedelta(days=365))
                   .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False),
                                  critical=True)
                   .sign(authority_key, hashes.SHA384()))
    return ca_cert, client_cert


@pytest.mark.parametrize(("options", "encoding"), [
    ({"bits": 2048}, pem), ({"bits": 3072}, der), ({"bits": 4096}, pem),
    ({"key_type": "ec", "curve": "p-384"}, pem), ({"key_type": "ec", "curve": "p-521"}, der),
    ({"digest": "sha256"}, der), ({"digest": "sha384"}, pem), ({"digest": "sha512"}, pem),
])
def test_certificates_every_rule_accepts_are_taken_in_pem_and_der(empty_runtime, clock, options, encoding):
    _key, cert = certificate(clock, **options)
    view = create_account(empty_runtime, OPERATOR, ENTERPRISE, "time clock", encoding(cert), "uploaded", ALL)
    [stored] = view.certificates
    assert stored.name == "uploaded" and "presence test client" in stored.subject
    assert stored.fingerprint == certificate_rules.der_fingerprint(der(cert))
    assert audit_actions(empty_runtime.db) == ["account.created", "certificate.registered"]


def test_a_certificate_of_a_recognised_authority_is_accepted_but_not_the_authoritys_own(empty_runtime, clock):
    ca_cert, client_cert = issued_by_authority(clock)
    view = create_account(empty_runtime, OPERATOR, ENTERPRISE, "time clock", pem(client_cert), "qualified", ALL)
    assert [c.name for c in view.certificates] == ["qualified"]
    with pytest.raises(InvalidRequest, match="key usage without Digital Signature"):
        create_account(empty_runtime, OPERATOR, OTHER, "ca", pem(ca_cert), "the authority itself", ALL)


@pytest.mark.parametrize(("options", "message"), [
    ({"bits": 1024}, "certificate refused: RSA key of 1024 bits: 2048, 3072 or 4096 required"),
    ({"key_type": "ec", "curve": "p-256"}, "EC curve secp256r1: P-384 or P-521 required"),
    ({"digest": "sha1"}, "signed with SHA-1: SHA-256, SHA-384 or SHA-512 required"),
    ({"key_usage_digital_signature": False}, "key usage without Digital Signature"),
    ({"key_usage": False}, "no key usage extension: Digital Signature required"),
    ({"not_before": "future"}, "not valid before"),
    ({"not_before": "past", "days": 2}, "expired on"),
])
def test_refused_certificates_create_nothing(empty_runtime, clock, options, message):
    if options.get("not_before") == "future":
        options["not_before"] = clock.now() + timedelta(days=1)
    elif options.get("not_before") == "past":
        options["not_before"] = clock.now() - timedelta(days=10)
    with pytest.raises(InvalidRequest, match=message) as refused:
        create(empty_runtime, clock, **options)
    assert refused.value.field == "certificate"
    assert count(empty_runtime.db, Account) == 0 and count(empty_runtime.db, Certificate) == 0
    assert audit_actions(empty_runtime.db) == []


@pytest.mark.parametrize(("values", "message", "field"), [
    ({"scope": []}, "scope: at least one of", "scope"),
    ({"scope": ["scope:everything"]}, "unknown scope 'scope:everything'", "scope"),
    ({"name": "  "}, "name: required", "name"),
    ({"name": "x" * 101}, "name: at most 100 characters", "name"),
    ({"enterprise": "0448181967"}, "enterprise number", "enterprise"),
])
def test_refused_account_details(empty_runtime, clock, values, message, field):
    with pytest.raises(InvalidRequest, match=message) as refused:
        create(empty_runtime, clock, **values)
    assert refused.value.field == field
    assert count(empty_runtime.db, Account) == 0


def test_one_active_account_per_enterprise_and_a_certificate_once(empty_runtime, clock):
    runtime = empty_runtime
    first = create(runtime, clock)
    with pytest.raises(InvalidRequest, match=f"already has an active web-service account, client id "
                                             f"{first.client_id}"):
        create(runtime, clock, name="second")
    _key, cert = certificate(clock)
    register_certificate(runtime, OPERATOR, OTHER, pem(cert), "for SOAP")
    with pytest.raises(InvalidRequest, match="certificate already registered"):
        create_account(runtime, OPERATOR, OTHER, "account", pem(cert), "same", ALL)
    assert count(runtime.db, Account) == 1

    # After revocation, a new account takes the enterprise's client id again; the old one stays refused.
    revoke_account(runtime, OPERATOR, first.client_id)
    second = create(runtime, clock, name="second")
    assert second.client_id == first.client_id and second.id != first.id
    assert [(v.id, v.revoked_at is not None) for v in list_accounts(runtime, OPERATOR, ENTERPRISE)] == [
        (first.id, True), (second.id, False)]


def test_rollover_then_revoking_one_certificate(empty_runtime, clock):
    runtime = empty_runtime
    view = create(runtime, clock)
    _key, cert = certificate(clock, key_type="ec", curve="p-521")
    rolled = add_certificate(runtime, TECHNICAL_MANAGER, view.client_id, der(cert), "next year's")
    assert [c.name for c in rolled.certificates] == ["first certificate", "next year's"]
    assert all(c.account_id == view.id for c in rolled.certificates)
    with pytest.raises(InvalidRequest, match="certificate already registered"):
        add_certificate(runtime, OPERATOR, view.client_id, pem(cert), "again")
    with pytest.raises(InvalidRequest, match="RSA key of 1024 bits"):
        add_certificate(runtime, OPERATOR, view.client_id, pem(certificate(clock, bits=1024)[1]), "weak")
    revoke_certificate(runtime, OPERATOR, rolled.certificates[0].fingerprint)
    [listed] = list_accounts(runtime, OPERATOR)
    assert [c.revoked_at is not None for c in listed.certificates] == [True, False]
    assert listed.revoked_at is None
    assert audit_actions(runtime.db) == ["account.created", "certificate.registered", "certificate.registered",
                                          "certificate.revoked"]


def test_changing_the_permissions(empty_runtime, clock):
    view = create(empty_runtime, clock, scope=[scopes.REST_PROFESSIONAL])
    changed = change_scopes(empty_runtime, TECHNICAL_MANAGER, view.client_id, [scopes.SOAP, scopes.REST_ENTERPRISE])
    assert changed.scopes == (scopes.REST_ENTERPRISE, scopes.SOAP)
    with pytest.raises(InvalidRequest, match="scope: at least one"):
        change_scopes(empty_runtime, OPERATOR, view.client_id, [])
    with empty_runtime.db.reading() as session:
        details = session.scalar(select(AuditEvent.details).where(AuditEvent.action == "account.scopes_changed"))
    assert details["before"] == [scopes.REST_PROFESSIONAL]


def test_revoking_an_account_revokes_its_certificates_and_tokens(empty_runtime, clock):
    runtime = empty_runtime
    view = create(runtime, clock)
    add_certificate(runtime, OPERATOR, view.client_id, pem(certificate(clock)[1]), "second")
    with runtime.db.writing() as session:
        session.add(AccessToken(hash="0" * 64, account_id=view.id, scopes=scopes.REST_ENTERPRISE,
                                expires_at=clock.now() + timedelta(minutes=10), created_at=clock.now()))
    clock.advance(timedelta(minutes=1))
    revoked = revoke_account(runtime, TECHNICAL_MANAGER, f" {view.client_id} ")
    assert revoked.revoked_at == clock.now()
    assert all(c.revoked_at == clock.now() for c in revoked.certificates) and len(revoked.certificates) == 2
    assert count(runtime.db, AccessToken) == 0
    assert audit_actions(runtime.db)[-3:] == ["account.revoked", "certificate.revoked", "certificate.revoked"]
    with pytest.raises(NotFound, match="no active web-service account"):
        revoke_account(runtime, OPERATOR, view.client_id)
    with pytest.raises(NotFound):
        revoke_account(runtime, OPERATOR, "not a client id")


def test_certificates_without_account_stay_valid(empty_runtime, clock):
    """The SOAP channel's certificates, registered before accounts existed, keep working."""
    _key, cert = certificate(clock)
    view = register_certificate(empty_runtime, OPERATOR, ENTERPRISE, pem(cert), "SOAP")
    assert view.account_id is None and view.as_json()["account_id"] is None
    with empty_runtime.db.reading() as session:
        found = find_certificate(session, der(cert))
    assert found is not None and found.account_id is None
    # ... and the enterprise may still create its account, with another certificate.
    account = create(empty_runtime, clock)
    assert account.client_id == view.client_id
    assert list_accounts(empty_runtime, OPERATOR)[0].certificates[0].fingerprint != view.fingerprint
