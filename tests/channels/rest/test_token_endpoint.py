"""The OAuth token endpoint over real HTTP, as integrators' clients use it: client credentials with a JWT client
assertion signed by the account's certificate (RSA and EC), on SQLite and PostgreSQL; and bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import delete, select

from presence.auth import client_assertions
from presence.db.engine import Database
from presence.db.models import AccessToken, UsedAssertion
from presence.domain import scopes
from presence.domain.visibility import Caller, CallerKind, Role
from presence.services.access import access_tokens
from presence.services.access.accounts import add_certificate, create_account, revoke_account
from presence.services.access.certificates import revoke_certificate
from presence.testing.wssecurity import make_certificate, pem

from ...helpers import EMPLOYER, count

TOKEN_PATH = "/REST/oauth/v5/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALL = list(scopes.SCOPES)


class Client:
    """An integrator's client: its account's client id and private key, and the server it talks to."""

    def __init__(self, server, runtime, clock, key, cert, account):
        self.server, self.runtime, self.clock = server, runtime, clock
        self.key, self.cert, self.account = key, cert, account
        self.client_id = account.client_id
        self.token_url = server + TOKEN_PATH

    def claims(self, **changes) -> dict:
        now = int(self.clock.now().timestamp())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url, "jti": str(uuid.uuid4()),
                  "iat": now, "exp": now + 300}
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def assertion(self, alg: str | None = None, key=None, **changes) -> str:
        key = key or self.key
        if alg is None:
            alg = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}[key.curve.name] \
                if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
        jwk = ECKey.import_key(key) if isinstance(key, ec.EllipticCurvePrivateKey) else RSAKey.import_key(key)
        return jwt.encode({"alg": alg}, self.claims(**changes), jwk, algorithms=[alg])

    def form(self, assertion: str | None = None, **changes) -> dict:
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion or self.assertion()}
        form.update(changes)
        return {name: value for name, value in form.items() if value is not None}

    def request(self, data=None, **options) -> httpx.Response:
        return httpx.post(self.token_url, data=self.form() if data is None else data, timeout=30, **options)


def make_client(server, runtime, clock, key_type="rsa", scope=ALL, enterprise=EMPLOYER, **options) -> Client:
    if key_type == "ec":
        options.setdefault("curve", "p-384")
    key, cert = make_certificate(key_type, not_before=clock.now() - timedelta(days=1), **options)
    account = create_account(runtime, Caller.operator(), enterprise, "time clock", pem(cert), "clock key", scope)
    return Client(server, runtime, clock, key, cert, account)


@pytest.fixture
def client(server, runtime, clock) -> Client:
    return make_client(server, runtime, clock)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, claims: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


# --- tokens given ----------------------------------------------------------------------------------------

def test_rs256_assertion_gives_a_bearer_token(client, runtime, clock):
    answer = client.request()
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == " ".join(ALL)
    token = body["access_token"]
    assert len(token) >= 40
    with runtime.db.reading() as session:
        [stored] = session.scalars(select(AccessToken)).all()
    assert stored.hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.hash
    assert stored.expires_at == clock.now() + timedelta(seconds=600)

    caller = access_tokens.authenticate_bearer(runtime.db, token, clock.now())
    assert caller.kind is CallerKind.ENTERPRISE and caller.enterprise == EMPLOYER
    assert caller.sender_id == client.client_id and caller.user_type == "WEBSERVICE"
    assert caller.roles == {Role.REGISTRAR, Role.CONSULTANT, Role.DECLARANT}  # every scope: declarations too


def test_es384_assertion_with_a_p384_certificate(server, runtime, clock):
    client = make_client(server, runtime, clock, key_type="ec", scope=[scopes.REST_PROFESSIONAL])
    answer = client.request()
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == scopes.REST_PROFESSIONAL
    caller = access_tokens.authenticate_bearer(runtime.db, answer.json()["access_token"], clock.now())
    assert caller.roles == {Role.CONSULTANT}


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256", "PS512"])
def test_other_rsa_algorithms(client, alg):
    answer = client.request(client.form(client.assertion(alg)))
    assert answer.status_code == 200, answer.text


def test_es512_with_a_p521_certificate(server, runtime, clock):
    client = make_client(server, runtime, clock, key_type="ec", curve="p-521")
    assert client.request(client.form(client.assertion("ES512"))).status_code == 200


def test_audience_may_be_the_issuer_and_a_list(client):
    assert client.request(client.form(client.assertion(aud=client.server))).status_code == 200
    assert client.request(client.form(client.assertion(aud=client.server + "/"))).status_code == 200
    assert client.request(client.form(client.assertion(aud=["https://elsewhere", client.token_url]))
                          ).status_code == 200


def test_requested_scopes_are_a_subset_and_give_their_roles(client, runtime, clock):
    answer = client.request(client.form(scope=scopes.REST_PROFESSIONAL))
    assert answer.status_code == 200 and answer.json()["scope"] == scopes.REST_PROFESSIONAL
    token = answer.json()["access_token"]
    assert access_tokens.authenticate_bearer(runtime.db, token, clock.now()).roles == {Role.CONSULTANT}
    with pytest.raises(access_tokens.InsufficientScope):
        access_tokens.authenticate_bearer(runtime.db, token, clock.now(), any_of=[scopes.REST_ENTERPRISE])

    both = client.request(client.form(scope=f"{scopes.SOAP} {scopes.REST_ENTERPRISE}")).json()
    assert both["scope"] == f"{scopes.REST_ENTERPRISE} {scopes.SOAP}"
    # A channel counts its own scopes only: on SOAP, the registrar role of the SOAP scope.
    soap = access_tokens.authenticate_bearer(runtime.db, both["access_token"], clock.now(), any_of=scopes.SOAP_SCOPES)
    assert soap.roles == {Role.REGISTRAR}
    rest = access_tokens.authenticate_bearer(runtime.db, both["access_token"], clock.now(), any_of=scopes.REST_SCOPES)
    assert rest.roles == {Role.REGISTRAR, Role.CONSULTANT}


def test_rollover_the_new_certificate_works_and_the_old_one_until_revoked(client, runtime, clock):
    key, cert = make_certificate("ec", curve="p-384", not_before=clock.now() - timedelta(days=1))
    add_certificate(runtime, Caller.operator(), client.client_id, pem(cert), "next")
    assert client.request(client.form(client.assertion(key=key))).status_code == 200
    assert client.request().status_code == 200
    revoke_certificate(runtime, Caller.operator(), client.account.certificates[0].fingerprint)
    assert client.request().json()["error"] == "invalid_client"
    assert client.request(client.form(client.assertion(key=key))).status_code == 200


def test_a_token_outlives_the_process_that_gave_it(client, runtime, clock):
    """Valid across processes and restarts: another Database object on the same URL accepts it."""
    token = client.request().json()["access_token"]
    restarted = Database(runtime.db.url)
    try:
        caller = access_tokens.authenticate_bearer(restarted, token, clock.now() + timedelta(seconds=599))
        assert caller.sender_id == client.client_id
        with pytest.raises(access_tokens.NotAuthenticated, match="expired"):
            access_tokens.authenticate_bearer(restarted, token, clock.now() + timedelta(seconds=600))
    finally:
        restarted.dispose()


def test_revoking_the_account_cuts_its_tokens(client, runtime, clock):
    token = client.request().json()["access_token"]
    revoke_account(runtime, Caller.operator(), client.client_id)
    with pytest.raises(access_tokens.NotAuthenticated):
        access_tokens.authenticate_bearer(runtime.db, token, clock.now())


def test_a_process_believes_a_verified_token_a_few_seconds_at_most(client, runtime, clock, monkeypatch):
    token = client.request().json()["access_token"]
    access_tokens.authenticate_bearer(runtime.db, token, clock.now())
    # Another process revokes the account (here: its rows change behind this process's back).
    other_process = Database(runtime.db.url)
    try:
        with other_process.writing() as session:
            session.execute(delete(AccessToken))
    finally:
        other_process.dispose()
    assert access_tokens.authenticate_bearer(runtime.db, token, clock.now()).enterprise == EMPLOYER  # remembered
    later = time.monotonic() + access_tokens.GRANT_MEMORY_SECONDS
    monkeypatch.setattr(access_tokens._GRANTS, "timer", lambda: later)
    with pytest.raises(access_tokens.NotAuthenticated):
        access_tokens.authenticate_bearer(runtime.db, token, clock.now())


def test_a_remembered_token_still_expires_on_time(client, runtime, clock):
    token = client.request().json()["access_token"]
    access_tokens.authenticate_bearer(runtime.db, token, clock.now())
    with pytest.raises(access_tokens.NotAuthenticated):
        access_tokens.authenticate_bearer(runtime.db, token, clock.now() + timedelta(seconds=601))


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "not a token at all with spaces", "é" * 43])
def test_unknown_or_malformed_bearer_tokens(db, clock, token):
    with pytest.raises(access_tokens.NotAuthenticated):
        access_tokens.authenticate_bearer(db, token, clock.now())


# --- refusals ---------------------------------------------------------------------------------------------

def refused(answer: httpx.Response, error: str, runtime, caplog=None, reason: str | None = None) -> dict:
    """An RFC 6749 §5.2 error answer, no token given, and (in the server's log) the reason expected."""
    body = answer.json()
    assert answer.status_code == (401 if error == "invalid_client" else 400), answer.text
    assert set(body) == {"error", "error_description"} and body["error"] == error, body
    # Each refusal names its request id, to quote to the service desk (the log line below carries it too).
    assert body["error_description"].endswith(f" (request id {answer.headers['x-request-id']})"), body
    assert answer.headers["cache-control"] == "no-store"
    assert count(runtime.db, AccessToken) == 0
    if reason is not None:
        logged = [r.getMessage() for r in caplog.records if r.name == "presence.channels.rest.token_endpoint"]
        assert logged and reason in logged[-1], logged
    return body


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.WARNING, logger="presence.channels.rest.token_endpoint")
    return caplog


