#!/usr/bin/env python3
"""Does the assistant's one submission of 200 people x 5 days go through quickly? The web page against the
service it calls.

    .venv/bin/python bench/online.py [--postgres-url URL] [--rounds 5]

For each backend (SQLite file, then PostgreSQL: a fresh database in --postgres-url's server, or a durable
throw-away cluster), on a migrated database holding the simulation dataset 'small' and its personas:

- web: the registrar persona of Exemplum Construct SA, signed in over HTTP (uvicorn in this process), sends the
  assistant's last step, `POST /assistant/<workplace>/register`, for 200 people x 5 working days: the form
  parsed, the people and days checked, the days already registered looked up, 1,000 registrations stored in
  batches of 200, and the page of 1,000 receipts rendered;
- service (the baseline): `online.register_many` for the same shape of 1,000 registrations (other people), in
  this process: what the page cannot do without.

Each round uses new people, so nothing is skipped. It prints ms per submission (p50, max) and the ratio of web
to service. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from datetime import date, timedelta
from urllib.parse import urlencode

import harness
import httpx
import uvicorn
from harness import say

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from presence.domain.channels import Channel
from presence.domain.registration import Submission
from presence.domain.visibility import Caller, Role
from presence.services.registrations import online
from presence.sources import simulation
from presence.sources.personas import create_personas, persona

PEOPLE, DAYS = 200, 5


def working_days(today: date) -> list[date]:
    days, day = [], today + timedelta(days=1)
    while len(days) < DAYS:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def serve(app) -> tuple[str, uvicorn.Server]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{listener.getsockname()[1]}", server


def signed_in(base: str, clock) -> tuple[httpx.Client, str]:
    """The registrar persona's session, acting for Exemplum Construct SA, and its form token."""
    registrar = persona("registrar")
    client = httpx.Client(base_url=base, timeout=300)
    page = client.get("/sign-in").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    client.post("/sign-in", data={"csrf": csrf, "next": "/", "identifier": registrar.email,
                                  "password": registrar.password, "code": registrar.code(clock.now())})
    page = client.get("/account").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    client.post("/account/acting", data={"csrf": csrf, "enterprise": simulation.PUBLIC_ENTERPRISE})
    return client, csrf


def run(backend: str, url: str, postgres, directory) -> list[str]:
    db, runtime, today = harness.simulation_runtime(url)
    create_personas(runtime)
    base, server = serve(create_app(runtime, limits=Limits.none()))
    client, csrf = signed_in(base, runtime.clock)
    days = working_days(today)
    caller = Caller.enterprise_account(simulation.PUBLIC_ENTERPRISE, (Role.REGISTRAR,), sender_id="bench")
    web, service = [], []
    try:
        for round_ in range(ROUNDS):
            form = urlencode([("csrf", csrf), ("first", days[0].isoformat()), ("last", days[-1].isoformat()),
                              ("skip_weekends", "on"),
                              *(("person", f"{inss}|{simulation.PUBLIC_ENTERPRISE}")
                                for inss in harness.new_people(PEOPLE, round_, 0))])
            harness.settle()
            started = time.perf_counter()
            answer = client.post(f"/assistant/{simulation.PUBLIC_WORKPLACE}/register", content=form,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
            web.append((time.perf_counter() - started) * 1000)
            receipts = answer.text.count('class="receipt"')
            if answer.status_code != 200 or receipts != PEOPLE * DAYS:
                raise SystemExit(f"{backend}: the page answered {answer.status_code} with {receipts} receipts")
            submissions = [Submission(workplace=simulation.PUBLIC_WORKPLACE, inss=inss,
                                      enterprise_number=simulation.PUBLIC_ENTERPRISE, registration_date=day)
                           for inss in harness.new_people(PEOPLE, round_, 1) for day in days]
            harness.settle()
            started = time.perf_counter()
            online.register_many(runtime, caller, Channel.ONLINE, submissions)
            service.append((time.perf_counter() - started) * 1000)
            say(f"{backend}: round {round_ + 1}: web {web[-1]:,.0f} ms, service {service[-1]:,.0f} ms")
    finally:
        server.should_exit = True
        client.close()
        db.dispose()
    return [backend, f"{statistics.median(web):,.0f}", f"{max(web):,.0f}", f"{statistics.median(service):,.0f}",
            f"{max(service):,.0f}", f"{statistics.median(web) / statistics.median(service):.2f}"]


if __name__ == "__main__":
    parser = harness.arguments(__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ROUNDS = args.rounds
    harness.table_of_each_backend(
        args, run, f"one submission of {PEOPLE} people x {DAYS} days ({PEOPLE * DAYS} registrations), ms",
        ["backend", "web p50", "web max", "service p50", "service max", "web / service"])
