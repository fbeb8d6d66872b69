"""Channel management ("Chaman"): enterprises' web-service accounts, their permissions and certificates.

A technical manager of an enterprise (or the registry's operator) creates an account with a name, its permissions
(OAuth scopes, `domain.scopes`) and a first certificate, checked by the rules of `domain.certificates`; the
account then shows its OAuth client id `self_service_expeditor_<N>`. Certificates are added for a rollover and
revoked one by one (`services.certificates.revoke_certificate`); revoking the account revokes its certificates
and its access tokens at once. Every change is an audit event, in the transaction of the change.

One active account per enterprise. The contract makes the client id `self_service_expeditor_<N>` with N the
*enterprise's* sender number, and that number also names the enterprise as sender in SOAP answers and in the
registrations it made. Giving each account a number of its own would break that; letting several accounts share
the client id would make the client id (the assertion's `iss`) name no account in particular. So the account is
the enterprise's one OAuth client: a second active account is refused (add certificates to the account, or
change its permissions, instead). After revocation a new account may be created: it takes the same client id,
and the old one's tokens and certificates stay refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...db.models import AccessToken, Account, Certificate, Sender
from ...domain import scopes as scope_rules
from ...domain.channels import Channel
from ...domain.visibility import Caller, CallerKind, may_manage_channels
from ...i18n import gettext
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..runtime import Runtime
from .access_tokens import forget_grants
from .certificates import DUPLICATE, NAME_LENGTH, CertificateView, check_upload, insert_certificate, parse_enterprise
from .senders import client_id, find_active_account, sender_number


@dataclass(frozen=True)
class AccountView:
    id: int
    enterprise: str
    name: str
    client_id: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    certificates: tuple[CertificateView, ...]  # oldest first, revoked ones included

    def as_json(self) -> dict:
        return {
            "id": self.id, "client_id": self.client_id, "enterprise": self.enterprise, "name": self.name,
            "scopes": list(self.scopes), "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "certificates": [certificate.as_json() for certificate in self.certificates],
        }


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidRequest("name: required", field="name")
    if len(name) > NAME_LENGTH:
        raise InvalidRequest(f"name: at most {NAME_LENGTH} characters", field="name")
    return name


def _scopes(scopes) -> tuple[str, ...]:
    try:
        parsed = scope_rules.parse(scopes or ())
    except scope_rules.UnknownScope as error:
        raise InvalidRequest(f"scope: {error}", field="scope") from None
    if not parsed:
        raise InvalidRequest(f"scope: at least one of {', '.join(scope_rules.SCOPES)}", field="scope")
    return parsed


def _view(session: Session, account: Account, number: int) -> AccountView:
    rows = session.scalars(select(Certificate).where(Certificate.account_id == account.id)
                           .order_by(Certificate.id)).all()
    return _make_view(account, number, [CertificateView.from_row(row, number) for row in rows])


def _make_view(account: Account, number: int, certificates: list[CertificateView]) -> AccountView:
    return AccountView(id=account.id, enterprise=account.enterprise, name=account.name, client_id=client_id(number),
                       scopes=scope_rules.parse(account.scopes), created_at=account.created_at,
                       revoked_at=account.revoked_at, certificates=tuple(certificates))


def _already(number: int) -> InvalidRequest:
    return InvalidRequest(
        f"the enterprise already has an active web-service account, client id {client_id(number)}: an enterprise "
        "has one (its client id is the enterprise's sender number); add certificates to it or change its "
        "permissions, or revoke it first", field="enterprise")


def create_account(runtime: Runtime, caller: Caller, enterprise: str, name: str, certificate_data: bytes,
                   certificate_name: str, scopes, *, channel: str = Channel.OPERATOR) -> AccountView:
    """Create the enterprise's web-service account with its first certificate, in one transaction.

    `scopes`: a list or a space-separated string of scopes (`domain.scopes`), at least one. Refused with
    `InvalidRequest` (what is wrong, every certificate rule at once), `NotAllowed` for a caller who does not
    manage the enterprise's channels.
    """
    enterprise = parse_enterprise(enterprise)
    if not may_manage_channels(caller, enterprise):
        raise NotAllowed("only the enterprise's technical manager manages its web-service accounts")
    name = _name(name)
    granted = _scopes(scopes)
    now = runtime.clock.now()
    checked = check_upload(certificate_data, certificate_name, now)
    try:
        with runtime.db.writing() as session:
            number = sender_number(session, enterprise, now)
            if session.scalar(select(Account.id).where(Account.enterprise == enterprise,
                                                       Account.revoked_at.is_(None))) is not None:
                raise _already(number)
            account = Account(enterprise=enterprise, name=name, scopes=scope_rules.joined(granted), created_at=now,
                              revoked_at=None)
            session.add(account)
            session.flush()
            audit.record(session, caller, channel, "account.created", "account", [account.id], now,
                         {"enterprise": enterprise, "name": name, "scopes": list(granted),
                          "client_id": client_id(number)})
            certificate = insert_certificate(session, caller, channel, enterprise, checked, now, account.id)
            view = _make_view(account, number, [certificate])
    except IntegrityError:  # the same account or certificate created at the same moment by another request
        with runtime.db.reading() as session:
            number = session.scalar(select(Sender.number).where(Sender.enterprise == enterprise))
            exists = session.scalar(select(Account.id).where(Account.enterprise == enterprise,
                                                             Account.revoked_at.is_(None)))
        if exists is not None and number is not None:
            raise _already(number) from None
        raise InvalidRequest(gettext(DUPLICATE), field="certificate") from None
    return view


def _managed_account(session: Session, caller: Caller, client: str) -> tuple[Account, int]:
    """The active account of a client id, when the caller manages it (else, as if it did not exist)."""
    found = find_active_account(session, (client or "").strip())
    if found is None or not may_manage_channels(caller, found[0].enterprise):
        raise NotFound("no active web-service account with this client id")
    return found


def add_certificate(runtime: Runtime, caller: Caller, client: str, certificate_data: bytes,
                    certificate_name: str, *, channel: str = Channel.OPERATOR) -> AccountView:
    """Add a certificate to an account (rollover: both work until the old one is revoked or expires)."""
    now = runtime.clock.now()
    with runtime.db.reading() as session:
        _managed_account(session, caller, client)  # who may, before reading the upload
    checked = check_upload(certificate_data, certificate_name, now)
    try:
        with runtime.db.writing() as session:
            account, number = _managed_account(session, caller, client)
            insert_certificate(session, caller, channel, account.enterprise, checked, now, account.id)
            session.flush()
            return _view(session, account, number)
    except IntegrityError:
        raise InvalidRequest(gettext(DUPLICATE), field="certificate") from None


def change_scopes(runtime: Runtime, caller: Caller, client: str, scopes, *,
                  channel: str = Channel.OPERATOR) -> AccountView:
    """Replace an account's permissions. Tokens given before keep the scopes they were given until they expire
    (at most 10 minutes); revoke the account to cut them at once."""
    granted = _scopes(scopes)
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        account, number = _managed_account(session, caller, client)
        before = scope_rules.parse(account.scopes)
        account.scopes = scope_rules.joined(granted)
        audit.record(session, caller, channel, "account.scopes_changed", "account", [account.id], now,
                     {"enterprise": account.enterprise, "client_id": client_id(number), "before": list(before),
                      "after": list(granted)})
        session.flush()
        return _view(session, account, number)


def revoke_account(runtime: Runtime, caller: Caller, client: str, *,
                   channel: str = Channel.OPERATOR) -> AccountView:
    """Revoke: the account's certificates (for OAuth and SOAP alike) and its access tokens stop working within
    5 seconds (serving processes remember verified tokens and certificates that long:
    `access_tokens.GRANT_MEMORY_SECONDS`, `certificates.TRUST_TTL`; this process forgets its tokens at once)."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        account, number = _managed_account(session, caller, client)
        account.revoked_at = now
        audit.record(session, caller, channel, "account.revoked", "account", [account.id], now,
                     {"enterprise": account.enterprise, "client_id": client_id(number)})
        certificates = session.scalars(select(Certificate).where(Certificate.account_id == account.id,
                                                                 Certificate.revoked_at.is_(None))).all()
        for certificate in certificates:
            certificate.revoked_at = now
            audit.record(session, caller, channel, "certificate.revoked", "certificate", [certificate.id], now,
                         {"enterprise": certificate.enterprise, "fingerprint": certificate.fingerprint,
                          "account": account.id, "reason": "account revoked"})
        session.execute(delete(AccessToken).where(AccessToken.account_id == account.id))
        session.flush()
        view = _view(session, account, number)
    forget_grants(runtime.db)
    return view