def test_replayed_jti(client, runtime, log):
    assertion = client.assertion()
    assert client.request(client.form(assertion)).status_code == 200
    with runtime.db.writing() as session:
        session.execute(AccessToken.__table__.delete())
    body = refused(client.request(client.form(assertion)), "invalid_client", runtime, log, "jti already used")
    assert body["error_description"].startswith("client assertion rejected (request id ")
    # The same jti with a fresh signature and times is a replay too.
    with runtime.db.reading() as session:
        [jti] = session.scalars(select(UsedAssertion.jti)).all()
    refused(client.request(client.form(client.assertion(jti=jti))), "invalid_client", runtime, log, "jti already")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"exp": -120, "iat": -400}, "assertion expired"),
    ({"iat": 300, "exp": 500}, "issued in the future"),
    ({"nbf": 300}, "not valid yet"),
    ({"exp": 3600}, "longer than 10 minutes"),
    ({"iat": None, "exp": 3600}, "longer than 10 minutes"),
    ({"exp": None}, "exp missing"),
    ({"exp": "soon"}, "exp is not a NumericDate"),
    ({"jti": None}, "jti missing"),
    ({"jti": "j" * 256}, "jti missing or longer"),
    ({"aud": "https://elsewhere.example/REST/oauth/v5/token"}, "aud is neither"),
    ({"aud": None}, "aud is neither"),
    ({"sub": "self_service_expeditor_999999"}, "iss and sub differ"),
    ({"iss": "self_service_expeditor_999999", "sub": "self_service_expeditor_999999"}, "no active account"),
    ({"iss": "somebody", "sub": "somebody"}, "no active account"),
])
def test_assertion_claims_refused(client, runtime, clock, log, changes, reason):
    now = int(clock.now().timestamp())
    values = {name: (now + value if name in ("exp", "iat", "nbf") and isinstance(value, int) else value)
              for name, value in changes.items()}
    refused(client.request(client.form(client.assertion(**values))), "invalid_client", runtime, log, reason)


