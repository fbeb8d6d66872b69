"""What the OAuth token server keeps: the access tokens it gave, and the client assertions already used.

An access token is an opaque random string (256 bits) valid `TOKEN_LIFETIME` (600 s); only its SHA-256 is stored
(`AccessToken`), so it stays valid across processes and restarts until it expires or its account is revoked.
`authenticate_bearer` turns it into the `Caller` of the account, with the roles of its scopes. A client
assertion's `jti` is single use: used ones are stored (`UsedAssertion`, shared by every process) until the
assertion's expiry, then pruned by `presence purge`.

The protocol (the token request, the client assertion's signature and claims, the answers) is the OAuth
channel's, `auth.client_assertions`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db.bulk import insert_new
from ...db.engine import Database
from ...db.models import AccessToken, Account, Certificate, Sender, UsedAssertion
from ...domain import scopes as scope_rules
from ...domain.certificates import CertificateState, state_at
from ...domain.visibility import Caller
from ..registrations.recent import Recent
from ..runtime import Runtime
from .senders import client_id, find_active_account

log = logging.getLogger(__name__)

TOKEN_LIFETIME = timedelta(seconds=600)
GRANT_MEMORY_SECONDS = 5.0
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,200}")


class NotAuthenticated(Exception):
    """A bearer token that is missing, malformed, unknown, expired or of a revoked account. `reason` is safe to log
    and to answer (it never repeats the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InsufficientScope(Exception):
    """A valid token that holds none of the scopes the operation needs (RFC 6750 `insufficient_scope`)."""

    def __init__(self, needed: Iterable[str]) -> None:
        self.needed = scope_rules.ordered(needed)
        super().__init__(f"the access token holds none of the scopes {' '.join(self.needed)}")


class UnknownClient(Exception):
    """No active account may have a token for this client id (any more), or its assertion was used already.
    `reason` is for the server's log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScopeNotHeld(Exception):
    """A token asked for scopes its account does not hold."""


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int  # seconds
    scopes: tuple[str, ...]
    client_id: str


@dataclass(frozen=True)
class Grant:
    """What a valid bearer token grants: its account, acting with the token's scopes."""

    client_id: str
    enterprise: str
    account_id: int
    scopes: frozenset[str]
    expires_at: datetime

    def caller(self, scopes: Iterable[str] | None = None) -> Caller:
        """The account as a caller, with the roles of the token's scopes (of those among `scopes`, if given)."""
        counted = self.scopes if scopes is None else self.scopes & frozenset(scopes)
        return Caller.enterprise_account(self.enterprise, roles=scope_rules.roles(counted), sender_id=self.client_id,
                                         user_type="WEBSERVICE")

    def acting(self, any_of: Iterable[str] | None = None) -> Caller:
        """The caller for an operation that accepts the scopes `any_of`: acting with the roles of those only
        (`InsufficientScope` when the token holds none of them). Without `any_of`, with all the token's."""
        if any_of is None:
            return self.caller()
        accepted = frozenset(any_of)
        if not self.scopes & accepted:
            raise InsufficientScope(accepted)
        return self.caller(accepted)


_GRANTS: Recent[Grant] = Recent(GRANT_MEMORY_SECONDS)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- giving tokens ----------------------------------------------------------------------------------------

def client_certificates(runtime: Runtime, client: str) -> list[str]:
    """The PEM certificates that may sign this client's assertions: its active account's certificates that are
    usable now, newest first. `UnknownClient` when there are none."""
    now = runtime.clock.now()
    with runtime.db.reading() as session:
        found = find_active_account(session, client)
        if found is None:
            raise UnknownClient("no active account with this client id")
        rows = session.execute(select(Certificate.pem, Certificate.revoked_at, Certificate.not_before,
                                      Certificate.not_after)
                               .where(Certificate.account_id == found[0].id).order_by(Certificate.id.desc())).all()
    pems = [row.pem for row in rows
            if state_at(now, row.revoked_at, row.not_before, row.not_after) is CertificateState.ACTIVE]
    if not pems:
        raise UnknownClient("the account has no certificate that is active now")
    return pems


def issue_token(runtime: Runtime, client: str, jti: str, jti_expires_at: datetime,
                wanted: tuple[str, ...] | None) -> IssuedToken:
    """An access token for the client whose assertion `jti` verified, stored with that `jti` (single use:
    `UnknownClient` when the client used it already). `wanted`: the scopes asked for (None: all the account
    holds; `ScopeNotHeld` when it does not hold them all)."""
    now = runtime.clock.now()
    token = secrets.token_urlsafe(32)
    with runtime.db.writing() as session:
        found = find_active_account(session, client)
        if found is None:  # revoked since the assertion was verified
            raise UnknownClient("account revoked")
        account, _number = found
        held = scope_rules.parse(account.scopes)
        if not wanted:
            granted = held
        else:
            if any(scope not in held for scope in wanted):
                raise ScopeNotHeld
            granted = wanted
        if not _remember(session, client, jti, jti_expires_at):
            raise UnknownClient("jti already used")
        session.add(AccessToken(hash=token_hash(token), account_id=account.id, scopes=scope_rules.joined(granted),
                                expires_at=now + TOKEN_LIFETIME, created_at=now))
    log.info("access token given to %s (scopes %s)", client, " ".join(granted))
    return IssuedToken(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()), scopes=granted,
                       client_id=client)


