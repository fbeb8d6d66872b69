#!/usr/bin/env python3
"""registerPresences over HTTP on loopback, against a real server, beside the core service's own rate.

    .venv/bin/python bench/soap.py [--postgres-url URL] [--batches N] [--clients C] [--workers W] [--profile]

For each backend (SQLite file, then PostgreSQL: a fresh database in --postgres-url's server, or a durable
throw-away cluster), on a migrated database holding the simulation dataset 'medium':

1. service: `register_presences(...)` called in this process on batches of 200, on a copy of that database
   (bench/core.py's measurement, the same submissions);
2. SOAP: a real `presence serve --no-worker --workers W` process (no check worker: the checks it queues wait,
   as in the service measurement), sent `registerPresences` envelopes of 200 items, signed with WS-Security
   beforehand, by C concurrent clients over HTTP/1.1 keep-alive connections; every answer must be HTTP 200
   with 200 `PresenceRegistrationResponse` elements and no `PresenceRegistrationError`.

It prints SOAP registrations per second (wall clock of the whole send phase), the p50 and p99 latency of a
request, the service's rate and the ratio SOAP/service. Aims: at least 5,000 registrations per second on
PostgreSQL on a 2-core machine, and SOAP at least 60% of the service's own rate. See bench/README.md. This is
a benchmark, not a test: it measures and says whether the aims are met, it asserts nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import core
import httpx
from core import BATCH, Plan, load_dataset
from harness import (
    FreshPostgres,
    Profiler,
    Server,
    arguments,
    checkpoint,
    connections_per_process,
    cpu_seconds,
    cpu_used,
    format_table,
    machine,
    on_each_backend,
    percentile,
    print_stages,
    say,
    send_in_turn,
    server_processes,
    tidy,
)
from sqlalchemy.engine import make_url

from presence.auth.xml_namespaces import PROTOCOL, SOAP_ENV, TYPES
from presence.channels.soap import service
from presence.clock import SystemClock
from presence.db.engine import Database
from presence.domain.registration import Submission
from presence.domain.visibility import Caller
from presence.services.access.certificates import register_certificate
from presence.services.runtime import Runtime
from presence.testing.wssecurity import make_certificate, pem, sign_envelope

AIM_RATE = 5_000  # SOAP registrations per second on PostgreSQL, 2 cores
AIM_RATIO = 0.6  # SOAP rate / service rate
ENDPOINT = service.PATH
SOAP_ACTION = f'"{PROTOCOL}/registerPresences"'
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION}
BUSY = 0.2  # CPUs used by other processes during the send phase above which the run says the machine was busy
SIGNATURE_TTL = timedelta(minutes=30)  # the whole run fits in it (the server accepts Created up to 15 min old)

_RESPONSE = re.compile(rb"<(?:[\w.-]+:)?PresenceRegistrationResponse[\s>/]")
_ITEM_ERROR = re.compile(rb"<(?:[\w.-]+:)?PresenceRegistrationError[\s>/]")
_ERROR_CODE = re.compile(rb"<(?:[\w.-]+:)?ErrorCode>([^<]*)<")
_FAULT_CODE = re.compile(rb"<(?:[\w.-]+:)?Code>([^<]*)<")


# --- the requests ------------------------------------------------------------------------------------------

def envelope(items: list[Submission]) -> bytes:
    """A registerPresences request as integrators' stacks write it (see tests/api/test_soap_hostile.py)."""
    parts = [f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:p="{PROTOCOL}" xmlns:t="{TYPES}">'
             "<soapenv:Header/><soapenv:Body><p:RegisterPresencesRequest>"]
    for item in items:
        reference = (f"<t:ClientPresenceRegistrationReference>{item.client_reference}"
                     "</t:ClientPresenceRegistrationReference>" if item.client_reference else "")
        parts.append(
            "<p:PresenceRegistrationRequest>"
            f"<t:RegistrationDate>{item.registration_date.isoformat()}</t:RegistrationDate>"
            f"<t:INSS>{item.inss}</t:INSS>"
            f"<t:CompanyID>{int(item.enterprise_number)}</t:CompanyID>"  # KBO number without its leading 0
            f"<t:WorkPlaceId>{item.workplace}</t:WorkPlaceId>{reference}"
            "</p:PresenceRegistrationRequest>")
    parts.append("</p:RegisterPresencesRequest></soapenv:Body></soapenv:Envelope>")
    return "".join(parts).encode()


