#!/usr/bin/env python3
"""Single-item registerInBulk over HTTP on loopback, against a real server, beside a no-op endpoint of the same app.

    .venv/bin/python bench/rest.py [--postgres-url URL] [--requests N] [--clients C] [--workers W] [--profile]

For each backend (SQLite file, then PostgreSQL: a fresh database in --postgres-url's server, or a durable
throw-away cluster), on a migrated database holding the simulation dataset 'medium':

1. an enterprise's REST web-service account is created with a self-signed test certificate;
2. a server process starts: the app of `presence serve --no-worker --workers W` (same factory, same uvicorn
   settings), plus one no-op route mounted in the REST sub-application (same middleware, same server, no
   database): `POST /REST/presenceRegistration/v1/_bench/noop`;
3. token: sequential `POST /REST/oauth/v5/token` requests, each with a private_key_jwt assertion of its own
   (fresh `jti`, signed beforehand): p50 and p99 of one request;
4. no-op, then registerInBulk: C concurrent clients (one keep-alive connection each) send as fast as they are
   answered (closed loop): requests per second, p50 and p99. Each registerInBulk request holds one cleaning
   check-in or check-out stamped now (real time), of a person with a Dimona period at an enterprise of the
   cleaning workplace's chain; every person checks in, then out; every answer must be HTTP 200 with a
   `createdPresenceRegistration`;
5. registerInBulk paced at --rate requests per second (open loop: latency counted from each request's scheduled
   time, so a server that falls behind shows it): p50 and p99 at the aimed rate.

Aims (PostgreSQL, 2-core machine): at least 1,000 registrations per second, p99 under 50 ms at 1,000 per
second, a token request under 5 ms. See bench/README.md. This is a benchmark, not a test: it measures and says
whether the aims are met, it asserts nothing (it exits 1 only when answers were wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import core
import harness
from core import load_dataset
from harness import (
    ROOT,
    Profiler,
    arguments,
    format_table,
    machine,
    percentile,
    say,
)

from presence.auth.client_assertions import ASSERTION_TYPE, TOKEN_PATH
from presence.clock import BRUSSELS, SystemClock, belgian_today
from presence.db.engine import Database
from presence.domain import scopes
from presence.domain.sectors import Sector
from presence.domain.visibility import Caller
from presence.services.access.accounts import create_account
from presence.services.runtime import Runtime
from presence.testing.wssecurity import make_certificate, pem

BASE = "/REST/presenceRegistration/v1"
REGISTER = f"{BASE}/presenceRegistrations/registerInBulk"
NOOP = f"{BASE}/_bench/noop"  # added by this benchmark's server to the REST sub-application, see bench_app()
AIM_RATE = 1_000  # registrations per second on PostgreSQL, 2 cores
AIM_P99 = 0.050  # seconds, at AIM_RATE
AIM_TOKEN = 0.005  # seconds, one token request
BUSY = 0.2  # CPUs used by other processes during a phase above which the run says the machine was busy
LAG = 64  # a person's check-out is sent this many requests after his check-in (more than the clients)
SEED = 20260303


# --- the server: `presence serve --no-worker`'s app, plus a no-op route ----------------------------------------

def _noop() -> dict:
    """What a registration costs over an empty request: this route does what the register route does around
    the service call (a sync route: run in the threadpool; a JSON answer), and nothing else."""
    return {"items": []}


def bench_app():
    """uvicorn's factory in the server process: the app `presence serve --workers N` builds
    (`app_from_environment`), with the no-op route added to the mounted REST sub-application, so that it goes
    through the same server, the same mount, middleware and exception handlers as registerInBulk."""
    from starlette.routing import Mount

    from presence.app import app_from_environment

    app = app_from_environment()
    [mount] = [route for route in app.routes if isinstance(route, Mount) and route.path == BASE]
    mount.app.add_api_route(NOOP[len(BASE):], _noop, methods=["POST"], include_in_schema=False)
    return app


def serve(port: int, workers: int, check_worker: bool = False) -> None:
    """`presence serve --no-worker --host 127.0.0.1 --port P --workers W` (src/presence/cli/serving.py): the same
    `presence.channels.http.server.run` (httptools, uvloop, TCP_NODELAY), with our factory; the check worker off (with
    `check_worker`: on, in each process, as `presence serve` runs it by default)."""
    from presence.app import CHECK_WORKER_VARIABLE, PROCESSES_VARIABLE
    from presence.channels.http import server

    os.environ[CHECK_WORKER_VARIABLE] = "1" if check_worker else "0"
    os.environ[PROCESSES_VARIABLE] = str(workers)
    print(f"bench REST server listening on http://127.0.0.1:{port} ({workers} process(es), "
          f"{'a check worker in each' if check_worker else 'no check worker'})", flush=True)
    server.run("rest:bench_app", factory=True, workers=workers, host="127.0.0.1", port=port)


class Server(harness.Server):
    """This script in `--serve` mode, in a process of its own."""

    def __init__(self, url: str, workers: int, directory: Path, rate_limits: bool, check_worker: bool = False) -> None:
        here = Path(__file__).resolve().parent
        path = os.pathsep.join([str(here), str(ROOT / "src"), str(ROOT)])
        # One client id sends everything here, far past the per-client rate limits meant for one enterprise's
        # clocks (src/presence/config.py): they are off (0) unless --rate-limits. Capacity is what is measured.
        limits = {} if rate_limits else {"PRESENCE_TOKEN_REQUESTS_PER_MINUTE": "0",
                                         "PRESENCE_API_REQUESTS_PER_SECOND": "0"}
        env = {**limits, "PRESENCE_DATABASE_URL": url,
               "PYTHONPATH": path + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")}
        super().__init__(lambda port: [sys.executable, str(here / "rest.py"), "--serve", "--port", str(port),
                                       "--workers", str(workers), *(["--check-worker"] if check_worker else [])],
                         directory, env, processes=workers)


# --- a lean HTTP/1.1 client (the client shares the 2 CPUs with the server: keep its cost small) ----------------

class Connection:
    """One keep-alive connection; requests written by hand, answers read by their Content-Length. About 30 µs of
    client CPU per request where httpx takes several hundred."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def post(self, path: str, body: bytes, content_type: str = "application/json",
             token: str | None = None) -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n"
                + (f"Authorization: Bearer {token}\r\n" if token else "") + "\r\n")
        self.sock.sendall(head.encode("ascii") + body)
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._read()
        header, self.buffer = self.buffer[:end], self.buffer[end + 4:]
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"an answer without Content-Length: {header[:300]!r}")
        while len(self.buffer) < length:
            self._read()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, answer

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