def _remember(session: Session, client: str, jti: str, expires_at: datetime) -> bool:
    """Store a used `jti`; False when this client already used it (by any process: the primary key decides)."""
    return insert_new(session, UsedAssertion.__table__, {"client_id": client, "jti": jti, "expires_at": expires_at},
                      ["client_id", "jti"])


def prune_expired(session: Session, now: datetime) -> tuple[int, int]:
    """Delete used assertions past their expiry and expired access tokens, in the session's transaction:
    (assertions, tokens) deleted."""
    assertions = session.execute(UsedAssertion.__table__.delete().where(UsedAssertion.expires_at < now)).rowcount
    tokens = session.execute(AccessToken.__table__.delete().where(AccessToken.expires_at < now)).rowcount
    return assertions, tokens


# --- bearer tokens ----------------------------------------------------------------------------------------

def verify_bearer(db: Database, token: str, now: datetime) -> Grant:
    """What a bearer token grants, or `NotAuthenticated`.

    A token found valid is believed for `GRANT_MEMORY_SECONDS` by this process without asking the database
    again (never past its expiry): an account revoked elsewhere loses its tokens here within that time; one
    revoked through this process, at once (`forget_grants`).
    """
    if not token:
        raise NotAuthenticated("no access token")
    if not _TOKEN.fullmatch(token):
        raise NotAuthenticated("malformed access token")
    grant = remembered_grant(db, token, now)
    if grant is not None:
        return grant
    hashed = token_hash(token)
    with db.reading() as session:
        found = session.execute(
            select(AccessToken.account_id, AccessToken.scopes, AccessToken.expires_at, Account.enterprise,
                   Account.revoked_at, Sender.number)
            .join(Account, Account.id == AccessToken.account_id)
            .join(Sender, Sender.enterprise == Account.enterprise)
            .where(AccessToken.hash == hashed)
        ).first()
    if found is None:
        raise NotAuthenticated("unknown access token")
    if found.revoked_at is not None:
        raise NotAuthenticated("the account of this access token was revoked")
    if found.expires_at <= now:
        raise NotAuthenticated("access token expired")
    grant = Grant(client_id=client_id(found.number), enterprise=found.enterprise, account_id=found.account_id,
                  scopes=frozenset(scope_rules.parse(found.scopes)), expires_at=found.expires_at)
    _GRANTS.put(db, hashed, grant)
    return grant


def forget_grants(db: Database) -> None:
    """After a revocation through this process: it asks the database again for every token."""
    _GRANTS.forget(db)


def remembered_grant(db: Database, token: str, now: datetime) -> Grant | None:
    """The grant of a token this process verified a moment ago, without asking the database; else None."""
    grant = _GRANTS.get(db, token_hash(token)) if token and _TOKEN.fullmatch(token) else None
    return grant if grant is not None and grant.expires_at > now else None


def authenticate_bearer(db: Database, token: str, now: datetime, *, any_of: Iterable[str] | None = None) -> Caller:
    """The caller a bearer token authenticates, or `NotAuthenticated`.

    `any_of`: the scopes the operation accepts (`InsufficientScope` when the token holds none); the caller then
    acts with the roles of those scopes only. Without it, with the roles of all the token's scopes.
    """
    return verify_bearer(db, token, now).acting(any_of)
