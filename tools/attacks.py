#!/usr/bin/env python3
"""Attack a real `presence serve` process as issue 7 did, from outside the test suite, and print what happened.

    .venv/bin/python tools/attacks.py [--postgres-url URL]

A fresh database (a SQLite file, or a new database in the PostgreSQL server given), the `small` simulation
dataset, two web-service accounts made with the `presence` command (the public example employer A and another
enterprise B), one server process on a loopback port. Then:

1. 25 token requests from 127.0.0.2 that name A's client id (in `client_id`, or as `iss` of an unsigned or badly
   signed assertion), then A's own token request from 127.0.0.1;
2. 10 MB bodies without a token, and eight parallel 100 MB bodies (four without a token, four chunked with one):
   answers, and the server's resident memory before and after (VmRSS, VmHWM);
3. one signed SOAP registration sent three times at once, then again: answers and registrations stored;
4. three mistyped INSS in SOAP requests: whether any digit run of them is in a fault or the server's log;
5. B registers an `out` for A's worker at A's cleaning workplace after A's `in`: what B's GET shows.

Each line ends `ok` or `FAILED`; the exit code is the number of failures. The test helpers (certificates,
WS-Security signing) are the repository's own (`presence.testing.wssecurity`).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels.wssecurity import make_certificate, pem, sign_envelope  # noqa: E402

from presence.auth.xml_namespaces import PROTOCOL, SOAP_ENV, TYPES  # noqa: E402

BIN = Path(sys.executable).parent
A, B = "0448181966", "0428759497"  # the public example employer; another enterprise with no role at A's sites
WORKER, CLEANING_SITE, CONSTRUCTION_SITE = "78012340961", "1Y1003SQ5VSSZ", "1Y1000003EQCZ"
REST = "/REST/presenceRegistration/v1"
TOKEN = "/REST/oauth/v5/token"
SOAP_NS = f'xmlns:soapenv="{SOAP_ENV}" xmlns:p="{PROTOCOL}" xmlns:t="{TYPES}"'
failures = 0


def report(what: str, good: bool, detail: str = "") -> None:
    global failures
    failures += 0 if good else 1
    print(f"{'ok    ' if good else 'FAILED'} {what}{': ' + detail if detail else ''}", flush=True)


def presence(env: dict, *args: str) -> str:
    done = subprocess.run([str(BIN / "presence"), *args], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"presence {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(value.split()[0]) // 1024
    return values


class Account:
    def __init__(self, env: dict, server: str, enterprise: str, scopes: list[str]) -> None:
        self.key, cert = make_certificate(not_before=datetime.now(UTC) - timedelta(days=1))
        path = Path(env["WORKDIR"]) / f"{enterprise}.pem"
        path.write_bytes(pem(cert))
        self.cert, self.server = cert, server
        created = json.loads(presence(env, "accounts", "create", "--enterprise", enterprise, "--name", "attack",
                                      "--certificate", str(path), *[a for s in scopes for a in ("--scope", s)]))
        self.client_id = created["client_id"]

    def assertion(self, key=None, **changes) -> str:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.server + TOKEN,
                  "jti": str(uuid.uuid4()), "iat": now, "exp": now + 300, **changes}
        return jwt.encode({"alg": "RS256"}, claims, RSAKey.import_key(key or self.key))

    def form(self, assertion: str | None = None, **extra) -> dict:
        return {"grant_type": "client_credentials", "client_assertion": assertion or self.assertion(),
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", **extra}

    def token(self) -> httpx.Response:
        return httpx.post(self.server + TOKEN, data=self.form(), timeout=30)


def soap_register(inss: str, workplace: str = CONSTRUCTION_SITE) -> bytes:
    return (f"<soapenv:Envelope {SOAP_NS}><soapenv:Body><p:RegisterPresencesRequest><p:PresenceRegistrationRequest>"
            f"<t:INSS>{inss}</t:INSS><t:CompanyID>448181966</t:CompanyID><t:WorkPlaceId>{workplace}</t:WorkPlaceId>"
            f"</p:PresenceRegistrationRequest></p:RegisterPresencesRequest></soapenv:Body></soapenv:Envelope>"
            ).encode()


def attack_token_lockout(server: str, a: Account) -> None:
    stranger_key, _ = make_certificate()
    forged = [a.form(client_id=a.client_id, client_assertion="not.a.jwt"),
              a.form(a.assertion().rsplit(".", 1)[0] + "."),
              a.form(a.assertion(key=stranger_key))]
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30) as attacker:
        statuses = [attacker.post(server + TOKEN, data=forged[n % 3]).status_code for n in range(25)]
    owner = a.token()
    report("1. token endpoint: 25 requests naming A's client id from 127.0.0.2, then A's own",
           owner.status_code == 200, f"attacker got {sorted(set(statuses))}, A got {owner.status_code}")


def attack_bodies(server: str, pid: int, a_token: str) -> None:
    big = b"{" + b" " * 10_000_000 + b"}"
    started = time.perf_counter()
    answer = httpx.post(server + REST + "/presenceRegistrations/registerInBulk", content=big, timeout=60,
                        headers={"Content-Type": "application/json"})
    report("2. REST: 10 MB without a token", answer.status_code in (401, 413),
           f"{answer.status_code} in {(time.perf_counter() - started) * 1000:.0f} ms")
    before = memory(pid)

    def flood(with_token: bool) -> int:
        def chunks():
            for _ in range(100):
                yield b" " * 1_000_000
        headers = {"Content-Type": "application/json"}
        if with_token:
            headers["Authorization"] = f"Bearer {a_token}"
        try:
            return httpx.post(server + REST + "/presenceRegistrations/registerInBulk", content=chunks(),
                              headers=headers, timeout=120).status_code
        except httpx.HTTPError as error:  # the server answered and closed before taking the whole body
            return type(error).__name__

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(flood, [False] * 4 + [True] * 4))
    after = memory(pid)
    report("2. REST: eight parallel 100 MB bodies (4 without a token, 4 chunked with one)",
           after["VmHWM"] - before["VmRSS"] < 100,
           f"answers {statuses}; server memory {before['VmRSS']} MB before, {after['VmRSS']} MB after, "
           f"peak {after['VmHWM']} MB")


def attack_replay(server: str, a: Account, count) -> None:
    signed = sign_envelope(soap_register(WORKER), a.key, a.cert)
    stored = count()

    def send(_):
        return httpx.post(server + "/PresenceRegistration/v1", content=signed, timeout=30,
                          headers={"Content-Type": "text/xml; charset=utf-8"})

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(send, range(3)))
    answers.append(send(None))
    accepted = sum(a.status_code == 200 for a in answers)
    replayed = sum(b"message already received" in a.content for a in answers)
    report("3. SOAP: one signed envelope sent three times at once, then again",
           accepted == 1 and replayed == 3 and count() == stored + 1,
           f"{accepted} accepted, {replayed} refused as already received, {count() - stored} registration stored")


def attack_personal_numbers(server: str, a: Account, log_path: Path) -> None:
    leaked = []
    for mistyped in ("780123409612", "780 123 409 61", "7801234096"):
        signed = sign_envelope(soap_register(mistyped), a.key, a.cert)
        answer = httpx.post(server + "/PresenceRegistration/v1", content=signed, timeout=30,
                            headers={"Content-Type": "text/xml; charset=utf-8"})
        digits = mistyped.replace(" ", "")
        runs = {mistyped, digits, digits[:10]}
        body = answer.content.decode()
        fault_text = re.sub(r"<[^>]+>", " ", body.split("<soapenv:Body>", 1)[-1])
        if "SOA-03006" not in body:
            leaked.append(f"no XSD fault for {mistyped!r}")
        if any(run in fault_text for run in runs) or any(part in fault_text for part in mistyped.split()
                                                           if len(part) > 2):
            leaked.append(f"fault for {mistyped!r}")
    time.sleep(0.5)
    log = log_path.read_text()
    for digits in ("780123409612", "7801234096", "78012340961", "780 123 409 61"):
        if digits in log:
            leaked.append(f"log holds {digits!r}")
    report("4. SOAP: mistyped INSS in faults and the server's log", not leaked, ", ".join(leaked) or "none found")


def attack_cleaning_leak(server: str, a_token: str, b_token: str, env: dict) -> None:
    def register(token, enterprise, direction):
        item = {"registrationDate": datetime.now(UTC).astimezone().isoformat(), "ssin": WORKER, "type": direction,
                "employer": {"enterpriseNumber": enterprise}, "contractualRelationshipReference": CLEANING_SITE,
                "placeOfWork": {"coordinates": {"longitude": 4.3517, "latitude": 50.8466}}}
        answer = httpx.post(server + REST + "/presenceRegistrations/registerInBulk", json={"items": [item]},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
        return answer.json()["items"][0]

    register(a_token, A, "in")
    time.sleep(61)  # a minute later, so the instants differ to the minute
    created = register(b_token, B, "out")
    presence(env, "worker", "--until-idle")
    their_id = created["createdPresenceRegistration"]["id"]
    seen = httpx.get(server + REST + f"/presenceRegistrations/{their_id}",
                     headers={"Authorization": f"Bearer {b_token}"}, timeout=30).json()
    shift = seen.get("shift", {})
    report("5. cleaning: B's view of its out for A's worker after A's in",
           "worker" not in seen and shift.get("start") == shift.get("end") == seen["registrationDate"],
           f"worker name shown: {'worker' in seen}; shift {shift}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", help="a PostgreSQL server to create a fresh database in")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="presence-attacks-"))
    env = {**os.environ, "WORKDIR": str(work), "PRESENCE_ENVIRONMENT": "simulation"}
    if options.postgres_url:
        import psycopg
        name = f"attacks_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(options.postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env["PRESENCE_DATABASE_URL"] = options.postgres_url.rsplit("/", 1)[0] + "/" + name
    else:
        env["PRESENCE_DATABASE_URL"] = f"sqlite:///{work / 'presence.db'}"
    print(f"database {env['PRESENCE_DATABASE_URL']}; loading the small dataset", flush=True)
    presence(env, "db", "upgrade")
    presence(env, "demo", "--size", "small")
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    log_path = work / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(BIN / "presence"), "serve", "--port", str(port), "--no-worker"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(server + "/health", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    sys.exit(f"the server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
        a = Account(env, server, A, ["scope:check-in-and-out-work-rest:enterprise", "scope:checkinatwork-soap"])
        b = Account(env, server, B, ["scope:check-in-and-out-work-rest:enterprise"])
        from sqlalchemy import create_engine, text

        engine = create_engine(env["PRESENCE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))

        def registrations() -> int:
            with engine.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM registration")).scalar()

        attack_token_lockout(server, a)
        a_token, b_token = a.token().json()["access_token"], b.token().json()["access_token"]
        attack_bodies(server, process.pid, a_token)
        attack_replay(server, a, registrations)
        attack_personal_numbers(server, a, log_path)
        attack_cleaning_leak(server, a_token, b_token, env)
        engine.dispose()
    finally:
        process.terminate()
        process.wait(10)
    print(f"server log: {log_path}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
