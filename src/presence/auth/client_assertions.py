"""The OAuth 2.0 token request: client credentials with a `private_key_jwt` client assertion (RFC 6749 §4.4,
RFC 7521, RFC 7523), and the answer that gives a bearer token (RFC 6749 §5.1, RFC 6750).

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
  database (`services.access_tokens`, shared by every process) until the assertion's expiry plus the leeway.

Every failure of the assertion is `invalid_client` (RFC 7521 §4.2.1) with the same short description: the precise
reason is in `OAuthError.reason`, for the server's log only. Scopes not held (or unknown) are `invalid_scope`.

What the server keeps (the tokens given, the `jti`s used) is `services.access_tokens`'.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry

from ..domain import scopes as scope_rules
from ..services.access import access_tokens
from ..services.runtime import Runtime

TOKEN_PATH = "/REST/oauth/v5/token"
GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY = timedelta(seconds=60)
MAX_ASSERTION_LIFETIME = timedelta(minutes=10)
MAX_ASSERTION_LENGTH = 16_000  # characters; a JWT with a certificate chain in `x5c` is a few thousand
JTI_LENGTH = 255

REJECTED = "client assertion rejected"


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


class _AssertionJWSRegistry(JWSRegistry):
    """joserfc's, with room for an `x5c` certificate chain in the header, which we read past but never trust."""

    max_header_length = 8192


_JWS = _AssertionJWSRegistry(algorithms=list(ALGORITHMS), strict_check_header=False)


def answer(issued: access_tokens.IssuedToken) -> dict:
    """The RFC 6749 §5.1 answer."""
    return {"access_token": issued.access_token, "token_type": "Bearer", "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes)}


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


def authenticate_client(runtime: Runtime, params: Mapping[str, list[str]], audiences: Collection[str], *,
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

    claims = _verify_assertion(runtime, assertion, audiences)
    client = claims["iss"]
    if client_param is not None and client_param != client:
        raise OAuthError("invalid_client", REJECTED, "client_id parameter is not the assertion's issuer")
    return AuthenticatedClient(client_id=client, jti=str(claims["jti"]),
                               expires_at=_instant(claims["exp"]) + LEEWAY, wanted=wanted)


def issue_token(runtime: Runtime, client: AuthenticatedClient) -> access_tokens.IssuedToken:
    """The access token of an authenticated token request (`OAuthError` when the client used its `jti` already,
    or asks for scopes its account does not hold)."""
    try:
        return access_tokens.issue_token(runtime, client.client_id, client.jti, client.expires_at, client.wanted)
    except access_tokens.UnknownClient as refused:
        raise OAuthError("invalid_client", REJECTED, refused.reason) from None
    except access_tokens.ScopeNotHeld:
        raise OAuthError("invalid_scope", "scope not granted to this client") from None


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


def _verify_assertion(runtime: Runtime, assertion: str, audiences: Collection[str]) -> dict:
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

    try:
        pems = access_tokens.client_certificates(runtime, issuer)
    except access_tokens.UnknownClient as unknown:
        raise _reject(unknown.reason) from None
    if not any(_signature_verifies(assertion, pem) for pem in pems):
        raise _reject("signature does not verify with the account's certificates")

    if not _audience_matches(claims.get("aud"), audiences):
        raise _reject("aud is neither the token endpoint nor the issuer")
    expires = _numeric(claims, "exp", required=True)
    not_before = _numeric(claims, "nbf", required=False)
    issued = _numeric(claims, "iat", required=False)
    moment = runtime.clock.now().timestamp()
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
