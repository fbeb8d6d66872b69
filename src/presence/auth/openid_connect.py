"""Signing people in through an OpenID Connect provider (production: the federal authentication service, whose
facts are in the README), as a confidential client with the authorization code flow, PKCE and a nonce.

The provider is configured by settings (`PRESENCE_OIDC_*`): its issuer (discovered through
`/.well-known/openid-configuration`), our client id and either a client secret or a private key (`private_key_jwt`,
as the federal service asks), the scopes, and which claims carry the national number, the names, the e-mail and
the language. The ID token is verified with joserfc against the provider's published keys: signature, issuer,
audience, expiry and nonce. What comes back is an `Identity`; who that person may act as is decided elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, import_key

from ..config import Settings
from ..domain.identifiers import InvalidIdentifier, parse_inss
from ..i18n import gettext

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(10.0)
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512"]


class OpenIdError(Exception):
    """The sign-in through the provider failed; `str()` says why, safe to show (never a token or a number)."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


@dataclass(frozen=True)
class Pending:
    """What the browser keeps (in a cookie) between leaving for the provider and coming back."""

    state: str
    nonce: str
    verifier: str  # PKCE

    def as_cookie(self) -> str:
        return f"{self.state}.{self.nonce}.{self.verifier}"

    @classmethod
    def from_cookie(cls, value: str | None) -> Pending | None:
        parts = (value or "").split(".")
        return cls(*parts) if len(parts) == 3 and all(parts) else None


@dataclass(frozen=True)
class Identity:
    national_number: str
    name: str
    email: str | None
    language: str | None


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id
                and (settings.oidc_client_secret or settings.oidc_private_key_file))


@lru_cache(maxsize=4)
def _discover(issuer: str) -> Provider:
    try:
        answer = httpx.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=TIMEOUT)
        answer.raise_for_status()
        document = answer.json()
        return Provider(document["issuer"], document["authorization_endpoint"], document["token_endpoint"],
                        document["jwks_uri"], document.get("userinfo_endpoint"))
    except (httpx.HTTPError, ValueError, KeyError) as error:
        raise OpenIdError(gettext("The identity provider cannot be reached now. Try again in a few minutes.")) \
            from error


def provider(settings: Settings) -> Provider:
    found = _discover(settings.oidc_issuer)
    if found.issuer.rstrip("/") != settings.oidc_issuer.rstrip("/"):
        _discover.cache_clear()
        raise OpenIdError("the provider's discovery document names another issuer")
    return found


def start(settings: Settings, redirect_uri: str) -> tuple[str, Pending]:
    """Where to send the browser, and what it must bring back."""
    pending = Pending(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(pending.verifier.encode()).digest()).rstrip(b"=").decode()
    parameters = {"response_type": "code", "client_id": settings.oidc_client_id, "redirect_uri": redirect_uri,
                  "scope": settings.oidc_scopes, "state": pending.state, "nonce": pending.nonce,
                  "code_challenge": challenge, "code_challenge_method": "S256"}
    if settings.oidc_acr_values:
        parameters["acr_values"] = settings.oidc_acr_values
    endpoint = provider(settings).authorization_endpoint
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(parameters)}", pending


def _client_authentication(settings: Settings, token_endpoint: str) -> tuple[dict, tuple | None]:
    """The token request's client authentication: `private_key_jwt` with the configured key, else the secret."""
    if settings.oidc_private_key_file:
        key = import_key(Path(settings.oidc_private_key_file).read_bytes())
        algorithm = "RS256" if key.key_type == "RSA" else "ES256"
        now = int(time.time())
        claims = {"iss": settings.oidc_client_id, "sub": settings.oidc_client_id, "aud": token_endpoint,
                  "jti": str(uuid.uuid4()), "iat": now, "exp": now + 60}
        assertion = jwt.encode({"alg": algorithm}, claims, key, algorithms=[algorithm])
        return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion}, None
    return {}, (settings.oidc_client_id, settings.oidc_client_secret)


def finish(settings: Settings, pending: Pending | None, query: dict[str, str], redirect_uri: str) -> Identity:
    """The person the provider vouches for, from the callback's query (code and state)."""
    failed = gettext("The sign-in with the identity provider did not succeed. Try again.")
    if query.get("error"):
        raise OpenIdError(gettext("The sign-in was cancelled at the identity provider."))
    if pending is None or not query.get("code") or not secrets.compare_digest(query.get("state", ""), pending.state):
        log.warning("OpenID Connect sign-in refused: %s", "no pending sign-in in this browser" if pending is None
                    else "no code" if not query.get("code") else "the state is not this browser's")
        raise OpenIdError(failed)
    found = provider(settings)
    extra, basic = _client_authentication(settings, found.token_endpoint)
    try:
        answer = httpx.post(found.token_endpoint, timeout=TIMEOUT, auth=basic, data={
            "grant_type": "authorization_code", "code": query["code"], "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier, "client_id": settings.oidc_client_id, **extra})
        answer.raise_for_status()
        tokens = answer.json()
        keys = KeySet.import_key_set(httpx.get(found.jwks_uri, timeout=TIMEOUT).json())
        token = jwt.decode(tokens["id_token"], keys, algorithms=ID_TOKEN_ALGORITHMS)
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": found.issuer},
                              aud={"essential": True, "value": settings.oidc_client_id},
                              exp={"essential": True}, nonce={"essential": True, "value": pending.nonce},
                              leeway=60).validate(token.claims)
        claims = dict(token.claims)
        if settings.oidc_national_number_claim not in claims and found.userinfo_endpoint:
            info = httpx.get(found.userinfo_endpoint, timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {tokens['access_token']}"})
            info.raise_for_status()
            claims = {**info.json(), **claims}
    except (httpx.HTTPError, ValueError, KeyError, JoseError) as error:
        log.warning("OpenID Connect sign-in failed: %s", type(error).__name__)  # its text may quote a token
        raise OpenIdError(failed) from error
    return _identity(settings, claims)


def _identity(settings: Settings, claims: dict) -> Identity:
    try:
        national_number = parse_inss(str(claims.get(settings.oidc_national_number_claim, "")))
    except InvalidIdentifier:
        raise OpenIdError(gettext("The identity provider did not give your national number: this service needs "
                                  "it to know who you are.")) from None
    given = str(claims.get(settings.oidc_given_name_claim) or "").strip()
    family = str(claims.get(settings.oidc_family_name_claim) or "").strip()
    name = " ".join(part for part in (given, family) if part) or str(claims.get("name") or "").strip()
    email = claims.get(settings.oidc_email_claim) or claims.get("email")
    language = str(claims.get(settings.oidc_language_claim) or "")[:2].lower() or None
    return Identity(national_number, name, str(email) if email else None, language)
