#!/usr/bin/env python3
"""How fast does a kiosk's backlog reach the registry when the link returns? Its entries over HTTP against the
registering service alone.

    .venv/bin/python bench/gateway.py [--postgres-url URL] [--rounds 3]

For each backend (SQLite file, then PostgreSQL: a fresh database in --postgres-url's server, or a durable
throw-away cluster), on a migrated database holding the simulation dataset 'small':

- kiosk: a kiosk enrolled for the public workplace sends a backlog of 500 entries (a busy site's day offline),
  signed, numbered and chained, in one `POST /gateway/v1/kiosks/<id>/entries` (uvicorn in this process): each
  entry's signature and chain judged and the entry registered in its own transaction, which moves the chain on;
- service (the baseline): `register_presences` for the same shape of 500 registrations (other people) in
  batches of 200: what the registry does for an integrator's batches.

Each round uses new people. It prints ms per backlog (p50, max), per entry, and the ratio of kiosk to service.
A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict
from datetime import timedelta

import harness
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from harness import say
from online import serve

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from presence.domain.channels import Channel
from presence.domain.errors import MAX_BATCH
from presence.domain.gateway_entries import GENESIS, Entry, sign
from presence.domain.registration import Submission
from presence.domain.sectors import Regime
from presence.domain.visibility import Caller, Role
from presence.services.registrations import gateway
from presence.services.registrations.registering import register_presences
from presence.sources import simulation

BACKLOG = 500


def run(backend: str, url: str, postgres, directory) -> list[str]:
    db, runtime, today = harness.simulation_runtime(url)
    caller = Caller.enterprise_account(simulation.PUBLIC_ENTERPRISE, (Role.REGISTRAR,), sender_id="bench")
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    device = gateway.enrol_device(runtime, caller, simulation.PUBLIC_WORKPLACE, "bench", pem)
    base, server = serve(create_app(runtime, limits=Limits.none()))
    client = httpx.Client(base_url=base, timeout=600)
    counter, previous = 0, GENESIS
    kiosk, service = [], []
    try:
        for round_ in range(ROUNDS):
            entries = []
            made = runtime.clock.now()  # after the enrolment, as a kiosk's entries are
            for inss in harness.new_people(BACKLOG, round_, 0):
                counter += 1
                made += timedelta(milliseconds=1)
                entry = sign(Entry(counter, made.isoformat(), simulation.PUBLIC_WORKPLACE, inss, None,
                                   simulation.PUBLIC_ENTERPRISE, previous), key)
                previous = entry.digest()
                entries.append(asdict(entry))
            harness.settle()
            started = time.perf_counter()
            answer = client.post(f"/gateway/v1/kiosks/{device.id}/entries", json={"entries": entries})
            kiosk.append((time.perf_counter() - started) * 1000)
            taken = sum(1 for r in answer.json()["results"] if r["receipt"])
            if taken != BACKLOG:
                raise SystemExit(f"{backend}: {taken} of {BACKLOG} entries taken: {answer.text[:300]}")
            submissions = [Submission(workplace=simulation.PUBLIC_WORKPLACE, inss=inss,
                                      enterprise_number=simulation.PUBLIC_ENTERPRISE, registration_date=today)
                           for inss in harness.new_people(BACKLOG, round_, 1)]
            harness.settle()
            started = time.perf_counter()
            for start in range(0, BACKLOG, MAX_BATCH):
                register_presences(runtime, caller, Channel.ONLINE, Regime.DAY, submissions[start:start + MAX_BATCH])
            service.append((time.perf_counter() - started) * 1000)
            say(f"{backend}: round {round_ + 1}: kiosk {kiosk[-1]:,.0f} ms, service {service[-1]:,.0f} ms")
    finally:
        server.should_exit = True
        client.close()
        db.dispose()
    return [backend, f"{statistics.median(kiosk):,.0f}", f"{max(kiosk):,.0f}",
            f"{statistics.median(kiosk) / BACKLOG:.2f}", f"{statistics.median(service):,.0f}",
            f"{statistics.median(kiosk) / statistics.median(service):.1f}"]


if __name__ == "__main__":
    parser = harness.arguments(__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ROUNDS = args.rounds
    harness.table_of_each_backend(args, run, f"a kiosk's backlog of {BACKLOG} entries, ms",
                                  ["backend", "kiosk p50", "kiosk max", "kiosk per entry", "service p50",
                                   "kiosk / service"])