def test_timing_within_the_leeway_is_accepted(client, clock):
    now = int(clock.now().timestamp())
    assert client.request(client.form(client.assertion(iat=now + 50, nbf=now + 50, exp=now + 350))
                          ).status_code == 200
    assert client.request(client.form(client.assertion(iat=now - 400, exp=now - 50))).status_code == 200


def test_revoked_certificate(client, runtime, log):
    revoke_certificate(runtime, Caller.operator(), client.account.certificates[0].fingerprint)
    refused(client.request(), "invalid_client", runtime, log, "no certificate that is active now")


def test_revoked_account(client, runtime, log):
    revoke_account(runtime, Caller.operator(), client.client_id)
    refused(client.request(), "invalid_client", runtime, log, "no active account")


def test_signature_by_another_key(client, runtime, log):
    other_key, _cert = make_certificate(not_before=client.clock.now() - timedelta(days=1))
    refused(client.request(client.form(client.assertion(key=other_key))), "invalid_client", runtime, log,
            "signature does not verify")


def test_signature_by_another_accounts_key(server, client, runtime, clock, log):
    other = make_client(server, runtime, clock, enterprise="0566988259")
    refused(client.request(client.form(client.assertion(key=other.key))), "invalid_client", runtime, log,
            "signature does not verify")


