#!/usr/bin/env python3
"""Do searches stay instant at national scale? Each kind of search over millions of registrations.

    .venv/bin/python bench/search.py [--postgres-url URL] [--rows N] [--calls C] [--before-calls B] [--migration]
                                     [--with-sqlite]

On PostgreSQL (a fresh database in --postgres-url's server, or a durable throw-away cluster; SQLite too with
--with-sqlite), migrated, holding the simulation dataset 'national' (520,000 people, 102,000 enterprises, 50,000
declarations):

1. N registrations (default 20 million) are loaded with COPY, shaped as the service writes them: day
   registrations of people with a Dimona at an enterprise of the workplace's chain, spread over the 14 months up
   to today, the receipt numbers growing with the dates, 5% with the remark CAW_01, each with its validation. The
   registration's secondary indexes are dropped for the load and built again after it (PostgreSQL's remark
   index table is filled by its triggers as the rows arrive), then the tables are analysed;
2. each kind of search runs C times (default 200) through `search_presences` in this process, on subjects that
   have registrations (rotating among 50 of them): p50, p95, p99 and max;
3. the REST search of an enterprise account over one day, over HTTP against the app of `presence serve
   --no-worker` (the same C calls, one keep-alive connection);
4. the baseline: the slowest kinds as their statements were before issue 9 (scope subqueries, remarks matched
   in the text, a count then a page), on the same rows, B times (--before-calls, default 10);
5. with --migration, how long the loaded registry takes to go back to single tables and into partitions again.

Aim (2-core machine, durable PostgreSQL): every kind p99 < 50 ms at 20 million registrations. A benchmark, not a
test: it measures and prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

import rest
from alembic import command
from harness import each_backend, format_table, machine, percentile, say, tidy
from sqlalchemy import func, inspect, or_, select

from presence.clock import SystemClock, belgian_today
from presence.db import migrate
from presence.db.engine import Database
from presence.db.models import Registration
from presence.domain import scopes
from presence.domain.remarks import RemarkCode
from presence.domain.visibility import Caller, Role
from presence.services.access.accounts import create_account
from presence.services.registrations.consulting import Page, SearchCriteria, search_presences
from presence.services.runtime import Runtime
from presence.sources import simulation
from presence.sources.models import Contract, DimonaPeriod, LimosaDeclaration, WorkDeclaration

AIM_P99 = 0.050  # seconds
DAYS = 425  # about 14 months
SEED = 20261205
SUBJECTS = 50


@dataclass
class Kind:
    name: str
    seconds: list[float] = field(default_factory=list)
    found: int = 0  # registrations in the answers (a search that finds nothing measures little)

    def percentile(self, q: float) -> float:
        return percentile(self.seconds, q)


# --- the load -----------------------------------------------------------------------------------------------

def triples(db: Database, today: date, wanted: int) -> list[tuple[str, str, str, int]]:
    """(workplace, enterprise, inss, sector): people with a Dimona at an enterprise of the workplace's chain."""
    with db.reading() as session:
        sectors = dict(session.execute(select(WorkDeclaration.number, WorkDeclaration.sector)
                                       .where(WorkDeclaration.sector != 4)).all())
        chains: dict[str, list[str]] = {}
        for number, enterprise in session.execute(select(Contract.declaration_number, Contract.enterprise)
                                                  .distinct()):
            if number in sectors and enterprise.isdigit():
                chains.setdefault(enterprise, []).append(number)
        found = []
        for inss, employer in session.execute(select(DimonaPeriod.inss, DimonaPeriod.employer).distinct()
                                              .order_by(DimonaPeriod.inss, DimonaPeriod.employer)):
            for workplace in chains.get(employer, ())[:3]:
                found.append((workplace, employer, inss, sectors[workplace]))
    random.Random(SEED).shuffle(found)
    return found[:wanted]


