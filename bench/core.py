#!/usr/bin/env python3
"""Throughput of the two hot paths, registering and checking, against a plain insert of the same rows.

    .venv/bin/python bench/core.py [--postgres-url URL] [--batches N] [--skip-postgres] [--profile]

For each backend (SQLite, then PostgreSQL) on a fresh, migrated database holding realistic source data:

1. register: `register_presences(...)` on batches of 200 submissions, beside a plain insert of the very rows
   the service stores (built with the service's own `registration_row`) through the raw DBAPI cursor of the same engine;
2. checks: `check_registrations(...)` on batches of 200 ids registered in step 1, beside a plain insert of
   200 `validation` rows through the same raw cursor.

Each line shows the service's rate, the plain insert's rate and their ratio. The aim is a ratio of at least
0.5: the service should cost at most twice what the database itself needs to store its rows. See
bench/README.md. This is a benchmark, not a test: it asserts nothing about speed, it measures.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from harness import (
    Profiler,
    arguments,
    database_settings,
    format_table,
    machine,
    on_each_backend,
    say,
    settle,
    tidy,
)
from sqlalchemy import func, select

from presence.clock import SystemClock, belgian_today
from presence.db import migrate
from presence.db.engine import Database
from presence.db.models import Registration, Validation
from presence.domain.channels import Channel
from presence.domain.registration import CheckedSubmission, Submission, check_submission
from presence.domain.sectors import Regime, Sector
from presence.domain.visibility import Caller
from presence.services.registrations.checking import check_registrations
from presence.services.registrations.registering import Accepted, register_presences, registration_row
from presence.services.runtime import Runtime
from presence.sources import simulation
from presence.sources.models import Contract, DimonaPeriod, Enterprise, Person, WorkDeclaration
from presence.sources.simulation import make_inss

BATCH = 200
AIM = 0.5  # service rate / plain-insert rate
CHANNEL = Channel.WEB_SERVICE
REGIME = Regime.DAY
SEED = 20260303  # the same submissions on every run and backend (given the same source data)


# --- valid identifiers ------------------------------------------------------------------------------------

def unknown_inss(rng: random.Random, known: set[str]) -> str:
    """A valid INSS nobody in the national register has."""
    while True:
        inss = make_inss(date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365)), rng.randrange(1, 998))
        if inss not in known:
            return inss


def source_counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                for m in (Enterprise, WorkDeclaration, Contract, Person, DimonaPeriod, Registration)}


@dataclass
class LiveSources:
    """What the source data holds live on every day of a benchmark's registrations."""

    workplaces: dict[str, tuple[float | None, float | None]]  # subject to registration: number -> latitude, longitude
    contracts: list[tuple[str, str]]  # (workplace, enterprise) of their chains' known Belgian enterprises, in order
    people: set[str]  # the national register's
    employments: list[tuple[str, str]]  # (inss, employer) by a Dimona period, both known, in order


def live_sources(db: Database, first: date, last: date, sectors) -> LiveSources:
    """The workplaces of `sectors`, their chains and the employments that hold from `first` to `last`."""
    def live(model):
        return (model.starts_on <= first) & ((model.ends_on.is_(None)) | (model.ends_on >= last))

    with db.reading() as session:
        workplaces = {number: (latitude, longitude) for number, latitude, longitude in session.execute(
            select(WorkDeclaration.number, WorkDeclaration.latitude, WorkDeclaration.longitude).where(
                live(WorkDeclaration), WorkDeclaration.subject_to_registration.is_(True),
                WorkDeclaration.sector.in_([int(sector) for sector in sectors])))}
        known = set(session.scalars(select(Enterprise.number)))
        contracts = [(number, enterprise) for number, enterprise in session.execute(
            select(Contract.declaration_number, Contract.enterprise).where(live(Contract))
            .order_by(Contract.declaration_number, Contract.enterprise).distinct())
            if number in workplaces and enterprise in known and enterprise.isdigit()]
        people = set(session.scalars(select(Person.inss)))
        employments = [(inss, employer) for inss, employer in session.execute(
            select(DimonaPeriod.inss, DimonaPeriod.employer).where(live(DimonaPeriod)).distinct()
            .order_by(DimonaPeriod.inss, DimonaPeriod.employer)) if inss in people and employer in known]
    return LiveSources(workplaces, contracts, people, employments)


# --- the submissions --------------------------------------------------------------------------------------

@dataclass
class Plan:
    caller: Caller
    submissions: list[Submission]
    distinct_valid_triples: int
    mix: Counter = field(default_factory=Counter)