def test_tampered_claims(client, runtime, log):
    header, _payload, signature = client.assertion().split(".")
    forged = unsigned({"alg": "RS256"}, client.claims(scope="anything")).split(".")[1]
    refused(client.request(client.form(f"{header}.{forged}.{signature}")), "invalid_client", runtime, log,
            "signature does not verify")


def test_alg_none(client, runtime, log):
    token = unsigned({"alg": "none", "typ": "JWT"}, client.claims()) + "."
    refused(client.request(client.form(token)), "invalid_client", runtime, log, "algorithm 'none' not accepted")


def test_hs256_signed_with_the_public_key(client, runtime, log):
    """The classic confusion: an HMAC keyed with the (public) certificate or key, verified as if it were RSA."""
    public_pem = client.cert.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (public_pem, pem(client.cert)):
        signing_input = unsigned({"alg": "HS256", "typ": "JWT"}, client.claims())
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        refused(client.request(client.form(f"{signing_input}.{b64(signature)}")), "invalid_client", runtime, log,
                "algorithm 'HS256' not accepted")


def test_es256_with_a_p384_key(server, runtime, clock, log):
    """ES256 names P-256 and SHA-256: a P-384 key's SHA-256 signature does not pass for it."""
    client = make_client(server, runtime, clock, key_type="ec")
    signing_input = unsigned({"alg": "ES256", "typ": "JWT"}, client.claims())
    r, s = decode_dss_signature(client.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    token = f"{signing_input}.{b64(r.to_bytes(48, 'big') + s.to_bytes(48, 'big'))}"
    refused(client.request(client.form(token)), "invalid_client", runtime, log, "signature does not verify")


@pytest.mark.parametrize("assertion", ["", "a.b", "a.b.c", "x" * 20_000, "é.é.é",
                                       "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"])
def test_malformed_assertions(client, runtime, assertion):
    form = client.form()
    form["client_assertion"] = assertion
    error = "invalid_request" if assertion == "" else "invalid_client"
    refused(client.request(form), error, runtime)


def test_scope_not_held(server, runtime, clock, log):
    client = make_client(server, runtime, clock, scope=[scopes.REST_PROFESSIONAL])
    body = refused(client.request(client.form(scope=scopes.REST_ENTERPRISE)), "invalid_scope", runtime, log)
    assert body["error_description"].startswith("scope not granted to this client (request id ")
    refused(client.request(client.form(scope=f"{scopes.REST_PROFESSIONAL} scope:everything")), "invalid_scope",
            runtime)
    # A refused request does not use up its assertion's jti.
    assertion = client.assertion()
    refused(client.request(client.form(assertion, scope=scopes.SOAP)), "invalid_scope", runtime)
    assert client.request(client.form(assertion)).status_code == 200


@pytest.mark.parametrize(("changes", "error", "description"), [
    ({"grant_type": "password"}, "unsupported_grant_type", "grant_type client_credentials only"),
    ({"grant_type": "authorization_code"}, "unsupported_grant_type", "grant_type client_credentials only"),
    ({"grant_type": None}, "invalid_request", "grant_type missing"),
    ({"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"}, "invalid_client",
     "client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer only"),
    ({"client_assertion_type": None}, "invalid_request", "client_assertion_type missing"),
    ({"client_assertion": None}, "invalid_request", "client_assertion missing"),
    ({"client_assertion": None, "client_assertion_type": None}, "invalid_client", "client authentication missing"),
    ({"client_secret": "s3cret"}, "invalid_client", "client secrets are not supported"),
    ({"client_assertion": None, "client_assertion_type": None, "client_id": "self_service_expeditor_1",
      "client_secret": "s3cret"}, "invalid_client", "client secrets are not supported"),
    ({"client_id": "self_service_expeditor_999999"}, "invalid_client", "client assertion rejected"),
])
def test_malformed_requests(client, runtime, changes, error, description):
    body = refused(client.request(client.form(**changes)), error, runtime)
    assert body["error_description"].startswith(description)


def test_http_basic_is_refused_with_a_challenge(client, runtime):
    answer = client.request(client.form(), auth=("self_service_expeditor_1", "s3cret"))
    body = refused(answer, "invalid_client", runtime)
    assert "client secrets are not supported" in body["error_description"]
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_repeated_parameters_and_other_bodies(client, runtime):
    form = client.form()
    repeated = list(form.items()) + [("grant_type", "client_credentials")]
    refused(httpx.post(client.token_url, content=str(httpx.QueryParams(repeated)),
                       headers={"content-type": "application/x-www-form-urlencoded"}),
            "invalid_request", runtime)
    refused(httpx.post(client.token_url, json=form), "invalid_request", runtime)
    refused(httpx.post(client.token_url, content=b"x=" + b"a" * 40_000,
                       headers={"content-type": "application/x-www-form-urlencoded"}), "invalid_request", runtime)
    refused(httpx.post(client.token_url, content=b"grant_type=%ff",
                       headers={"content-type": "application/x-www-form-urlencoded"}), "invalid_request", runtime)
    # Parameters in the query string do not count; unknown parameters are ignored.
    assert httpx.post(client.token_url + "?grant_type=password", data={**form, "extra": "1"}).status_code == 200
    assert httpx.get(client.token_url).status_code == 405


def test_used_jtis_are_shared_by_processes_and_pruned_after_expiry(client, runtime, clock):
    """Another process (another Database on the same URL) refuses a jti this one accepted."""
    from presence.services.runtime import Runtime

    assertion = client.assertion()
    params = {name: [value] for name, value in client.form(assertion).items()}
    audiences = (client.token_url, client.server)
    client_assertions.issue_token(runtime, client_assertions.authenticate_client(runtime, params, audiences))
    other = Database(runtime.db.url)
    try:
        again = Runtime(db=other, clock=clock)
        with pytest.raises(client_assertions.OAuthError) as replay:
            client_assertions.issue_token(again, client_assertions.authenticate_client(again, params, audiences))
        assert (replay.value.error, replay.value.reason, replay.value.status) == (
            "invalid_client", "jti already used", 401)
    finally:
        other.dispose()

    def prune(now):
        with runtime.db.writing() as session:
            return access_tokens.prune_expired(session, now)

    assert prune(clock.now()) == (0, 0)
    # Kept until the assertion's expiry (5 minutes) and the leeway; the token for 10 minutes.
    assert prune(clock.now() + timedelta(seconds=361)) == (1, 0)
    assert prune(clock.now() + timedelta(seconds=601)) == (0, 1)


def test_the_purge_deletes_expired_tokens_and_used_assertions_past_their_expiry(client, runtime, clock):
    from presence.clock import FrozenClock
    from presence.services.retention import purge_expired
    from presence.services.runtime import Runtime

    assert client.request().status_code == 200  # one token, one used assertion
    soon = Runtime(db=runtime.db, clock=FrozenClock(clock.now() + timedelta(seconds=361)))
    report = purge_expired(soon, Caller.operator())
    assert (report.used_assertions, report.access_tokens) == (1, 0)
    later = Runtime(db=runtime.db, clock=FrozenClock(clock.now() + timedelta(seconds=601)))
    assert purge_expired(later, Caller.operator(), dry_run=True).access_tokens == 1
    assert count(runtime.db, AccessToken) == 1  # a dry run deletes nothing
    assert purge_expired(later, Caller.operator()).access_tokens == 1
    assert count(runtime.db, AccessToken) == 0 and count(runtime.db, UsedAssertion) == 0


def test_each_refusal_has_a_request_id_that_finds_its_reason_in_the_log(client, runtime, clock):
    """The answers stay non-committal, but each names a request id; the server's log line with that id says
    why (expired, wrong aud, reused jti, unknown client)."""
    import io

    from presence.logs import MaskingFormatter, RequestIdFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("presence.channels.rest.token_endpoint")
    logger.addHandler(handler)
    now = int(clock.now().timestamp())
    used = client.assertion()
    assert client.request(client.form(used)).status_code == 200
    try:
        answers = {
            "assertion expired": client.request(client.form(client.assertion(exp=now - 3600, iat=now - 3700))),
            "aud is neither": client.request(client.form(client.assertion(aud="https://elsewhere.example"))),
            "jti already used": client.request(client.form(used)),
            "no active account": client.request(client.form(client.assertion(
                iss="self_service_expeditor_999999", sub="self_service_expeditor_999999"))),
        }
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    ids = set()
    for reason, answer in answers.items():
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
        request_id = answer.headers["x-request-id"]
        assert answer.json()["error_description"] == f"client assertion rejected (request id {request_id})"
        [line] = [line for line in lines if f"[request {request_id}]" in line]
        assert reason in line, line
        ids.add(request_id)
    assert len(ids) == 4