def list_accounts(runtime: Runtime, caller: Caller, enterprise: str | None = None) -> list[AccountView]:
    """The accounts the caller manages (the operator: all, or one enterprise's), revoked ones included, oldest
    first."""
    if enterprise is not None:
        enterprise = parse_enterprise(enterprise)
    if caller.kind is not CallerKind.OPERATOR:
        if caller.enterprise is None or not may_manage_channels(caller, caller.enterprise) \
                or enterprise not in (None, caller.enterprise):
            raise NotAllowed("only the enterprise's technical manager sees its web-service accounts")
        enterprise = caller.enterprise
    query = (select(Account, Sender.number).join(Sender, Sender.enterprise == Account.enterprise)
             .order_by(Account.id))
    certificates_query = select(Certificate).where(Certificate.account_id.is_not(None)).order_by(Certificate.id)
    if enterprise is not None:
        query = query.where(Account.enterprise == enterprise)
        certificates_query = certificates_query.where(Certificate.enterprise == enterprise)
    with runtime.db.reading() as session:
        accounts = session.execute(query).all()
        numbers = {account.id: number for account, number in accounts}
        by_account: dict[int, list[CertificateView]] = defaultdict(list)
        for row in session.scalars(certificates_query):
            if row.account_id in numbers:
                by_account[row.account_id].append(CertificateView.from_row(row, numbers[row.account_id]))
        return [_make_view(account, number, by_account[account.id]) for account, number in accounts]