def plan_submissions(db: Database, today: date, count: int) -> Plan:
    """`count` day-regime submissions that reference real rows: mostly a person with a Dimona period at an
    enterprise of the workplace's chain (no remark expected), and 15% with a remark: a person unknown to the
    national register, an enterprise outside the workplace's chain, a person without Dimona at the
    enterprise. Dates are today and tomorrow (the web service's window); each (person, enterprise,
    workplace, date) is used once as long as the data has enough of them, so duplicates stay rare."""
    rng = random.Random(SEED)
    tomorrow = today + timedelta(days=1)

    sources = live_sources(db, today, tomorrow, [s for s in Sector if s is not Sector.CLEANING])
    people = sources.people
    chains: dict[str, list[str]] = {}
    for number, enterprise in sources.contracts:
        chains.setdefault(number, []).append(enterprise)
    workers: dict[str, list[str]] = {}
    for inss, employer in sources.employments:
        workers.setdefault(employer, []).append(inss)
    if not chains or not workers:
        raise RuntimeError("the source data has no live workplace with a chain of known enterprises")

    triples = sorted({(w, e, p) for w, chain in chains.items() for e in chain for p in workers.get(e, ())})
    if not triples:
        raise RuntimeError("no person has a Dimona period at an enterprise of a live workplace's chain")
    pairs = [(t, d) for t in triples for d in (today, tomorrow)]
    rng.shuffle(pairs)
    chain_list = sorted(chains.items())
    employers = sorted(workers)

    plan = Plan(Caller.enterprise_account(chain_list[0][1][0], sender_id="bench"), [], len(triples))
    for i in range(count):
        roll = rng.random()
        day = today if i % 2 else tomorrow
        if roll < 0.05:
            workplace, chain = rng.choice(chain_list)
            enterprise, inss, kind = rng.choice(chain), unknown_inss(rng, people), "person unknown"
        elif roll < 0.10:
            workplace, chain = rng.choice(chain_list)
            outside = [e for e in employers if e not in chain]
            if not outside:
                continue
            enterprise = rng.choice(outside)
            inss, kind = rng.choice(workers[enterprise]), "enterprise not in the chain"
        elif roll < 0.15:
            workplace, chain = rng.choice(chain_list)
            enterprise = rng.choice(chain)
            inss, kind = unknown_inss(rng, people), "no Dimona at the enterprise"
            others = [e for e in employers if e != enterprise]
            if others:
                inss = rng.choice(workers[rng.choice(others)])
        else:
            (workplace, enterprise, inss), day = pairs[i % len(pairs)]
            kind = "expected valid"
        plan.mix[kind] += 1
        plan.submissions.append(Submission(workplace=workplace, inss=inss, enterprise_number=enterprise,
                                           registration_date=day, client_reference=f"bench-{i}"))
    while len(plan.submissions) < count:  # the rare `continue` above
        (workplace, enterprise, inss), day = pairs[len(plan.submissions) % len(pairs)]
        plan.mix["expected valid"] += 1
        plan.submissions.append(Submission(workplace=workplace, inss=inss, enterprise_number=enterprise,
                                           registration_date=day))
    return plan


# --- the plain insert -------------------------------------------------------------------------------------

class PlainInsert:
    """A plain `executemany` INSERT through the raw DBAPI connection of the service's own engine (same
    driver, same PRAGMAs / server settings), one transaction per batch like the service."""

    def __init__(self, db: Database, table: str, columns: list[str]) -> None:
        self.db = db
        self.sqlite = db.is_sqlite
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join((f":{c}" if self.sqlite else f"%({c})s") for c in columns)
        self.sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'

    def params(self, rows: list[dict]) -> list[dict]:
        """The values as SQLAlchemy's column types would bind them (instants in UTC without zone, in
        SQLite's fixed-width text form). Done before timing: the baseline is the driver and the database."""
        return [{k: self._value(v) for k, v in row.items()} for row in rows]

    def _value(self, value):
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None)
            return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value
        if isinstance(value, date) and self.sqlite:
            return value.isoformat()
        if isinstance(value, bool) and self.sqlite:
            return int(value)
        return value

    def __enter__(self):
        self.connection = self.db.engine.raw_connection()
        self.cursor = self.connection.cursor()
        return self

    def insert(self, params: list[dict]) -> None:
        if self.sqlite:
            # The engine puts pysqlite in autocommit mode (isolation_level=None) and the service's writes
            # start with BEGIN IMMEDIATE: do the same, else every row would be its own transaction.
            self.cursor.execute("BEGIN IMMEDIATE")
        self.cursor.executemany(self.sql, params)
        self.connection.commit()

    def __exit__(self, *exc):
        self.cursor.close()
        self.connection.close()  # back to the pool


