"""The authentication certificates of enterprises' web-service accounts: register, list, revoke, find.

A minimal registry: channel management (accounts, permissions, OAuth clients) builds on it. A certificate
identifies its enterprise, and the enterprise's sender number gives the account's client id
`self_service_expeditor_<N>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...db.engine import Database
from ...db.models import Account, Certificate, Sender
from ...domain import certificates as rules
from ...domain import scopes as scope_rules
from ...domain.channels import Channel
from ...domain.identifiers import InvalidIdentifier, parse_any_enterprise
from ...domain.visibility import Caller, CallerKind, may_manage_channels
from ...i18n import gettext, lazy
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..registrations.recent import Recent
from ..runtime import Runtime
from .senders import client_id, sender_number

NAME_LENGTH = 100
SUBJECT_LENGTH = 500
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CertificateView:
    id: int
    enterprise: str
    name: str
    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime
    created_at: datetime
    revoked_at: datetime | None
    client_id: str | None  # the account's OAuth client id, from the enterprise's sender number
    account_id: int | None = None  # the web-service account it belongs to (none: a certificate for SOAP alone)
    key: str = ""  # `RSA 2048`, `EC secp384r1`...

    @classmethod
    def from_row(cls, row: Certificate, number: int | None) -> CertificateView:
        return cls(id=row.id, enterprise=row.enterprise, name=row.name, fingerprint=row.fingerprint,
                   subject=row.subject, not_before=row.not_before, not_after=row.not_after,
                   created_at=row.created_at, revoked_at=row.revoked_at,
                   client_id=client_id(number) if number is not None else None, account_id=row.account_id,
                   key=rules.key_description(rules.load_certificate(row.pem.encode("ascii"))))

    def state(self, now: datetime) -> rules.CertificateState:
        return rules.state_at(now, self.revoked_at, self.not_before, self.not_after)

    def as_json(self) -> dict:
        return {
            "id": self.id, "enterprise": self.enterprise, "name": self.name, "fingerprint": self.fingerprint,
            "subject": self.subject, "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(), "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None, "client_id": self.client_id,
            "account_id": self.account_id,
        }


def parse_enterprise(enterprise: str) -> str:
    """The enterprise's KBO/BCE number, or a foreign enterprise's VAT number (foreign employers register their
    posted workers too: `foreignVatNumber`); `InvalidRequest` saying what is wrong with it."""
    try:
        return parse_any_enterprise(enterprise)
    except InvalidIdentifier as error:
        raise InvalidRequest(str(error), field="enterprise") from None


@dataclass(frozen=True)
class CheckedCertificate:
    """An uploaded certificate that passed every rule of `domain.certificates`, with its name: ready to be stored."""

    name: str
    certificate: x509.Certificate
    fingerprint: str


def default_name(data: bytes, filename: str) -> str:
    """An uploaded certificate's name when none is given: its common name, else the file's name."""
    try:
        common_names = rules.load_certificate(data).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except (rules.InvalidCertificate, ValueError):
        common_names = []
    return str(common_names[0].value)[:NAME_LENGTH] if common_names else filename[:NAME_LENGTH]


def check_upload(data: bytes, name: str, now: datetime) -> CheckedCertificate:
    """Check an upload (PEM or DER) and its name; `InvalidRequest` gives every reason to refuse it at once."""
    name = (name or "").strip()
    if not name:
        raise InvalidRequest(gettext("name: required"), field="name")
    if len(name) > NAME_LENGTH:
        raise InvalidRequest(gettext("name: at most %(count)s characters", count=NAME_LENGTH), field="name")
    try:
        cert = rules.load_certificate(data)
    except rules.InvalidCertificate as error:
        raise InvalidRequest(gettext("certificate: %(reason)s", reason=error), field="certificate") from None
    reasons = rules.check_certificate(cert, now)
    if reasons:
        raise InvalidRequest(gettext("certificate refused: %(reasons)s", reasons="; ".join(reasons)),
                             field="certificate")
    return CheckedCertificate(name=name, certificate=cert, fingerprint=rules.fingerprint(cert))


DUPLICATE = lazy("certificate already registered")


def insert_certificate(session: Session, caller: Caller, channel: str, enterprise: str, checked: CheckedCertificate,
                       now: datetime, account_id: int | None = None) -> CertificateView:
    """Store a checked certificate (and its audit event) in the caller's transaction.

    `InvalidRequest` when it is already registered; an `IntegrityError` at commit when another request registered
    it at the same moment (the caller's transaction says so to its caller: see `register_certificate`).
    """
    if session.scalar(select(Certificate.id).where(Certificate.fingerprint == checked.fingerprint)) is not None:
        raise InvalidRequest(gettext(DUPLICATE), field="certificate")
    cert = checked.certificate
    number = sender_number(session, enterprise, now)
    row = Certificate(enterprise=enterprise, name=checked.name, fingerprint=checked.fingerprint,
                      pem=rules.to_pem(cert), subject=cert.subject.rfc4514_string()[:SUBJECT_LENGTH],
                      not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                      created_at=now, revoked_at=None, account_id=account_id)
    session.add(row)
    session.flush()
    details = {"enterprise": enterprise, "fingerprint": checked.fingerprint, "name": checked.name}
    if account_id is not None:
        details["account"] = account_id
    audit.record(session, caller, channel, "certificate.registered", "certificate", [row.id], now, details)
    return CertificateView.from_row(row, number)


def register_certificate(runtime: Runtime, caller: Caller, enterprise: str, data: bytes, name: str, *,
                         channel: str = Channel.OPERATOR) -> CertificateView:
    """Check and register a certificate (PEM or DER) for an enterprise, outside any account (it then serves the
    SOAP channel; `services.accounts` registers those of web-service accounts).

    Refused with `InvalidRequest` giving every reason at once; `NotAllowed` for a caller who does not manage the
    enterprise's channels.
    """
    enterprise = parse_enterprise(enterprise)
    if not may_manage_channels(caller, enterprise):
        raise NotAllowed("only the enterprise's technical manager registers its certificates")
    now = runtime.clock.now()
    checked = check_upload(data, name, now)
    try:
        with runtime.db.writing() as session:
            return insert_certificate(session, caller, channel, enterprise, checked, now)
    except IntegrityError:  # registered at the same moment by another request
        raise InvalidRequest(gettext(DUPLICATE), field="certificate") from None


def normalise_fingerprint(text: str) -> str:
    """Accept the hex digest in either case, with or without `:` separators and spaces."""
    value = re.sub(r"[\s:]", "", text or "").lower()
    if not _FINGERPRINT.fullmatch(value):
        raise InvalidRequest("fingerprint: the SHA-256 of the certificate, 64 hexadecimal digits",
                             field="fingerprint")
    return value


def revoke_certificate(runtime: Runtime, caller: Caller, fingerprint: str, *,
                       channel: str = Channel.OPERATOR) -> CertificateView:
    """Revoke at once: requests signed with the certificate are refused from now on (by SOAP serving processes
    that read it less than `TRUST_TTL`, 5 seconds, ago: within those 5 seconds)."""
    fingerprint = normalise_fingerprint(fingerprint)
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        row = session.scalar(select(Certificate).where(Certificate.fingerprint == fingerprint))
        if row is None or not may_manage_channels(caller, row.enterprise):
            raise NotFound("no such certificate")
        if row.revoked_at is not None:
            raise InvalidRequest(f"certificate already revoked on {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC",
                                 field="fingerprint")
        row.revoked_at = now
        audit.record(session, caller, channel, "certificate.revoked", "certificate", [row.id], now,
                     {"enterprise": row.enterprise, "fingerprint": fingerprint})
        number = session.scalar(select(Sender.number).where(Sender.enterprise == row.enterprise))
        session.flush()
        return CertificateView.from_row(row, number)


def list_certificates(runtime: Runtime, caller: Caller, enterprise: str | None = None) -> list[CertificateView]:
    """The certificates the caller manages (the operator: all, or one enterprise's), oldest first."""
    if enterprise is not None:
        enterprise = parse_enterprise(enterprise)
    if caller.kind is not CallerKind.OPERATOR:
        if caller.enterprise is None or not may_manage_channels(caller, caller.enterprise):
            raise NotAllowed("only the enterprise's technical manager sees its certificates")
        if enterprise not in (None, caller.enterprise):
            raise NotAllowed("only the enterprise's technical manager sees its certificates")
        enterprise = caller.enterprise
    query = (select(Certificate, Sender.number).outerjoin(Sender, Sender.enterprise == Certificate.enterprise)
             .order_by(Certificate.id))
    if enterprise is not None:
        query = query.where(Certificate.enterprise == enterprise)
    with runtime.db.reading() as session:
        return [CertificateView.from_row(row, number) for row, number in session.execute(query)]


def find_certificate(session: Session, der: bytes, *, include_revoked: bool = False) -> Certificate | None:
    """The registered certificate with this DER encoding (by SHA-256 fingerprint); revoked ones only on demand."""
    query = select(Certificate).where(Certificate.fingerprint == rules.der_fingerprint(der))
    if not include_revoked:
        query = query.where(Certificate.revoked_at.is_(None))
    return session.scalar(query)


# --- the certificates that sign SOAP messages -------------------------------------------------------------

@dataclass(frozen=True)
class SigningCertificate:
    """What the registry says about a registered certificate, as far as the SOAP channel's signatures care."""

    revoked_at: datetime | None
    not_before: datetime
    not_after: datetime
    enterprise: str
    soap_allowed: bool  # no web-service account, or one not revoked that holds the SOAP scope
    sender_number: int | None

    def state(self, now: datetime) -> rules.CertificateState:
        return rules.state_at(now, self.revoked_at, self.not_before, self.not_after)


# Registered certificates as the database described them a moment ago: a request would otherwise pay a read
# transaction (three queries) for facts that change only when channel management revokes something.
# Unregistered certificates are not remembered: a certificate just registered works at once.
TRUST_TTL = 5.0  # seconds
_SIGNERS: Recent[SigningCertificate] = Recent(TRUST_TTL)


def signing_certificate(db: Database, der: bytes) -> SigningCertificate | None:
    """The registration of the certificate with this DER encoding (None: not registered), revoked or not, as the
    database said it less than `TRUST_TTL` seconds ago."""
    fingerprint = rules.der_fingerprint(der)
    cached = _SIGNERS.get(db, fingerprint)
    if cached is not None:
        return cached
    with db.reading() as session:
        row = find_certificate(session, der, include_revoked=True)
        if row is None:
            return None
        soap_allowed = True
        if row.account_id is not None:
            account = session.get(Account, row.account_id)
            soap_allowed = account.revoked_at is None and scope_rules.SOAP in scope_rules.parse(account.scopes)
        number = session.scalar(select(Sender.number).where(Sender.enterprise == row.enterprise))
    signer = SigningCertificate(revoked_at=row.revoked_at, not_before=row.not_before, not_after=row.not_after,
                                enterprise=row.enterprise, soap_allowed=soap_allowed, sender_number=number)
    if number is not None:
        _SIGNERS.put(db, fingerprint, signer)
    return signer