# --- what is sent ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Worker:
    workplace: str
    enterprise: str
    inss: str
    latitude: float
    longitude: float


def cleaning_workers(db: Database, count: int) -> tuple[list[Worker], int]:
    """Up to `count` distinct people, each with the cleaning workplace and the enterprise of its chain where he
    has a live Dimona period (seeded choice); and how many such people the data holds."""
    today = belgian_today(SystemClock())
    sources = core.live_sources(db, today, today, [Sector.CLEANING])
    chains: dict[str, list[str]] = {}
    for number, enterprise in sources.contracts:
        chains.setdefault(enterprise, []).append(number)
    options: dict[str, list[tuple[str, str]]] = {}
    for inss, employer in sources.employments:
        for workplace in chains.get(employer, ()):
            options.setdefault(inss, []).append((workplace, employer))
    places = sources.workplaces
    rng = random.Random(SEED)
    chosen = []
    for inss in sorted(options):
        workplace, enterprise = rng.choice(options[inss])
        lat, lon = places[workplace]
        chosen.append(Worker(workplace, enterprise, inss, lat if lat is not None else 50.8466,
                             lon if lon is not None else 4.3517))
    rng.shuffle(chosen)
    return chosen[:count], len(chosen)


class Items:
    """The registerInBulk bodies, one cleaning clocking each, in sending order: the people in turn, each one's
    check-in then, LAG requests later, his check-out. The body is written beforehand around its date, which is
    filled in when the request is sent (real time: the server refuses instants more than 10 minutes old)."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self.next_worker = 0
        self.made = 0

    def extend(self, count: int) -> list[tuple[bytes, bytes]]:
        """At least `count` more bodies, in groups of LAG people: their check-ins, then their check-outs (a phase
        sends the first `count`; the check-outs of a last group cut short are left unsent)."""
        made = []
        while len(made) < count:
            group = []
            for _ in range(LAG):
                group.append(self.workers[self.next_worker % len(self.workers)])
                self.next_worker += 1
            for direction in ("in", "out"):
                for worker in group:
                    made.append(self._body(worker, direction, self.made))
                    self.made += 1
        return made

    @staticmethod
    def _body(worker: Worker, direction: str, number: int) -> tuple[bytes, bytes]:
        marker = "\0DATE\0"
        text = json.dumps({"items": [{
            "registrationDate": marker, "ssin": worker.inss, "type": direction,
            "employer": {"enterpriseNumber": worker.enterprise},
            "placeOfWork": {"coordinates": {"longitude": worker.longitude, "latitude": worker.latitude}},
            "contractualRelationshipReference": worker.workplace, "customReference": f"bench-{number}",
            "activity": "OFFICE"}]}, separators=(",", ":"))
        before, after = text.split(json.dumps(marker), 1)
        return (before + '"').encode(), ('"' + after).encode()


def now_text() -> str:
    return datetime.now(BRUSSELS).isoformat(timespec="milliseconds")


def fill(parts: tuple[bytes, bytes]) -> bytes:
    return parts[0] + now_text().encode("ascii") + parts[1]


# --- the measurements -----------------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    clients: int
    requests: int = 0  # answered as expected
    failures: Counter = field(default_factory=Counter)  # what went wrong -> count
    latencies: list[float] = field(default_factory=list)  # seconds, per timed request
    wall: float = 0.0  # seconds of the timed phase
    cpu: dict[str, float] | None = None  # CPU seconds during the phase: server, postgresql, clients, other
    aimed_rate: float | None = None  # paced phases: the rate asked for

    @property
    def rate(self) -> float:
        return self.requests / self.wall if self.wall else float("nan")

    @property
    def problems(self) -> int:
        return sum(self.failures.values())

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    def merge(self, other: Phase) -> None:
        self.requests += other.requests
        self.failures.update(other.failures)
        self.latencies += other.latencies


def check_registered(phase: Phase, status: int, body: bytes) -> None:
    """HTTP 200 with one createdPresenceRegistration, else a failure named by its status and error codes."""
    if status == 200 and b'"createdPresenceRegistration"' in body and b'"notCreatedPresenceRegistration"' not in body:
        phase.requests += 1
        return
    try:
        answer = json.loads(body)
        codes = [e.get("errorCode") for item in answer.get("items", [])
                 for e in (item.get("notCreatedPresenceRegistration") or {}).get("errorList", [])]
        detail = f"error codes {codes}" if codes else str(answer.get("type") or answer.get("detail") or "")[:80]
    except (ValueError, AttributeError):
        detail = body[:80].decode(errors="replace")
    phase.failures[f"HTTP {status} {detail}".strip()] += 1


def check_noop(phase: Phase, status: int, body: bytes) -> None:
    if status == 200 and body == b'{"items":[]}':
        phase.requests += 1
    else:
        phase.failures[f"HTTP {status} {body[:80]!r}"] += 1


def run_clients(port: int, clients: int, send, count: int, warm_up: int, rate: float | None,
                server_root: int, name: str, between=None) -> Phase:
    """C client threads, one keep-alive connection each. Each sends `warm_up` untimed requests, then all wait for
    each other and take the `count` timed requests (indexes) from a common counter: as fast as answered (closed
    loop), or at `rate` per second (open loop: request i is due at start + i / rate and its latency counts from
    then). `send(connection, index, phase)` sends request `index` and tallies the answer. `between()` runs once
    the clients are connected and warm, before the timed phase."""
    result = Phase(name, clients, aimed_rate=rate)
    lock = threading.Lock()
    counter = iter(range(count))
    ready = threading.Barrier(clients + 1)
    go = threading.Barrier(clients + 1)
    start = [0.0]
    failures: list[BaseException] = []

    def client(number: int) -> None:
        mine = Phase(name, clients)
        connection = None
        try:
            connection = Connection(port)
            warm = Phase(name, clients)
            for i in range(warm_up):
                send(connection, -1 - number * warm_up - i, warm)
            if warm.problems:
                mine.failures.update({f"warm-up: {k}": v for k, v in warm.failures.items()})
            ready.wait()
            go.wait()
            harness.send_in_turn(counter, lock, lambda index: send(connection, index, mine), mine.latencies, rate,
                                 start[0])
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
            ready.abort()
            go.abort()
        finally:
            if connection:
                connection.close()
        with lock:
            result.merge(mine)

    threads = [threading.Thread(target=client, args=(n,), name=f"client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    before = None
    try:
        ready.wait()
        if between:
            between()
        before = harness.cpu_seconds(server_root)
        start[0] = time.perf_counter()
        go.wait()
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - start[0]
    after = harness.cpu_seconds(server_root)
    if failures:
        raise RuntimeError(f"a client failed: {failures[0]!r}") from failures[0]
    result.cpu = harness.cpu_used(before, after)
    return result


def assertions(key, client_id: str, audience: str, count: int) -> list[bytes]:
    """`count` token request bodies, each with a client assertion of its own (fresh jti), signed now (RS256,
    valid 5 minutes): client work, done before timing."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    jwk = RSAKey.import_key(key)
    now = int(time.time())
    bodies = []
    for _ in range(count):
        claims = {"iss": client_id, "sub": client_id, "aud": audience, "jti": str(uuid.uuid4()), "iat": now,
                  "exp": now + 300}
        bodies.append(urlencode({"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                                 "client_assertion": jwt.encode({"alg": "RS256"}, claims, jwk)}).encode())
    return bodies


def measure_tokens(server: Server, key, client_id: str, count: int, warm_up: int) -> tuple[Phase, str]:
    """Sequential token requests over one keep-alive connection: p50 and p99 of one request; and a token."""
    bodies = assertions(key, client_id, server.base + TOKEN_PATH, count + warm_up)
    phase = Phase("token (sequential)", 1)
    token = None
    connection = Connection(server.port)
    before = harness.cpu_seconds(server.process.pid)
    try:
        for index, body in enumerate(bodies):
            if index == warm_up:
                before = harness.cpu_seconds(server.process.pid)
                started_phase = time.perf_counter()
            started = time.perf_counter()
            status, answer = connection.post(TOKEN_PATH, body, "application/x-www-form-urlencoded")
            elapsed = time.perf_counter() - started
            if status == 200 and b'"access_token"' in answer:
                token = json.loads(answer)["access_token"]
                if index >= warm_up:
                    phase.requests += 1
                    phase.latencies.append(elapsed)
            else:
                phase.failures[f"HTTP {status} {answer[:120].decode(errors='replace')}"] += 1
        phase.wall = time.perf_counter() - started_phase
    finally:
        connection.close()
    phase.cpu = harness.cpu_used(before, harness.cpu_seconds(server.process.pid))
    if token is None:
        raise RuntimeError(f"no token was given: {dict(phase.failures)}\n{server.log_tail()}")
    return phase, token


# --- one backend ----------------------------------------------------------------------------------------------

@dataclass
class Line:
    backend: str
    processes: int
    phases: list[Phase]
    connections: list[int] | None = None

    def phase(self, prefix: str) -> Phase | None:
        return next((p for p in self.phases if p.name.startswith(prefix)), None)

    @property
    def ratio(self) -> float:
        register, noop = self.phase("registerInBulk (closed"), self.phase("no-op")
        return register.rate / noop.rate if register and noop and noop.rate else float("nan")


def run_backend(backend: str, url: str, args, directory: Path) -> Line:
    workers = args.workers or (1 if backend == "sqlite" else 2)
    paced = int(args.rate * args.paced_seconds) if args.rate else 0
    needed_people = (args.requests + paced + args.clients * 2) // 2 + LAG
    db = Database(url)
    try:
        load_dataset(db, backend, 0)
        people, available = cleaning_workers(db, needed_people)
        if not people:
            raise RuntimeError("no person has a Dimona period at an enterprise of a live cleaning workplace's chain")
        say(f"{backend}: {available:,} people with a live Dimona period at an enterprise of a live cleaning "
            f"workplace's chain; {len(people):,} used (each checks in, then out"
            + (", some more than once)" if len(people) < needed_people else ")"))
        key, cert = _certificate()
        account = create_account(Runtime(db=db, clock=SystemClock()), Caller.operator(), people[0].enterprise,
                                 "bench REST client", pem(cert), "bench key", [scopes.REST_ENTERPRISE])
        say(f"{backend}: account {account.client_id} of enterprise {account.enterprise}, certificate registered")
        harness.tidy(db)
        harness.checkpoint(db)
    finally:
        db.dispose()

    items = Items(people)
    server = Server(url, workers, directory, args.rate_limits)
    say(f"{backend}: starting the app of `presence serve --no-worker --workers {workers}` (+ the no-op route)")
    phases: list[Phase] = []
    connections = None
    try:
        server.start()
        root = server.process.pid
        processes = harness.server_processes(root)

        say(f"{backend}: token: {args.tokens} sequential requests (+10 warm-up), one assertion each")
        token_phase, token = measure_tokens(server, key, account.client_id, args.tokens, 10)

        def send_noop(connection: Connection, index: int, phase: Phase) -> None:
            status, body = connection.post(NOOP, b"{}", token=token)
            check_noop(phase, status, body)

        say(f"{backend}: no-op: {args.requests} requests, {args.clients} clients")
        held: list = []
        noop = run_clients(server.port, args.clients, send_noop, args.requests, 20, None, root,
                           f"no-op (closed loop, {args.clients} clients)",
                           lambda: held.append(harness.connections_per_process(processes, server.port)))
        connections = held[0] if held else None

        warm = items.extend(args.clients * 20)
        timed = items.extend(args.requests)

        def send_register(bodies):
            def send(connection: Connection, index: int, phase: Phase) -> None:
                parts = warm[-1 - index] if index < 0 else bodies[index]
                status, body = connection.post(REGISTER, fill(parts), token=token)
                check_registered(phase, status, body)
            return send

        say(f"{backend}: registerInBulk: {args.requests} single-item requests, {args.clients} clients")
        register = run_clients(server.port, args.clients, send_register(timed), args.requests, 20, None, root,
                               f"registerInBulk (closed loop, {args.clients} clients)")
        phases += [token_phase, noop, register]
        if paced:
            db = Database(url)
            try:
                harness.checkpoint(db)
            finally:
                db.dispose()
            paced_bodies = items.extend(paced)
            say(f"{backend}: registerInBulk paced at {args.rate:,.0f}/s for {args.paced_seconds:.0f}s "
                f"({args.paced_clients} connections)")
            phases.append(run_clients(server.port, args.paced_clients, send_register(paced_bodies), paced, 0,
                                      args.rate, root, f"registerInBulk (paced at {args.rate:,.0f}/s, "
                                                       f"{args.paced_clients} connections)"))
    except BaseException:
        say(f"{backend}: server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()
    for phase in phases:
        say(f"{backend}: {phase.name}: {phase.rate:,.0f}/s, p50 {phase.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {phase.percentile(0.99) * 1000:.1f} ms" + (f", CPU {_cpu(phase)}" if phase.cpu else ""))
        if phase.problems:
            say(f"{backend}: !!! {phase.name}: {phase.problems} FAILURES: {dict(phase.failures)}")
        if phase.cpu and phase.cpu["other"] > BUSY * phase.wall:
            say(f"{backend}: !!! other processes used {phase.cpu['other'] / phase.wall:.1f} CPUs during "
                f"{phase.name}: the machine was not idle !!!")
    if any(phase.problems for phase in phases):
        say(f"{backend}: the server's warnings and errors:\n{server.problems_logged()}")
    if connections:
        say(f"{backend}: the no-op clients' connections per server process: {'+'.join(map(str, connections))}")
    line = Line(backend, workers, phases, connections)
    if args.profile:
        profile_in_process(backend, url, token, Items(people).extend(2 * LAG * 4))
    return line


def _certificate():
    """The REST client's key and certificate, valid since yesterday."""
    return make_certificate(not_before=datetime.now(UTC) - timedelta(days=1))


def _cpu(phase: Phase) -> str:
    return "/".join(f"{phase.cpu[k] / phase.wall:.2f}" for k in ("server", "postgresql", "clients", "other"))


# --- profile: the register route's work in this process, stage by stage, then under cProfile --------------------

def profile_in_process(backend: str, url: str, token: str, bodies: list[tuple[bytes, bytes]]) -> None:
    """What the register route does, without HTTP, in this process (one thread), stage by stage as
    `routes.register_in_bulk` and FastAPI run it: parse and validate the JSON body, authenticate the bearer
    token (`access_tokens.authenticate_bearer`), the service (`register_presences`), build the answer
    (`render.presence`, the response model) and serialise it as FastAPI does (validation against
    `response_model`, `jsonable_encoder`, `json.dumps`). Then the same under cProfile."""
    from presence.channels.rest import render, routes, schemas
    from presence.domain.channels import Channel
    from presence.domain.scopes import REST_ENTERPRISE
    from presence.domain.sectors import Regime
    from presence.services.access import access_tokens
    from presence.services.registrations.registering import register_presences

    db = Database(url)
    runtime = Runtime(db=db, clock=SystemClock())
    names = ("parse + validate the body (pydantic)", "authenticate the bearer token (1 read transaction)",
             "register_presences (1 write transaction)", "render.presence + response model",
             "serialise as FastAPI does (response_model check, dump, json.dumps)")
    stages = dict.fromkeys(names, 0.0)
    field = schemas.RegisterInBulkResponse

    def one(raw: bytes, timing: bool) -> None:
        t0 = time.perf_counter()
        body = schemas.RegisterInBulkRequest.model_validate_json(raw)
        t1 = time.perf_counter()
        caller = access_tokens.authenticate_bearer(db, token, runtime.clock.now(), any_of=[REST_ENTERPRISE])
        t2 = time.perf_counter()
        outcomes = register_presences(runtime, caller, Channel.REST, Regime.CLOCKING,
                                      [routes.submission(item) for item in body.items])
        t3 = time.perf_counter()
        response = render.registered(outcomes)
        t4 = time.perf_counter()
        checked = field.model_validate(response.model_dump())  # FastAPI validates the answer again
        json.dumps(checked.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False,
                   separators=(",", ":")).encode()
        t5 = time.perf_counter()
        if timing:
            for name, elapsed in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                stages[name] += elapsed

    try:
        half = len(bodies) // 2
        for parts in bodies[:8]:
            one(fill(parts), False)
        timed = bodies[8:half]
        for parts in timed:
            one(fill(parts), True)
        profiler = Profiler(True)
        with profiler:
            for parts in bodies[half:]:
                one(fill(parts), False)
    finally:
        db.dispose()
    harness.print_stages(f"{backend}: the register route's work in process (no HTTP, one thread), {len(timed)} "
                         "single-item requests", stages, len(timed))
    profiler.report(f"{backend}, the same work, {len(bodies) - half} requests", 25)


# --- main -----------------------------------------------------------------------------------------------------

def print_table(lines: list[Line], notes: list[str], args) -> None:
    rows = [[line.backend, str(line.processes), phase.name, f"{phase.rate:,.0f}",
             f"{phase.percentile(0.5) * 1000:.1f}", f"{phase.percentile(0.99) * 1000:.1f}", str(phase.problems),
             _cpu(phase) if phase.cpu and phase.wall else "?"] for line in lines for phase in line.phases]
    print()
    print(format_table(["backend", "server processes", "measure", "requests/s", "p50 ms", "p99 ms", "failures",
                        "CPUs srv/pg/cli/other"], rows))
    for note in notes:
        print(note)
    print()
    for line in lines:
        register, noop = line.phase("registerInBulk (closed"), line.phase("no-op")
        print(f"{line.backend}: registerInBulk / no-op = {line.ratio:.2f} (a registration costs "
              f"{1 / register.rate * 1000 - 1 / noop.rate * 1000:.2f} ms of the server's capacity over an empty "
              f"request; {1 / register.rate * 1000:.2f} against {1 / noop.rate * 1000:.2f} ms)")
        for phase in line.phases:
            if phase.problems:
                print(f"!!! {line.backend}: {phase.name}: {phase.problems} FAILURES {dict(phase.failures)}: the rate "
                      "counts only the answers as expected !!!")
            if phase.cpu and phase.wall and phase.cpu["other"] > BUSY * phase.wall:
                print(f"!!! {line.backend}: other processes used {phase.cpu['other'] / phase.wall:.1f} CPUs during "
                      f"{phase.name}: the machine was not idle; measure again on an idle machine !!!")
    print()
    for line in lines:
        register, paced, token = (line.phase("registerInBulk (closed"), line.phase("registerInBulk (paced"),
                                  line.phase("token"))
        where = f"{line.backend}, {line.processes} server process(es)"
        if line.backend == "postgresql":
            print(f"aim: >= {AIM_RATE:,} registrations/s on PostgreSQL (2 cores): {register.rate:,.0f}/s ({where}): "
                  f"{'ok' if register.rate >= AIM_RATE else 'BELOW'}")
        if paced:
            met = (paced.percentile(0.99) < AIM_P99 and paced.rate >= 0.98 * paced.aimed_rate
                   and not paced.problems)
            print(f"aim: p99 < {AIM_P99 * 1000:.0f} ms at {paced.aimed_rate:,.0f} registrations/s: "
                  f"p99 {paced.percentile(0.99) * 1000:.1f} ms at {paced.rate:,.0f}/s ({where}): "
                  f"{'ok' if met else 'MISSED'}"
                  + ("" if line.backend == "postgresql" else " (the aim is PostgreSQL's)"))
        p50, p99 = token.percentile(0.5), token.percentile(0.99)
        print(f"aim: a token request < {AIM_TOKEN * 1000:.0f} ms: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
              f"({where}): {'ok' if p99 < AIM_TOKEN else 'ok at p50, not at p99' if p50 < AIM_TOKEN else 'MISSED'}")
    print()
    print(f"server: the app of `presence serve --no-worker --workers W` (same factory and uvicorn settings; no check "
          f"worker, so the check jobs queue up) plus a no-op route in the REST sub-application ({NOOP}: same "
          "middleware and exception handlers, a sync route answering {\"items\":[]}, no database)"
          + ("; rate limits of the settings kept" if args.rate_limits else
             "; per-client rate limits off (PRESENCE_TOKEN_REQUESTS_PER_MINUTE=0, PRESENCE_API_REQUESTS_PER_SECOND=0)"))
    print(f"closed loop: {args.clients} client threads of this process, one HTTP/1.1 keep-alive connection each, "
          f"20 warm-up requests each, then {args.requests} timed requests as fast as answered; requests/s = "
          "answers as expected / wall clock; registerInBulk: one cleaning check-in or check-out each, stamped when "
          "sent, every person in then out; each must be HTTP 200 with a createdPresenceRegistration")
    if args.rate:
        print(f"paced: {args.paced_clients} connections, request i sent at start + i/{args.rate:,.0f}s; latency "
              "from that due time (a server that falls behind shows it)")
    print(f"token: {args.tokens} sequential POST {TOKEN_PATH} (+10 warm-up) over one connection, each with its own "
          "RS256 private_key_jwt assertion (signed before timing)")
    print("CPUs: CPU seconds per wall-clock second of the phase used by the server's processes / PostgreSQL / "
          "the clients / other processes")
    print(f"client, server and database share the machine: {machine()}")


def main() -> int:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5_000,
                        help="timed requests of each closed-loop phase (default 5,000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the closed loop (default 8)")
    parser.add_argument("--rate", type=float, default=AIM_RATE,
                        help=f"paced registerInBulk requests per second (default {AIM_RATE:,}; 0: no paced phase)")
    parser.add_argument("--paced-seconds", type=float, default=5.0, help="length of the paced phase (default 5)")
    parser.add_argument("--paced-clients", type=int, default=32,
                        help="connections of the paced phase (default 32)")
    parser.add_argument("--tokens", type=int, default=200, help="timed token requests (default 200)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the register route's work in process (no HTTP), stage by stage and under "
                             "cProfile")
    parser.add_argument("--rate-limits", action="store_true",
                        help="keep the per-client rate limits of the settings (default: off, as one client id sends "
                             "every request)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the server process
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--check-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.workers or 1, args.check_worker)
        return 0
    if args.requests < 1 or args.clients < 1 or args.tokens < 1 or args.paced_clients < 1 or args.rate < 0 \
            or (args.workers is not None and args.workers < 1):
        parser.error("--requests, --clients, --tokens, --paced-clients, --workers: at least 1; --rate: 0 or more")

    started = time.perf_counter()
    lines, notes = harness.on_each_backend(
        args, lambda backend, url, _postgres, directory: run_backend(backend, url, args, directory))
    print_table(lines, notes, args)
    print(f"total run time {time.perf_counter() - started:.0f}s")
    return 1 if any(phase.problems for line in lines for phase in line.phases) else 0


if __name__ == "__main__":
    sys.exit(main())