def delete_after(db: Database, model, last_id: int) -> None:
    """Remove the baseline's rows (untimed) so the service starts from the same table, and tidy up so it
    does not pay for the baseline's leftovers (SQLite: checkpoint the WAL; PostgreSQL: vacuum)."""
    with db.writing() as session:
        session.execute(model.__table__.delete().where(model.__table__.c.id > last_id))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if db.is_sqlite:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql(f'VACUUM ANALYZE "{model.__tablename__}"')


def max_id(db: Database, model) -> int:
    with db.reading() as session:
        return session.scalar(select(func.coalesce(func.max(model.id), 0)))


# --- the measurements -------------------------------------------------------------------------------------

@dataclass
class Line:
    backend: str
    measure: str
    rate: float
    baseline: float
    rows: int

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline if self.baseline else float("nan")


def bench_register(db: Database, backend: str, plan: Plan, batches: int,
                   profile: bool) -> tuple[Line, list[int]]:
    runtime = Runtime(db=db, clock=SystemClock())
    groups = [plan.submissions[i * BATCH:(i + 1) * BATCH] for i in range(batches + 1)]

    # Baseline first, then the service, on the same table with the same indexes (the fair choice: a copy
    # without indexes or constraints would flatter the baseline). The baseline's rows are deleted before the
    # service runs, so both start from the same table and grow it alike.
    now = runtime.clock.now()
    sectors = _sectors(db)
    batches_of_rows = []
    for group in groups:  # the rows the service would store, built before timing
        checked = [check_submission(s, REGIME, CHANNEL, now) for s in group]
        batches_of_rows.append([registration_row(c, plan.caller, CHANNEL, sectors.get(c.workplace), now)
                                for c in checked if isinstance(c, CheckedSubmission)])
    first = max_id(db, Registration)
    elapsed, timed_rows = 0.0, 0
    settle()
    with PlainInsert(db, "registration", list(batches_of_rows[0][0])) as plain:
        for index, rows in enumerate(batches_of_rows):
            params = plain.params(rows)
            start = time.perf_counter()
            plain.insert(params)
            if index:  # batch 0 warms up
                elapsed += time.perf_counter() - start
                timed_rows += len(params)
    baseline_rate = timed_rows / elapsed
    delete_after(db, Registration, first)

    profiler = Profiler(profile)
    run = time_register_presences(runtime, plan.caller, groups, profiler)
    if run.refused:
        say(f"{backend}: the service refused {sum(run.refused.values())} submissions: {dict(run.refused)}")
    profiler.report(f"{backend} register_presences")
    return Line(backend, f"register (batches of {BATCH})", run.rate, baseline_rate, run.stored), run.ids


@dataclass
class RegisterRun:
    stored: int  # registrations stored by the timed calls
    elapsed: float  # seconds spent in the timed calls
    ids: list[int]  # every registration stored, warm-up included, in order
    refused: Counter  # error code of each refused submission -> count (all calls)

    @property
    def rate(self) -> float:
        return self.stored / self.elapsed if self.elapsed else float("nan")


def time_register_presences(runtime: Runtime, caller: Caller, groups: list[list[Submission]],
                            profiler: Profiler | None = None) -> RegisterRun:
    """`register_presences` on each group in turn, in this process: the first call warms up (untimed), the
    others are timed (and profiled, with a profiler)."""
    run = RegisterRun(0, 0.0, [], Counter())
    settle()
    for index, group in enumerate(groups):
        start = time.perf_counter()
        with profiler if (index and profiler) else nullcontext():
            outcomes = register_presences(runtime, caller, CHANNEL, REGIME, group)
        if index:
            run.elapsed += time.perf_counter() - start
        for outcome in outcomes:
            if isinstance(outcome, Accepted):
                run.ids.append(outcome.presence.id)
                run.stored += index > 0
            else:
                run.refused[outcome.errors[0].code] += 1
    return run


