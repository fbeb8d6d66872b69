#!/usr/bin/env python3
"""Do the checks keep up with registrations that arrive one at a time? Worker throughput, and the check lag.

    .venv/bin/python bench/checks.py [--postgres-url URL] [--registrations N] [--seconds S] [--rates 250,500]

For each backend (SQLite file, then PostgreSQL: a fresh database in --postgres-url's server, or a durable
throw-away cluster), on a migrated database holding the simulation dataset 'medium':

1. worker throughput, in this process: N registrations (day regime, as bench/core.py plans them) are stored, then
   `make_worker(runtime).run_until_idle()` checks them, timed; three ways:
   - jobs of 1 registration (N calls of one item), done one job per transaction (`batch=1`: the worker before
     jobs were done together), the baseline;
   - jobs of 1 registration, done together (the worker as `presence serve` and `presence worker` run it);
   - jobs of 200 registrations (N / 200 calls of 200 items);
   checks/s of each and the ratio of jobs of 1 (together) to jobs of 200 (aim: at least 0.5);
2. the check lag: a server process as `presence serve --workers W` runs it (a check worker in each process),
   single-item REST registerInBulk requests (cleaning check-ins and check-outs, as bench/rest.py sends them)
   at a steady rate (open loop) for S seconds: the lag of each registration is the time from its answer to its
   first validation (`validation.validated_at`, written by the worker: same machine, same clock), p50, p99 and
   max, at each of --rates; then the rate goes up by --step until the lag is no longer bounded (its p99 over the
   last quarter of the phase above --bound seconds) or the server no longer accepts the rate: the highest rate
   at which the lag stayed bounded is reported.

Aims (2-core machine; client, server, worker and database together): jobs of 1 at >= 50% of the rate of jobs of
200 on both engines; lag p99 < 2 s at 500 REST registrations/s on PostgreSQL. A benchmark, not a test: it
measures and prints, it asserts nothing.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import core
import rest
from core import load_dataset
from harness import arguments, checkpoint, format_table, machine, on_each_backend, percentile, say, tidy
from sqlalchemy import func, select

from presence.clock import SystemClock
from presence.db.engine import Database
from presence.db.models import Registration, Validation
from presence.domain import scopes
from presence.domain.statuses import Validity
from presence.domain.visibility import Caller
from presence.jobs.models import Job, JobState
from presence.services.access.accounts import create_account
from presence.services.background import make_worker
from presence.services.registrations.registering import register_presences
from presence.services.runtime import Runtime

BULK = 200
AIM_RATIO = 0.5
AIM_LAG_RATE = 500
AIM_LAG_P99 = 2.0  # seconds


@dataclass
class Throughput:
    name: str
    registrations: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.registrations / self.seconds if self.seconds else float("nan")


@dataclass
class LagPhase:
    aimed: float  # registrations per second asked for
    seconds: float
    answered: list[tuple[int, float]] = field(default_factory=list)  # (registration id, epoch of the answer)
    failures: int = 0
    wall: float = 0.0
    lags: list[float] = field(default_factory=list)  # seconds, in sending order
    unchecked: int = 0  # registrations still without a validation when the phase was measured

    @property
    def achieved(self) -> float:
        return len(self.answered) / self.wall if self.wall else float("nan")

    def percentile(self, q: float) -> float:
        return percentile(self.lags, q)

    def last_quarter_p99(self) -> float:
        return percentile(self.lags[len(self.lags) * 3 // 4:], 0.99)

    def bounded(self, bound: float) -> bool:
        """The lag did not grow out of hand: p99 over the last quarter within `bound`, everything checked, and the
        server took (nearly) the rate asked for."""
        return (not self.unchecked and self.last_quarter_p99() <= bound and self.achieved >= 0.95 * self.aimed
                and not self.failures)


@dataclass
class Result:
    backend: str
    workers: int
    throughput: list[Throughput]
    lag: list[LagPhase]
    highest_bounded: float | None


# --- 1. worker throughput ----------------------------------------------------------------------------------

def measure_worker(db: Database, backend: str, plan, count: int) -> list[Throughput]:
    runtime = Runtime(db=db, clock=SystemClock())
    submissions = iter(plan.submissions)
    results = []
    for name, size, options in (("jobs of 1, one per transaction (before)", 1, {"batch": 1}),
                                ("jobs of 1, done together", 1, {}),
                                (f"jobs of {BULK}", BULK, {})):
        stored = 0
        for _ in range(count // size):
            group = [next(submissions) for _ in range(size)]
            stored += sum(1 for o in register_presences(runtime, plan.caller, core.CHANNEL, core.REGIME, group)
                          if hasattr(o, "presence"))
        tidy(db)
        started = time.perf_counter()
        make_worker(runtime, **options).run_until_idle()
        results.append(Throughput(name, stored, time.perf_counter() - started))
        say(f"{backend}: worker, {name}: {stored:,} registrations checked at {results[-1].rate:,.0f}/s")
    return results


# --- 2. the check lag under a steady stream of REST registrations ------------------------------------------

def wait_for_checks(db: Database, ids: list[int], timeout: float) -> int:
    """Wait until every one of `ids` has a validation (or `timeout` passed): how many have none."""
    deadline = time.monotonic() + timeout
    while True:
        with db.reading() as session:
            pending = session.scalar(select(func.count()).select_from(Registration).where(
                Registration.id.in_(ids), Registration.validity == str(Validity.PENDING))) if ids else 0
        if not pending or time.monotonic() > deadline:
            return pending
        time.sleep(0.5)


def first_validations(db: Database, ids: list[int]) -> dict[int, float]:
    found: dict[int, float] = {}
    with db.reading() as session:
        for start in range(0, len(ids), 5_000):
            chunk = ids[start:start + 5_000]
            for registration_id, at in session.execute(
                    select(Validation.registration_id, func.min(Validation.validated_at))
                    .where(Validation.registration_id.in_(chunk)).group_by(Validation.registration_id)):
                found[registration_id] = at.timestamp()
    return found


def lag_phase(server: rest.Server, db: Database, items: rest.Items, token: str, rate: float, seconds: float,
              clients: int) -> LagPhase:
    phase = LagPhase(rate, seconds)
    count = int(rate * seconds)
    bodies = items.extend(count)
    lock = threading.Lock()

    def send(connection: rest.Connection, index: int, tally: rest.Phase) -> None:
        status, body = connection.post(rest.REGISTER, rest.fill(bodies[index]), token=token)
        answered = time.time()
        if status == 200 and b'"createdPresenceRegistration"' in body:
            registration_id = int(json.loads(body)["items"][0]["createdPresenceRegistration"]["id"])
            with lock:
                phase.answered.append((registration_id, answered))
            tally.requests += 1
        else:
            tally.failures[f"HTTP {status}"] += 1

    say(f"lag: {rate:,.0f} registrations/s for {seconds:.0f}s ({clients} connections)")
    tally = rest.run_clients(server.port, clients, send, count, 0, rate, server.process.pid, f"paced {rate}")
    phase.wall, phase.failures = tally.wall, tally.problems
    phase.answered.sort(key=lambda pair: pair[1])
    ids = [registration_id for registration_id, _ in phase.answered]
    phase.unchecked = wait_for_checks(db, ids, timeout=max(60.0, seconds * 2))
    validated = first_validations(db, ids)
    phase.lags = [validated[i] - at for i, at in phase.answered if i in validated]
    say(f"lag: {rate:,.0f}/s asked, {phase.achieved:,.0f}/s achieved: p50 {phase.percentile(0.5):.2f}s, p99 "
        f"{phase.percentile(0.99):.2f}s, max {max(phase.lags, default=float('nan')):.2f}s, last quarter p99 "
        f"{phase.last_quarter_p99():.2f}s, unchecked {phase.unchecked}, failures {phase.failures}")
    return phase


def measure_lag(url: str, backend: str, args, directory: Path) -> tuple[list[LagPhase], float | None, int]:
    workers = args.workers or (1 if backend == "sqlite" else 2)
    db = Database(url)
    try:
        people, available = rest.cleaning_workers(db, 1_000_000)
        say(f"{backend}: {available:,} people for the cleaning clockings")
        key, cert = rest._certificate()
        account = create_account(Runtime(db=db, clock=SystemClock()), Caller.operator(), people[0].enterprise,
                                 "bench checks client", rest.pem(cert), "bench key", [scopes.REST_ENTERPRISE])
        with db.writing() as session:  # the throughput part's jobs are done: an empty queue to start from
            session.execute(Job.__table__.delete().where(Job.state == JobState.DONE))
        tidy(db)
        checkpoint(db)
        items = rest.Items(people)
        server = rest.Server(url, workers, directory, rate_limits=False, check_worker=True)
        say(f"{backend}: starting `presence serve --workers {workers}`'s app with its check workers")
        phases: list[LagPhase] = []
        highest = None
        try:
            server.start()
            _, token = rest.measure_tokens(server, key, account.client_id, 1, 0)
            for rate in args.rates:
                phases.append(lag_phase(server, db, items, token, rate, args.seconds, args.clients))
            rate = max(args.rates)
            bounded = [p for p in phases if p.bounded(args.bound)]
            highest = max((p.aimed for p in bounded), default=None)
            while args.step and phases[-1].bounded(args.bound):
                rate += args.step
                phases.append(lag_phase(server, db, items, token, rate, args.ramp_seconds, args.clients))
                if phases[-1].bounded(args.bound):
                    highest = rate
        except BaseException:
            say(f"{backend}: server log:\n{server.log_tail()}")
            raise
        finally:
            server.stop()
        return phases, highest, workers
    finally:
        db.dispose()


def run_backend(backend: str, url: str, args, directory: Path) -> Result:
    db = Database(url)
    try:
        plan = load_dataset(db, backend, 3 * args.registrations)
        throughput = measure_worker(db, backend, plan, args.registrations)
    finally:
        db.dispose()
    lag, highest, workers = measure_lag(url, backend, args, directory)
    return Result(backend, workers, throughput, lag, highest)


def print_table(results: list[Result], notes: list[str], args) -> None:
    rows = []
    for result in results:
        rates = {t.name: t.rate for t in result.throughput}
        alone, together, bulk = (rates[name] for name in (
            "jobs of 1, one per transaction (before)", "jobs of 1, done together", f"jobs of {BULK}"))
        rows.append([result.backend, f"{alone:,.0f}", f"{together:,.0f}", f"{bulk:,.0f}", f"{together / bulk:.2f}",
                     f"{alone / bulk:.2f}"])
    print()
    print(format_table(["backend", "jobs of 1 before/s", "jobs of 1/s", f"jobs of {BULK}/s", "ratio",
                        "before ratio"], rows))
    rows = []
    for result in results:
        for phase in result.lag:
            rows.append([result.backend, str(result.workers), f"{phase.aimed:,.0f}", f"{phase.achieved:,.0f}",
                         f"{phase.percentile(0.5):.2f}", f"{phase.percentile(0.99):.2f}",
                         f"{max(phase.lags, default=float('nan')):.2f}", f"{phase.last_quarter_p99():.2f}",
                         str(phase.unchecked), str(phase.failures), "yes" if phase.bounded(args.bound) else "NO"])
    print()
    print(format_table(["backend", "processes", "asked/s", "achieved/s", "lag p50 s", "lag p99 s", "lag max s",
                        "last quarter p99 s", "unchecked", "failures", "bounded"], rows))
    print()
    for note in notes:
        print(note)
    for result in results:
        rates = {t.name: t.rate for t in result.throughput}
        ratio = rates["jobs of 1, done together"] / rates[f"jobs of {BULK}"]
        print(f"aim: jobs of 1 at >= {AIM_RATIO:.0%} of the rate of jobs of {BULK}: {result.backend} "
              f"{ratio:.0%}: {'ok' if ratio >= AIM_RATIO else 'BELOW'}")
        print(f"{result.backend}: highest rate with a bounded lag (last quarter p99 <= {args.bound:g} s, all "
              f"checked, >= 95% of the rate taken): "
              + (f"{result.highest_bounded:,.0f}/s" if result.highest_bounded else "none of those tried"))
        if result.backend == "postgresql":
            [at_aim] = [p for p in result.lag if p.aimed == AIM_LAG_RATE] or [None]
            if at_aim:
                p99 = at_aim.percentile(0.99)
                print(f"aim: lag p99 < {AIM_LAG_P99:g} s at {AIM_LAG_RATE}/s on PostgreSQL: {p99:.2f} s: "
                      f"{'ok' if p99 < AIM_LAG_P99 and at_aim.bounded(args.bound) else 'MISSED'}")
    print()
    print(f"worker: {args.registrations:,} day registrations (as bench/core.py plans them) stored, then checked by "
          f"make_worker(...).run_until_idle() in this process; checks/s = registrations / time to check them all")
    print(f"lag: single-item registerInBulk (cleaning clockings, as bench/rest.py), paced (open loop) for "
          f"{args.seconds:.0f}s per rate, ramp steps of {args.step:,.0f}/s for {args.ramp_seconds:.0f}s; the lag of a "
          f"registration = its first validation's validated_at - the moment its answer arrived")
    print(f"client, server, worker and database share the machine: {machine()}")


def main() -> int:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=2_000,
                        help="registrations per worker measurement (default 2,000; a multiple of 200)")
    parser.add_argument("--rates", default="250,500", help="REST registrations per second of the lag phases "
                                                            "(default 250,500)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each lag phase (default 60)")
    parser.add_argument("--step", type=float, default=250.0,
                        help="then raise the rate by this much while the lag stays bounded (default 250; 0: no)")
    parser.add_argument("--ramp-seconds", type=float, default=60.0, help="length of each ramp step (default 60)")
    parser.add_argument("--bound", type=float, default=2.0,
                        help="the lag is bounded while its p99 over a phase's last quarter stays within this many "
                             "seconds (default 2)")
    parser.add_argument("--clients", type=int, default=32, help="connections of the paced phases (default 32)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: 1 on SQLite, 2 on PostgreSQL)")
    args = parser.parse_args()
    args.rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]
    if args.registrations < BULK or args.registrations % BULK or not args.rates:
        parser.error(f"--registrations: a multiple of {BULK}; --rates: at least one rate")

    started = time.perf_counter()
    results, notes = on_each_backend(args, lambda backend, url, _postgres, directory: run_backend(backend, url, args,
                                                                                                  directory))
    print_table(results, notes, args)
    print(f"total run time {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