def sign_all(groups: list[list[Submission]], key, cert) -> tuple[list[bytes], float]:
    """Every envelope signed (WS-Security X.509, RSA-SHA256), its Timestamp created now and valid for the run.
    Client-side work, done before timing. Returns the envelopes and the seconds it took."""
    started = time.perf_counter()
    created = datetime.now(UTC)
    signed = [sign_envelope(envelope(group), key, cert, created=created, expires=created + SIGNATURE_TTL)
              for group in groups]
    return signed, time.perf_counter() - started


# --- sending -----------------------------------------------------------------------------------------------

@dataclass
class Sent:
    items_ok: int = 0  # items answered with a PresenceRegistration
    item_errors: Counter = field(default_factory=Counter)  # ErrorCode -> count
    bad_answers: Counter = field(default_factory=Counter)  # "HTTP 500 SOA-01001", "198 items" ...
    latencies: list[float] = field(default_factory=list)  # seconds, per timed request
    wall: float = 0.0  # seconds of the timed send phase

    @property
    def rate(self) -> float:
        return self.items_ok / self.wall if self.wall else float("nan")

    @property
    def problems(self) -> int:
        return sum(self.item_errors.values()) + sum(self.bad_answers.values())

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    def check(self, response: httpx.Response, expected: int) -> None:
        """Tally one answer: HTTP 200, `expected` PresenceRegistrationResponse, none an error."""
        body = response.content
        if response.status_code != 200:
            code = _FAULT_CODE.search(body)
            self.bad_answers[f"HTTP {response.status_code} {code.group(1).decode() if code else ''}".strip()] += 1
            return
        answers = len(_RESPONSE.findall(body))
        errors = len(_ITEM_ERROR.findall(body))
        if answers != expected:
            self.bad_answers[f"{answers} answers for {expected} items"] += 1
        for code in _ERROR_CODE.findall(body):
            self.item_errors[code.decode()] += 1
        self.items_ok += answers - errors