def load(db: Database, rows: int, today: date) -> None:
    pool = triples(db, today, 400_000)
    say(f"{len(pool):,} (workplace, enterprise, person) triples to draw from")
    indexes = inspect(db.engine).get_indexes("registration")
    with db.engine.begin() as connection:  # the secondary indexes are built once, after the load
        for index in indexes:
            connection.exec_driver_sql(f'DROP INDEX IF EXISTS "{index["name"]}"')
    first_day = today - timedelta(days=DAYS - 1)
    db.ensure_months(first_day + timedelta(days=n) for n in range(DAYS))  # PostgreSQL's monthly partitions
    started = time.perf_counter()
    rng = random.Random(SEED)
    columns = ("regime", "sector", "registration_date", "inss", "enterprise_number", "workplace", "channel",
               "sender_enterprise", "sender_id", "sender_user_type", "created_at", "lifecycle", "lifecycle_at",
               "validity", "remark_codes", "validated_at")
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        first_id = (cursor.execute("SELECT coalesce(max(id), 0) FROM registration").fetchone()[0])
        if db.is_postgresql:
            with cursor.copy(f"COPY registration ({', '.join(columns)}) FROM STDIN") as copy:
                for n in range(rows):
                    copy.write_row(_row(pool, rng, n, rows, first_day))
                    if n and n % 2_000_000 == 0:
                        say(f"{n:,} registrations copied ({n / (time.perf_counter() - started):,.0f}/s)")
            cursor.execute("""INSERT INTO validation (registration_id, registration_date, validated_at, validity,
                                                      remark_codes, trigger)
                              SELECT id, registration_date, validated_at, validity, remark_codes, 'registration'
                              FROM registration WHERE id > %s""", (first_id,))
        else:
            placeholders = ", ".join("?" for _ in columns)
            for start in range(0, rows, 50_000):
                batch = [_row(pool, rng, n, rows, first_day) for n in range(start, min(rows, start + 50_000))]
                cursor.executemany(f"INSERT INTO registration ({', '.join(columns)}) VALUES ({placeholders})", batch)
            cursor.execute("""INSERT INTO validation (registration_id, registration_date, validated_at, validity,
                                                      remark_codes, trigger)
                              SELECT id, registration_date, validated_at, validity, remark_codes, 'registration'
                              FROM registration WHERE id > ?""", (first_id,))
        raw.commit()
    finally:
        raw.close()
    say(f"{rows:,} registrations and their validations loaded in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    migrate.upgrade(db)  # no-op: the schema is current
    with db.engine.begin() as connection:
        for index in indexes:
            names = ", ".join(f'"{c}"' for c in index["column_names"])
            connection.exec_driver_sql(f'CREATE INDEX "{index["name"]}" ON registration ({names})')
    tidy(db)
    say(f"indexes built again and tables analysed in {time.perf_counter() - started:.0f}s; "
        f"table {_size(db)}")


def _row(pool, rng: random.Random, n: int, rows: int, first_day: date) -> tuple:
    workplace, enterprise, inss, sector = pool[rng.randrange(len(pool))]
    day = first_day + timedelta(days=n * DAYS // rows)  # later receipt numbers, later dates
    at = datetime.combine(day, day_time(7), tzinfo=UTC) + timedelta(seconds=rng.randrange(36_000))
    remarks = "CAW_01" if rng.random() < 0.05 else ""
    return ("day", sector, day, inss, enterprise, workplace, "WS", enterprise, "self_service_expeditor_1",
            "WEBSERVICE", at, "registered", at, "invalid" if remarks else "valid", remarks, at)


def _size(db: Database) -> str:
    if not db.is_postgresql:
        return ""
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(  # the sum of its monthly partitions
            "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
            "WHERE inhparent = 'registration'::regclass").scalar() + " with its indexes"


# --- the searches -----------------------------------------------------------------------------------------

def subjects(db: Database, today: date) -> dict[str, list]:
    """Workplaces, people and enterprises with registrations in the last days, to search for."""
    week = today - timedelta(days=6)
    with db.reading() as session:
        recent = session.execute(select(Registration.workplace, Registration.inss, Registration.enterprise_number)
                                 .where(Registration.registration_date == today).limit(5_000)).all()
        month = session.execute(select(Registration.inss).where(
            Registration.registration_date >= today - timedelta(days=30)).limit(5_000)).scalars().all()
        declared = dict(session.execute(select(WorkDeclaration.number, WorkDeclaration.declaring_contractor)).all())
    rng = random.Random(SEED)

    def some(values) -> list:  # up to SUBJECTS of them, the same ones from run to run
        distinct = sorted(set(values))
        return rng.sample(distinct, min(SUBJECTS, len(distinct)))

    workplaces = {r.workplace for r in recent}
    return {"workplaces": some(workplaces), "people": some(month),
            "enterprises": some(r.enterprise_number for r in recent),
            "contractors": some(declared[w] for w in workplaces if w in declared), "week": week}


def measure(name: str, calls: int, run: Callable[[int], int], warm_up: int = 5) -> Kind:
    kind = Kind(name)
    for i in range(warm_up):
        run(i)
    for i in range(calls):
        started = time.perf_counter()
        kind.found += run(i)
        kind.seconds.append(time.perf_counter() - started)
    say(f"{name}: p50 {kind.percentile(0.5) * 1000:.1f} ms, p99 {kind.percentile(0.99) * 1000:.1f} ms, "
        f"{kind.found / calls:.0f} registrations per answer")
    return kind


def run_searches(db: Database, today: date, calls: int, before_calls: int) -> list[Kind]:
    runtime = Runtime(db=db, clock=SystemClock())
    s = subjects(db, today)
    week = [(s["week"], today)]
    inspector, back_office = Caller.inspector(), Caller.back_office()

    def enterprise(i):
        return Caller.enterprise_account(s["contractors"][i % len(s["contractors"])], roles=(Role.CONSULTANT,))

    def search(caller, criteria, page=Page()):
        return len(search_presences(runtime, caller, criteria, page).items)

    def own_workplace(i):
        caller = enterprise(i)
        with db.reading() as session:
            workplace = session.scalar(select(WorkDeclaration.number).where(
                WorkDeclaration.declaring_contractor == caller.enterprise).limit(1))
        return search(caller, SearchCriteria(periods=week, workplace=workplace))

    items = s["workplaces"], s["people"], s["enterprises"]
    return [
        measure("workplace x 1 day (inspector)", calls, lambda i: search(
            inspector, SearchCriteria(periods=[(today, today)], workplace=items[0][i % len(items[0])]))),
        measure("INSS x 31 days (inspector)", calls, lambda i: search(inspector, SearchCriteria(
            periods=[(today - timedelta(days=30), today)], inss=items[1][i % len(items[1])]))),
        measure("enterprise x 1 day, page 1 (inspector)", calls, lambda i: search(
            inspector, SearchCriteria(periods=[(today, today)], enterprise_number=items[2][i % len(items[2])]))),
        measure("enterprise x 1 day, page 5 (inspector)", calls, lambda i: search(
            inspector, SearchCriteria(periods=[(today, today)], enterprise_number=items[2][i % len(items[2])]),
            Page(first_row=200, size=50))),
        measure("enterprise caller, one of its workplaces x 7 days", calls, own_workplace),
        measure("enterprise caller, no other criterion x 7 days", calls, lambda i: search(
            enterprise(i), SearchCriteria(periods=week))),
        measure("back office, remark CAW_01 x 7 days", calls, lambda i: search(
            back_office, SearchCriteria(periods=week, remarks=[RemarkCode("CAW_01")]))),
        *before_shapes(db, s, today, before_calls),
    ]


def before_shapes(db: Database, s: dict, today: date, calls: int) -> list[Kind]:
    """The slowest kinds as the search wrote them before issue 9, on the same rows (the baseline): the enterprise's
    scope as subqueries, the remark matched in the text, the total and the page as two statements."""
    if not calls:
        return []
    in_week = Registration.registration_date.between(s["week"], today)

    def old_search(*where) -> int:
        with db.reading() as session:
            session.scalar(select(func.count()).select_from(Registration).where(*where))
            return len(session.scalars(select(Registration).where(*where).order_by(Registration.id).limit(50)).all())

    def enterprise(i) -> int:
        e = s["contractors"][i % len(s["contractors"])]
        return old_search(in_week, or_(
            Registration.enterprise_number == e, Registration.foreign_vat == e, Registration.sender_enterprise == e,
            Registration.workplace.in_(select(WorkDeclaration.number).where(
                or_(WorkDeclaration.declaring_contractor == e, WorkDeclaration.client == e))),
            Registration.limosa_id.in_(select(LimosaDeclaration.number).where(LimosaDeclaration.employer == e))))

    return [
        measure("before: enterprise caller, no other criterion x 7 days", calls, enterprise, warm_up=1),
        measure("before: back office, remark CAW_01 x 7 days", calls,
                lambda i: old_search(in_week, Registration.remark_codes.like("%CAW_01%")), warm_up=1),
    ]


def rest_search(url: str, backend: str, directory: Path, db: Database, today: date, calls: int) -> Kind:
    s = subjects(db, today)
    key, cert = rest._certificate()
    account = create_account(Runtime(db=db, clock=SystemClock()), Caller.operator(), s["contractors"][0],
                             "bench search", rest.pem(cert), "bench key", [scopes.REST_PROFESSIONAL])
    server = rest.Server(url, 1, directory, rate_limits=False)
    try:
        server.start()
        _, token = rest.measure_tokens(server, key, account.client_id, 1, 0)
        connection = rest.Connection(server.port)
        day = today.isoformat()
        body = json.dumps({"criteria": {"registrationDate": {"startDate": day, "endDate": day}}}).encode()

        def one(_):
            status, answer = connection.post(f"{rest.BASE}/presenceRegistrations/search", body, token=token)
            if status != 200:
                raise RuntimeError(f"REST search answered {status}: {answer[:200]!r}")
            return len(json.loads(answer)["items"])

        try:
            return measure("REST search by an enterprise account, 1 day (HTTP)", calls, one)
        finally:
            connection.close()
    finally:
        server.stop()


def time_migration(db: Database) -> None:
    """How long `presence db upgrade` takes to move this registry into the monthly partitions (migration 0008,
    and 0009's remark index): down to the single tables of 0007 first, then up again, each timed."""
    for revision, what in (("0007", "back to single tables (downgrade)"), ("head", "into partitions (upgrade)")):
        started = time.perf_counter()
        config = migrate.alembic_config(db.url)
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if revision != "head" else command.upgrade)(config, revision)
        say(f"migration {what}: {time.perf_counter() - started:.0f}s")


@dataclass
class Result:
    backend: str
    rows: int
    kinds: list[Kind]


def run_backend(backend: str, url: str, args, directory: Path) -> Result:
    db = Database(url)
    today = belgian_today(SystemClock())
    try:
        started = time.perf_counter()
        migrate.upgrade(db)
        simulation.generate(db, "national", today)
        tidy(db)
        say(f"{backend}: dataset 'national' loaded in {time.perf_counter() - started:.0f}s")
        load(db, args.rows, today)
        kinds = run_searches(db, today, args.calls, args.before_calls)
        kinds.append(rest_search(url, backend, directory, db, today, args.calls))
        if args.migration and db.is_postgresql:
            time_migration(db)
    finally:
        db.dispose()
    return Result(backend, args.rows, kinds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", help="a PostgreSQL server to create a fresh database in "
                                               "(default: start a durable throw-away cluster)")
    parser.add_argument("--rows", type=int, default=20_000_000, help="registrations loaded (default 20 million)")
    parser.add_argument("--calls", type=int, default=200, help="timed calls of each kind of search (default 200)")
    parser.add_argument("--before-calls", type=int, default=10,
                        help="timed calls of the statements before issue 9, for comparison (default 10; 0: none)")
    parser.add_argument("--migration", action="store_true",
                        help="then time the migration of the loaded registry into partitions (down and up again)")
    parser.add_argument("--with-sqlite", action="store_true", help="SQLite too (slow to load at this scale)")
    parser.add_argument("--skip-postgres", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.skip_sqlite = not args.with_sqlite
    started = time.perf_counter()
    directory = Path(tempfile.mkdtemp(prefix="presence-bench-search-"))
    try:
        results, notes = each_backend(args, directory,
                                      lambda backend, url, _postgres: run_backend(backend, url, args, directory))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    rows = [[r.backend, f"{r.rows:,}", k.name, f"{k.percentile(0.5) * 1000:.1f}", f"{k.percentile(0.95) * 1000:.1f}",
             f"{k.percentile(0.99) * 1000:.1f}", f"{max(k.seconds) * 1000:.1f}", f"{k.found / len(k.seconds):.0f}",
             "ok" if k.percentile(0.99) < AIM_P99 else "SLOW"] for r in results for k in r.kinds]
    print()
    print(format_table(["backend", "registrations", "search", "p50 ms", "p95 ms", "p99 ms", "max ms", "found",
                        f"p99 < {AIM_P99 * 1000:.0f} ms"], rows))
    print()
    for note in notes:
        print(note)
    print(f"{args.calls} timed calls per kind (after 5 untimed), subjects rotating among {SUBJECTS}; "
          f"found = registrations per answer (pages of 50); machine: {machine()}")
    print(f"total run time {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
