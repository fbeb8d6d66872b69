"""The OAuth 2.0 token server: client credentials with a `private_key_jwt` client assertion
(RFC 6749 §4.4, RFC 7521, RFC 7523), and the bearer tokens it gives (RFC 6750).

A token request is a form: `grant_type=client_credentials`,
`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion=<JWT>`, and
optionally `scope` (space-separated; absent: every scope the account holds) and `client_id` (then equal to the
assertion's `iss`). Client secrets, HTTP Basic and API keys are refused (`invalid_client`).

The assertion is accepted when

- it is a JWS compact serialisation signed with RS256/384/512, PS256/384/512 or ES256/384/512 (never `none`,
  never an HMAC: an HS256 token "signed" with the public key is refused), whose signature verifies with one of the
  account's certificates that is not revoked and valid now (each is tried; the header's `kid`, `x5t`, `x5c`, `jku`
  and `jwk` are never trusted to pick or bring a key);
- `iss` = `sub` = the client id `self_service_expeditor_<N>` of an active account;
- `aud` (a string, or a list holding one such value) is the token endpoint's URL or the issuer identifier (the
  server's base URL), as the HTTP layer gives them (a trailing `/` is ignored);
- `exp` is present and not passed; `nbf` and `iat`, when present, are not in the future; all with a leeway of
  `LEEWAY` (60 s) for clocks that differ; the assertion lives at most `MAX_ASSERTION_LIFETIME` (10 minutes) from
  its `iat` (or, without `iat`, from now);
- `jti` is present (at most 255 characters) and was never used by this client: used ones are stored in the
  database (`UsedAssertion`, shared by every process) until the assertion's expiry plus the leeway, then pruned.

Every failure of the assertion is `invalid_client` (RFC 7521 §4.2.1) with the same short description: the precise
reason is in `OAuthError.reason`, for the server's log only. Scopes not held (or unknown) are `invalid_scope`.

An access token is an opaque random string (256 bits) valid `TOKEN_LIFETIME` (600 s); only its SHA-256 is stored
(`AccessToken`), so it stays valid across processes and restarts until it expires or its account is revoked.
`authenticate_bearer` turns it into the `Caller` of the account, with the roles of its scopes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.bulk import insert_new
from ..db.engine import Database
from ..db.models import AccessToken, Account, Certificate, Sender, UsedAssertion
from ..domain import scopes as scope_rules
from ..domain.visibility import Caller
from .accounts import find_active_account
from .context import Registry
from .recent import Recent
from .senders import client_id

log = logging.getLogger(__name__)

TOKEN_PATH = "/REST/oauth/v5/token"
GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
TOKEN_LIFETIME = timedelta(seconds=600)
LEEWAY = timedelta(seconds=60)
MAX_ASSERTION_LIFETIME = timedelta(minutes=10)
MAX_ASSERTION_LENGTH = 16_000  # characters; a JWT with a certificate chain in `x5c` is a few thousand
JTI_LENGTH = 255
PRUNE_CHANCE = 1 / 50  # of a token request also deleting expired used assertions and tokens

REJECTED = "client assertion rejected"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,200}")


class OAuthError(Exception):
    """An RFC 6749 §5.2 error. `error` and `description` are what the client sees; `reason` is for the log."""

    def __init__(self, error: str, description: str, reason: str | None = None) -> None:
        super().__init__(reason or description)
        self.error = error
        self.description = description
        self.reason = reason or description

    @property
    def status(self) -> int:
        # temporarily_unavailable: a client over its rate limit (RFC 6749 has no code of its own for that).
        return {"invalid_client": 401, "temporarily_unavailable": 429}.get(self.error, 400)


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


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    client_id: str

    def as_json(self) -> dict:
        return {"access_token": self.access_token, "token_type": "Bearer", "expires_in": self.expires_in,
                "scope": " ".join(self.scopes)}


GRANT_MEMORY_SECONDS = 5.0


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


class _Registry(JWSRegistry):
    max_header_length = 8192  # room for an `x5c` certificate chain, which we read past but never trust


_JWS = _Registry(algorithms=list(ALGORITHMS), strict_check_header=False)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- the token request ------------------------------------------------------------------------------------

def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise OAuthError("invalid_request", f"parameter {name} repeated")
    return values[0] if values else None


@dataclass(frozen=True)
class AuthenticatedClient:
    """A token request whose client assertion verified: who the client is and what it asks for."""

    client_id: str
    jti: str
    expires_at: datetime  # of the assertion, leeway included: its `jti` is kept until then
    wanted: tuple[str, ...] | None  # the scopes asked for; None: every scope the account holds


def authenticate_client(registry: Registry, params: Mapping[str, list[str]], audiences: Collection[str], *,
                        authorization: str | None = None) -> AuthenticatedClient:
    """Check a token request: its form parameters (each with every value it was given), the audiences the
    assertion may name (the endpoint's URL and the issuer identifier), and the `Authorization` header if any.

    `OAuthError` for every refusal. Reads only: `issue_token` then gives the token.
    """
    grant_type = _single(params, "grant_type")
    assertion_type = _single(params, "client_assertion_type")
    assertion = _single(params, "client_assertion")
    requested = _single(params, "scope")
    client_param = _single(params, "client_id")
    if "client_secret" in params or authorization:
        raise OAuthError("invalid_client", "client secrets are not supported: authenticate with a private_key_jwt "
                                           "client assertion")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type missing")
    if grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", f"grant_type {GRANT_TYPE} only")
    if not assertion_type and not assertion:
        raise OAuthError("invalid_client", "client authentication missing: a private_key_jwt client assertion is "
                                           "required")
    if not assertion_type:
        raise OAuthError("invalid_request", "client_assertion_type missing")
    if assertion_type != ASSERTION_TYPE:
        raise OAuthError("invalid_client", f"client_assertion_type {ASSERTION_TYPE} only")
    if not assertion:
        raise OAuthError("invalid_request", "client_assertion missing")
    if requested is not None:
        try:
            wanted = scope_rules.parse(requested)
        except scope_rules.UnknownScope:
            raise OAuthError("invalid_scope", "unknown scope requested") from None
    else:
        wanted = None

    claims = _verify_assertion(registry.db, assertion, audiences, registry.clock.now())
    client = claims["iss"]
    if client_param is not None and client_param != client:
        raise OAuthError("invalid_client", REJECTED, "client_id parameter is not the assertion's issuer")
    return AuthenticatedClient(client_id=client, jti=str(claims["jti"]),
                               expires_at=_instant(claims["exp"]) + LEEWAY, wanted=wanted)


def issue_token(registry: Registry, client: AuthenticatedClient) -> IssuedToken:
    """The access token of an authenticated token request, stored with its `jti` (single use: `OAuthError`
    when the client used it already, or when it asks for scopes its account does not hold)."""
    now = registry.clock.now()
    token = secrets.token_urlsafe(32)
    with registry.db.writing() as session:
        found = find_active_account(session, client.client_id)
        if found is None:  # revoked since the assertion was verified
            raise OAuthError("invalid_client", REJECTED, "account revoked")
        account, _number = found
        held = scope_rules.parse(account.scopes)
        if not client.wanted:
            granted = held
        else:
            missing = [scope for scope in client.wanted if scope not in held]
            if missing:
                raise OAuthError("invalid_scope", "scope not granted to this client")
            granted = client.wanted
        if not _remember(session, client.client_id, client.jti, client.expires_at):
            raise OAuthError("invalid_client", REJECTED, "jti already used")
        session.add(AccessToken(hash=token_hash(token), account_id=account.id, scopes=scope_rules.joined(granted),
                                expires_at=now + TOKEN_LIFETIME, created_at=now))
        if random.random() < PRUNE_CHANCE:
            _prune(session, now)
    log.info("access token given to %s (scopes %s)", client.client_id, " ".join(granted))
    return IssuedToken(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()), scopes=granted,
                       client_id=client.client_id)


def _remember(session: Session, client: str, jti: str, expires_at: datetime) -> bool:
    """Store a used `jti`; False when this client already used it (by any process: the primary key decides)."""
    return insert_new(session, UsedAssertion.__table__, {"client_id": client, "jti": jti, "expires_at": expires_at},
                      ["client_id", "jti"])


def _prune(session: Session, now: datetime) -> tuple[int, int]:
    assertions = session.execute(UsedAssertion.__table__.delete().where(UsedAssertion.expires_at < now)).rowcount
    tokens = session.execute(AccessToken.__table__.delete().where(AccessToken.expires_at < now)).rowcount
    return assertions, tokens


def prune_expired(db: Database, now: datetime) -> tuple[int, int]:
    """Delete used assertions past their expiry and expired access tokens: (assertions, tokens) deleted."""
    with db.writing() as session:
        return _prune(session, now)


# --- the client assertion ---------------------------------------------------------------------------------

def _reject(reason: str) -> OAuthError:
    return OAuthError("invalid_client", REJECTED, reason)


def _numeric(claims: dict, name: str, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise _reject(f"{name} missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1e11 < value < 1e11:
        raise _reject(f"{name} is not a NumericDate")
    return float(value)


def _instant(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _audience_matches(aud, audiences: Collection[str]) -> bool:
    accepted = {audience.rstrip("/") for audience in audiences}
    values = aud if isinstance(aud, list) else [aud]
    return any(isinstance(value, str) and value.rstrip("/") in accepted for value in values)


def _public_key(pem: str) -> RSAKey | ECKey | None:
    key = x509.load_pem_x509_certificate(pem.encode("ascii")).public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            return RSAKey.import_key(key)
        if isinstance(key, ec.EllipticCurvePublicKey):
            return ECKey.import_key(key)
    except (JoseError, ValueError, TypeError):
        pass
    return None


def _verify_assertion(db: Database, assertion: str, audiences: Collection[str], now: datetime) -> dict:
    """The assertion's claims once every rule holds (see the module's docstring), else `OAuthError`."""
    if len(assertion) > MAX_ASSERTION_LENGTH:
        raise _reject("assertion too long")
    try:
        unverified = jws.extract_compact(assertion.encode("ascii"), registry=_JWS)
        header = unverified.headers()
        claims = json.loads(unverified.payload)
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise _reject("not a JWS compact serialisation with a JSON payload") from None
    if not isinstance(claims, dict):
        raise _reject("payload is not a JSON object")
    if header.get("alg") not in ALGORITHMS:
        raise _reject(f"algorithm {str(header.get('alg'))[:20]!r} not accepted")
    if "b64" in header or "zip" in header or "enc" in header:
        raise _reject("unencoded, compressed or encrypted payloads are not accepted")

    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or issuer != subject:
        raise _reject("iss and sub differ")

    with db.reading() as session:
        found = find_active_account(session, issuer)
        pems = [] if found is None else session.scalars(
            select(Certificate.pem).where(Certificate.account_id == found[0].id, Certificate.revoked_at.is_(None),
                                          Certificate.not_before <= now, Certificate.not_after >= now)
            .order_by(Certificate.id.desc())).all()
    if found is None:
        raise _reject("no active account with this client id")
    if not pems:
        raise _reject("the account has no certificate that is active now")
    if not any(_signature_verifies(assertion, pem) for pem in pems):
        raise _reject("signature does not verify with the account's certificates")

    if not _audience_matches(claims.get("aud"), audiences):
        raise _reject("aud is neither the token endpoint nor the issuer")
    expires = _numeric(claims, "exp", required=True)
    not_before = _numeric(claims, "nbf", required=False)
    issued = _numeric(claims, "iat", required=False)
    moment = now.timestamp()
    leeway = LEEWAY.total_seconds()
    if expires < moment - leeway:
        raise _reject("assertion expired")
    if not_before is not None and not_before > moment + leeway:
        raise _reject("assertion not valid yet (nbf)")
    if issued is not None and issued > moment + leeway:
        raise _reject("assertion issued in the future (iat)")
    start = issued if issued is not None else moment
    if expires - start > MAX_ASSERTION_LIFETIME.total_seconds():
        raise _reject("assertion lives longer than 10 minutes")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > JTI_LENGTH:
        raise _reject("jti missing or longer than 255 characters")
    return claims


def _signature_verifies(assertion: str, pem: str) -> bool:
    key = _public_key(pem)
    if key is None:
        return False
    try:
        jws.deserialize_compact(assertion, key, registry=_JWS)
    except (JoseError, ValueError, TypeError):
        return False
    return True


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
                  scopes=frozenset(found.scopes.split()), expires_at=found.expires_at)
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