def send(base: str, warm_up: list[bytes], timed: list[bytes], clients: int, between=None) -> Sent:
    """Each client (a thread with its own keep-alive connection) first sends one warm-up request (untimed);
    then, all together, the clients take the timed requests from a common queue until none is left.
    `between()` runs after the warm-up, before the timed phase, while the clients wait."""
    result = Sent()
    lock = threading.Lock()
    next_index = iter(range(len(timed)))
    barrier = threading.Barrier(clients + 1)
    go = threading.Barrier(clients + 1)
    failures: list[BaseException] = []

    def client(number: int) -> None:
        mine = Sent()
        try:
            with httpx.Client(base_url=base, headers=HEADERS, timeout=300,
                              limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as http:
                if number < len(warm_up):
                    warm = Sent()
                    warm.check(http.post(ENDPOINT, content=warm_up[number]), BATCH)
                    if warm.problems:
                        mine.bad_answers[f"warm-up request: {warm.problems} errors"] += 1
                barrier.wait()
                go.wait()
                send_in_turn(next_index, lock, lambda index: http.post(ENDPOINT, content=timed[index]),
                             mine.latencies, then=lambda response: mine.check(response, BATCH))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
            barrier.abort()
            go.abort()
        with lock:
            result.items_ok += mine.items_ok
            result.item_errors.update(mine.item_errors)
            result.bad_answers.update(mine.bad_answers)
            result.latencies += mine.latencies

    threads = [threading.Thread(target=client, args=(n,), name=f"client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait()
        if between:
            between()
        go.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"a client failed: {failures[0]!r}") from failures[0]
    return result


# --- one backend -------------------------------------------------------------------------------------------

@dataclass
class Line:
    backend: str
    processes: int
    clients: int
    soap: Sent
    service_rate: float
    service_refused: int
    connections: list[int] | None = None  # the clients' connections per server process
    cpu: dict[str, float] | None = None  # CPU seconds during the send phase: server, postgresql, clients

    @property
    def ratio(self) -> float:
        return self.soap.rate / self.service_rate if self.service_rate else float("nan")


def copy_database(db: Database, url: str, postgres: FreshPostgres | None, directory: Path) -> str:
    """A copy of the loaded database, nobody connected to it meanwhile; the service is measured on it."""
    db.dispose()
    if postgres is None:
        copy = directory / "service.db"
        shutil.copyfile(make_url(url).database, copy)
        return f"sqlite:///{copy}"
    return postgres.copy(url)


def run_backend(backend: str, url: str, args, postgres: FreshPostgres | None, directory: Path) -> Line:
    workers = args.workers or (1 if backend == "sqlite" else 2)
    db = Database(url)
    try:
        plan: Plan = load_dataset(db, backend, (args.clients + args.batches) * BATCH)
        groups = [plan.submissions[i * BATCH:(i + 1) * BATCH] for i in range(args.clients + args.batches)]
        warm_up, timed = groups[:args.clients], groups[args.clients:]

        # The test client's certificate, registered for the enterprise the plan's caller acts for.
        key, cert = make_certificate()
        registered = register_certificate(Runtime(db=db, clock=SystemClock()), Caller.operator(),
                                          plan.caller.enterprise, pem(cert), "bench SOAP client")
        say(f"{backend}: certificate {registered.fingerprint[:16]}... registered for enterprise "
            f"{registered.enterprise} ({registered.client_id})")
        tidy(db)
    finally:
        db.dispose()

    # 1. The service itself, in this process, on a copy of the loaded database: warm-up, then the timed batches.
    service_url = copy_database(db, url, postgres, directory)
    service_db = Database(service_url)
    try:
        checkpoint(service_db)
        say(f"{backend}: service: register_presences on {len(timed)} batches of {BATCH} (copy of the database)")
        run = core.time_register_presences(Runtime(db=service_db, clock=SystemClock()), plan.caller,
                                           [warm_up[0], *timed])
    finally:
        service_db.dispose()
    if run.refused:
        say(f"{backend}: the service refused {sum(run.refused.values())} submissions: {dict(run.refused)}")
    say(f"{backend}: service {run.rate:,.0f} registrations/s")
    if postgres is None:
        Path(make_url(service_url).database).unlink(missing_ok=True)

    # 2. SOAP over HTTP against a real server on the loaded database.
    db = Database(url)
    try:
        checkpoint(db)
    finally:
        db.dispose()
    server = Server(lambda port: [sys.executable, "-m", "presence.cli", "serve", "--no-worker", "--host", "127.0.0.1",
                                  "--port", str(port), "--workers", str(workers)],
                    directory, {"PRESENCE_DATABASE_URL": url}, ready_path=f"{ENDPOINT}?wsdl", processes=workers)
    say(f"{backend}: starting `presence serve --no-worker --workers {workers}`")
    try:
        base = server.start()
        say(f"{backend}: server ready at {base}; signing {len(groups)} envelopes of {BATCH} items")
        signed, seconds = sign_all(groups, key, cert)
        say(f"{backend}: signed in {seconds:.1f}s (client side, untimed; "
            f"{sum(map(len, signed)) / len(signed) / 1024:.0f} KB per request)")
        say(f"{backend}: sending {len(timed)} requests with {args.clients} clients "
            f"(+{len(warm_up)} warm-up requests, one per client)")
        port = int(base.rsplit(":", 1)[1])
        processes = server_processes(server.process.pid)
        before: dict = {}

        def between() -> None:  # the clients are connected and wait
            before["connections"] = connections_per_process(processes, port)
            before["cpu"] = cpu_seconds(server.process.pid)

        sent = send(base, signed[:args.clients], signed[args.clients:], args.clients, between)
        after = cpu_seconds(server.process.pid)
    except BaseException:
        say(f"{backend}: server log:\n{server.log_tail()}")
        raise
    finally:
        server.stop()
    say(f"{backend}: SOAP {sent.rate:,.0f} registrations/s, p50 {sent.percentile(0.5) * 1000:.0f} ms, "
        f"p99 {sent.percentile(0.99) * 1000:.0f} ms")
    connections = before.get("connections")
    if connections:
        say(f"{backend}: the clients' connections per server process: {'+'.join(map(str, connections))} "
            "(each keep-alive connection stays with the process that accepted it)")
    cpu = cpu_used(before.get("cpu"), after)
    if cpu:
        say(f"{backend}: CPU during the send phase ({sent.wall:.2f}s wall, {os.cpu_count()} CPUs): "
            + ", ".join(f"{kind} {seconds:.2f}s" for kind, seconds in cpu.items()))
        if cpu["other"] > BUSY * sent.wall:
            say(f"{backend}: !!! other processes used {cpu['other'] / sent.wall:.1f} CPUs during the send phase: "
                "the machine was not idle, the rates are low !!!")
    if sent.problems:
        say(f"{backend}: !!! ERRORS: item errors {dict(sent.item_errors)}, bad answers {dict(sent.bad_answers)}")
        say(f"{backend}: the server's warnings and errors:\n{server.problems_logged()}")

    if args.profile:
        profile_in_process(backend, url, timed[:21], key, cert, run.rate)
    return Line(backend, workers, args.clients, sent, run.rate, sum(run.refused.values()), connections, cpu)


def profile_in_process(backend: str, url: str, groups: list[list[Submission]], key, cert,
                       service_rate: float) -> None:
    """The SOAP layer without HTTP, in this process, after the server stopped (the submissions were sent
    already, so they register again: the same work): first unprofiled, stage by stage as `service.answer` runs
    them, then `service.answer` under cProfile. Each pass sends envelopes signed afresh (a signed message is
    accepted once)."""
    from presence.channels.soap import codec, envelope, schemas

    db = Database(url)
    runtime = Runtime(db=db, clock=SystemClock())
    stages = dict.fromkeys(("parse (envelope.read)", "XSD validation", "WS-Security (caller_of)",
                            "codec.register (incl. register_presences)", "serialise (envelope.write)"), 0.0)
    try:
        envelopes, _ = sign_all(groups, key, cert)
        service.answer(runtime, envelopes[0], SOAP_ACTION)  # warm-up
        timed = envelopes[1:]
        for raw in timed:
            t0 = time.perf_counter()
            request = envelope.read(raw, SOAP_ACTION)
            t1 = time.perf_counter()
            problem = schemas.first_error(request.body)
            t2 = time.perf_counter()
            caller, message = service.caller_of(runtime, request, None)
            t3 = time.perf_counter()
            body = codec.OPERATIONS[request.operation](runtime, caller, request.body, message)
            t4 = time.perf_counter()
            envelope.write(body)
            t5 = time.perf_counter()
            if problem:
                say(f"{backend}: profile: invalid request: {problem}")
            for name, elapsed in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                stages[name] += elapsed
        timed, _ = sign_all(groups[1:], key, cert)
        profiler = Profiler(True)
        with profiler:
            for raw in timed:
                status, _ = service.answer(runtime, raw, SOAP_ACTION)
                if status != 200:
                    say(f"{backend}: profile: HTTP {status}")
    finally:
        db.dispose()
    print_stages(f"{backend}: the SOAP layer in process (no HTTP, one thread), {len(timed)} registerPresences "
                 f"requests of {BATCH}, {len(timed) * BATCH / sum(stages.values()):,.0f} registrations/s; "
                 f"register_presences alone (the service line) {BATCH / service_rate * 1000:.1f} ms per request; "
                 "in all", stages, len(timed))
    profiler.report(f"{backend} service.answer, same requests", 30)


# --- main --------------------------------------------------------------------------------------------------

def print_table(lines: list[Line], notes: list[str], args) -> None:
    print()
    rows = []
    for line in lines:
        p = line.soap
        rows.append([line.backend, str(line.processes), str(line.clients), f"{p.rate:,.0f}",
                     f"{p.percentile(0.5) * 1000:.0f}", f"{p.percentile(0.99) * 1000:.0f}",
                     f"{line.service_rate:,.0f}", f"{line.ratio:.2f}", str(p.problems),
                     "+".join(map(str, line.connections)) if line.connections else "?",
                     "/".join(f"{line.cpu[k] / p.wall:.1f}" for k in ("server", "postgresql", "clients", "other"))
                     if line.cpu and p.wall else "?"])
    print(format_table(["backend", "server processes", "clients", "SOAP registrations/s", "p50 ms", "p99 ms",
                        "service registrations/s", "ratio", "errors", "connections", "CPUs srv/pg/cli/other"], rows))
    for note in notes:
        print(note)
    print()
    for line in lines:
        if line.soap.problems:
            print(f"!!! {line.backend}: {line.soap.problems} ERRORS: item errors {dict(line.soap.item_errors)}, "
                  f"bad answers {dict(line.soap.bad_answers)}: the rate counts only items answered without "
                  "error !!!")
        if line.service_refused:
            print(f"note: {line.backend}: the service refused {line.service_refused} submissions")
    for line in lines:
        if line.cpu and line.soap.wall and line.cpu["other"] > BUSY * line.soap.wall:
            print(f"!!! {line.backend}: other processes used {line.cpu['other'] / line.soap.wall:.1f} CPUs during "
                  "the send phase: the machine was not idle; measure again on an idle machine !!!")
    for line in lines:
        if line.backend == "postgresql":
            verdict = "ok" if line.soap.rate >= AIM_RATE else "BELOW"
            print(f"aim: >= {AIM_RATE:,} SOAP registrations/s on PostgreSQL on a 2-core machine: "
                  f"{line.soap.rate:,.0f}/s with {line.processes} server process(es): {verdict}")
    for line in lines:
        verdict = "ok" if line.ratio >= AIM_RATIO else "BELOW"
        print(f"aim: SOAP >= {AIM_RATIO:.0%} of the service's own rate: {line.backend} {line.ratio:.0%}: {verdict}")
    print()
    print(f"SOAP: `presence serve --no-worker` (no check worker in the server: the check jobs queue up, as in "
          f"the service measurement), {args.clients} concurrent clients (threads of this process, one HTTP/1.1 "
          f"keep-alive connection each), {args.batches} timed registerPresences requests of {BATCH} items "
          f"signed with WS-Security (RSA-SHA256, signed before timing), after one warm-up request per client; "
          "registrations/s = items answered without error / wall clock of the send phase; latency per request")
    print(f"service: register_presences in this process on a copy of the same database, the same {args.batches} "
          f"batches after one warm-up batch; ratio = SOAP rate / service rate")
    print("connections: the clients' keep-alive connections held by each server process (uvicorn's workers "
          "share one listening socket, so the split is chance; a connection never moves); CPUs: CPU seconds per "
          "wall-clock second of the send phase used by the server's processes / PostgreSQL / the clients / "
          "other processes")
    print(f"client, server and database share the machine: {machine()}, httpx {httpx.__version__}")


def main() -> int:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=50, help="timed requests of 200 items (default 50)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: 1 on SQLite, which has one writer anyway; 2 on "
                             "PostgreSQL)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the SOAP layer in process (service.answer, no HTTP) under cProfile and "
                             "print its top functions")
    args = parser.parse_args()
    if args.batches < 1 or args.clients < 1 or (args.workers is not None and args.workers < 1):
        parser.error("--batches, --clients and --workers: at least 1")

    started = time.perf_counter()
    lines, notes = on_each_backend(args, lambda backend, url, postgres, directory: run_backend(backend, url, args,
                                                                                               postgres, directory))
    print_table(lines, notes, args)
    print(f"total run time {time.perf_counter() - started:.0f}s")
    return 1 if any(line.soap.problems for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