def _sectors(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return dict(session.execute(select(WorkDeclaration.number, WorkDeclaration.sector)).all())


def bench_checks(db: Database, backend: str, ids: list[int], batches: int, profile: bool) -> Line:
    groups = [ids[i * BATCH:(i + 1) * BATCH] for i in range(batches + 1)]
    groups = [g for g in groups if g]
    clock = SystemClock()

    first = max_id(db, Validation)
    with db.reading() as session:  # a validation carries its registration's date (its partition's key)
        dates = dict(session.execute(select(Registration.id, Registration.registration_date)
                                     .where(Registration.id.in_(ids))).all())
    elapsed = 0.0
    settle()
    with PlainInsert(db, "validation", ["registration_id", "registration_date", "validated_at", "validity",
                                        "remark_codes", "trigger", "job_id"]) as plain:
        for index, group in enumerate(groups):
            now = clock.now()
            params = plain.params([{"registration_id": i, "registration_date": dates[i], "validated_at": now,
                                    "validity": "valid", "remark_codes": "", "trigger": "registration",
                                    "job_id": None} for i in group])
            start = time.perf_counter()
            plain.insert(params)
            if index:
                elapsed += time.perf_counter() - start
    baseline_rate = sum(len(g) for g in groups[1:]) / elapsed
    delete_after(db, Validation, first)

    profiler = Profiler(profile)
    elapsed = 0.0
    written = 0
    settle()
    for index, group in enumerate(groups):
        start = time.perf_counter()
        with profiler if index else nullcontext():
            with db.writing() as session:
                count = check_registrations(session, group, "registration", clock.now())
        if index:
            elapsed += time.perf_counter() - start
            written += count
    profiler.report(f"{backend} check_registrations")
    checked = sum(len(g) for g in groups[1:])
    if written != checked:
        say(f"{backend}: the checks wrote {written} validations for {checked} registrations")
    return Line(backend, f"checks (batches of {BATCH})", checked / elapsed, baseline_rate, checked)


def outcome_mix(db: Database, ids: list[int]) -> str:
    """What the checks found, to show they did real work."""
    validity, remarks = Counter(), Counter()
    with db.reading() as session:
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            for v, codes in session.execute(select(Registration.validity, Registration.remark_codes)
                                            .where(Registration.id.in_(chunk))):
                validity[v] += 1
                for code in (codes or "").split():
                    remarks[code] += 1
    top = ", ".join(f"{code} {n}" for code, n in remarks.most_common(6))
    return f"{dict(validity)}; most frequent remarks: {top or 'none'}"


def load_dataset(db: Database, backend: str, count: int) -> Plan:
    """Migrate a fresh database, load the simulation dataset 'medium' (`presence demo --size medium`), tidy
    up after the load (SQLite: WAL checkpoint; PostgreSQL: VACUUM ANALYZE) and plan `count` submissions."""
    started = time.perf_counter()
    migrate.upgrade(db)
    today = belgian_today(SystemClock())
    simulation.generate(db, "medium", today)
    tidy(db)
    plan = plan_submissions(db, today, count)
    counts = source_counts(db)
    say(f"{backend}: simulation dataset 'medium' loaded in {time.perf_counter() - started:.1f}s: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    say(f"{backend}: submissions {dict(plan.mix)}; {plan.distinct_valid_triples:,} distinct valid "
        "(workplace, enterprise, person) triples")
    say(f"{backend}: {database_settings(db)}")
    return plan


def run_backend(backend: str, url: str, batches: int, profile: bool) -> list[Line]:
    db = Database(url)
    try:
        plan = load_dataset(db, backend, (batches + 1) * BATCH)
        register_line, ids = bench_register(db, backend, plan, batches, profile)
        say(f"{backend}: register done: {register_line.rate:,.0f}/s vs plain {register_line.baseline:,.0f}/s")
        checks_line = bench_checks(db, backend, ids, batches, profile)
        say(f"{backend}: checks done: {checks_line.rate:,.0f}/s vs plain {checks_line.baseline:,.0f}/s")
        say(f"{backend}: outcome of the checks: {outcome_mix(db, ids[BATCH:])}")
        return [register_line, checks_line]
    finally:
        db.dispose()


def print_table(lines: list[Line], notes: list[str], batches: int) -> None:
    print()
    print(format_table(
        ["backend", "measure", "rate/s", "baseline/s", "ratio", "aim"],
        [[line.backend, line.measure, f"{line.rate:,.0f}", f"{line.baseline:,.0f}", f"{line.ratio:.2f}",
          "ok" if line.ratio >= AIM else "BELOW"] for line in lines]))
    for note in notes:
        print(note)
    print()
    print(f"aim: service rate >= {AIM} x plain-insert rate (ratio >= {AIM}); baseline = plain executemany "
          "INSERT of the same rows through the same engine's raw DBAPI connection, one transaction per "
          "batch")
    print(f"{batches} timed batches of {BATCH} per measurement (+1 warm-up batch); machine: {machine()}")


def main() -> int:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=50, help="timed batches of 200 per measurement")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the service calls and print the top functions (rates then include "
                             "the profiler's overhead)")
    args = parser.parse_args()
    if args.batches < 1:
        parser.error("--batches: at least 1")

    started = time.perf_counter()
    results, notes = on_each_backend(args, lambda backend, url, _postgres, _directory: run_backend(
        backend, url, args.batches, args.profile))
    print_table([line for lines in results for line in lines], notes, args.batches)
    print(f"total run time {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
