"""The registrations and their history in monthly partitions on PostgreSQL: the migration that moves a populated
registry there, searches across months, corrections that change the month, the purge that drops whole months,
the months made ahead. SQLite keeps its single tables and behaves as before."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from presence.clock import FrozenClock
from presence.db import migrate, partitions
from presence.db.models import Registration, Revision, Validation
from presence.domain.visibility import Caller
from presence.services.background import make_worker
from presence.services.registrations.consulting import Page, SearchCriteria, get_presence, search_presences
from presence.services.registrations.correcting import Correction, correct_presence
from presence.services.retention import purge_expired
from presence.services.runtime import Runtime

from ..conftest import NOW, TODAY
from ..helpers import EMPLOYER_ACCOUNT, employee_today, register_one, run_checks

BEFORE_PARTITIONS = "0007"
FIRST, LAST = date(2025, 11, 20), date(2026, 2, 9)  # the old registrations span four months
TABLES = ("registration", "validation", "revision")  # and the remark index table, PostgreSQL's own


def _migrate(db, revision: str, down: bool = False) -> None:
    config = migrate.alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _add_old_registrations(db) -> None:
    """200 registrations as the registry before partitions stored them, with validations (two for every third)
    and revisions (every tenth), then the three newest deleted: the sequences are ahead of the highest ids."""
    with db.engine.begin() as connection:
        for n in range(200):
            day = FIRST + timedelta(days=n * (LAST - FIRST).days // 199)
            at = datetime.combine(day, datetime.min.time(), UTC)
            registration = connection.scalar(text(
                "INSERT INTO registration (regime, sector, registration_date, inss, enterprise_number, workplace, "
                "channel, created_at, lifecycle, lifecycle_at, validity, remark_codes) VALUES ('day', 1, :day, "
                ":inss, '0448181966', :workplace, 'WS', :at, 'registered', :at, 'invalid', :remarks) RETURNING id"),
                {"day": day, "inss": f"{78000000000 + n}", "workplace": f"W{n % 7:012d}", "at": at,
                 "remarks": "CAW_01" if n % 2 else "CAW_01 CAW_12"})
            for _ in range(2 if n % 3 == 0 else 1):
                connection.execute(text(
                    "INSERT INTO validation (registration_id, validated_at, validity, remark_codes, trigger) "
                    "VALUES (:id, :at, 'invalid', 'CAW_01', 'registration')"), {"id": registration, "at": at})
            if n % 10 == 0:
                connection.execute(text(
                    "INSERT INTO revision (registration_id, revised_at, actor, justification, before, after) "
                    "VALUES (:id, :at, 'agent', 'documents', '{}', '{}')"), {"id": registration, "at": at})
        connection.execute(text("DELETE FROM registration WHERE id IN "
                                "(SELECT id FROM registration ORDER BY id DESC LIMIT 3)"))


def _snapshot(db) -> dict:
    with db.engine.connect() as connection:
        snapshot = {table: [dict(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
                            .mappings()] for table in TABLES}
        snapshot["sequences"] = {table: connection.scalar(text(f"SELECT last_value FROM {table}_id_seq"))
                                 for table in TABLES}
    return snapshot


def _expected_pages(rows: list[dict]) -> list[list[int]]:
    """What `_search_everything` answered before partitions: the rows of the period by receipt number."""
    pages = []
    for wanted in (lambda row: True, lambda row: row["workplace"] == f"W{3:012d}"):
        ids = [row["id"] for row in rows if FIRST <= row["registration_date"] <= LAST and wanted(row)]
        pages += [ids[i:i + 40] for i in range(0, len(ids), 40)]
    return pages


def _search_everything(runtime) -> list[list[int]]:
    """Pages of the back office's search over the four months, and of a workplace's, as receipt numbers."""
    pages = []
    for criteria in (SearchCriteria(periods=[(FIRST, LAST)]),
                     SearchCriteria(periods=[(FIRST, LAST)], workplace=f"W{3:012d}")):
        first = 0
        while True:
            result = search_presences(runtime, Caller.back_office(), criteria, Page(first_row=first, size=40))
            pages.append([item.id for item in result.items])
            first += 40
            if first >= result.total:
                break
    return pages


def _is_partitioned(db, table: str) -> bool:
    with db.engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = CAST(:t AS regclass)"), {"t": table}) == 1


@pytest.fixture
def postgresql(runtime):
    if not runtime.db.is_postgresql:
        pytest.skip("partitions are PostgreSQL's (SQLite keeps one table of each)")
    return runtime


def test_the_migration_moves_every_row_id_history_and_sequence_into_monthly_partitions(postgresql):
    db = postgresql.db
    _migrate(db, BEFORE_PARTITIONS, down=True)
    assert not _is_partitioned(db, "registration")
    _add_old_registrations(db)
    before = _snapshot(db)
    assert [len(before[table]) for table in TABLES] == [197, 263, 20]

    _migrate(db, "head")
    after = _snapshot(db)
    assert all(_is_partitioned(db, table) for table in TABLES)
    # Every row and value as it was (later migrations add columns: those are left out of the comparison).
    columns = set(before["registration"][0])
    assert [{k: v for k, v in row.items() if k in columns} for row in after["registration"]] == before["registration"]
    assert after["sequences"] == before["sequences"]
    date_of = {row["id"]: row["registration_date"] for row in after["registration"]}
    for table in ("validation", "revision"):
        assert [{k: v for k, v in row.items() if k != "registration_date"} for row in after[table]] == before[table]
        assert all(row["registration_date"] == date_of[row["registration_id"]] for row in after[table])

    # Each row in its month's partition; the months of the rows and the coming ones exist.
    with db.engine.connect() as connection:
        for table in TABLES:
            for partition, day in connection.execute(text(
                    f"SELECT tableoid::regclass::text, registration_date FROM {table}")):
                assert partition == partitions.partition_name(table, partitions.month_of(day))
        months = partitions.existing_months(connection)
    assert {date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)} <= months
    today = datetime.now(UTC).date()
    assert partitions.coming_months(today)[-1] in months

    # The remark index table (migration 0009) holds every remark of the old registrations.
    with db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM registration_remark")) == sum(
            len(row["remark_codes"].split()) for row in before["registration"])

    # The same searches find the same registrations in the same order; numbering goes on from the sequence.
    assert _search_everything(postgresql) == _expected_pages(before["registration"])
    new = register_one(postgresql, employee_today())
    assert new == before["sequences"]["registration"] + 1
    run_checks(postgresql)
    assert len(get_presence(postgresql, EMPLOYER_ACCOUNT, new).history) == 1

    _migrate(db, BEFORE_PARTITIONS, down=True)  # and back, for an operator who must
    assert not _is_partitioned(db, "registration")
    back = _snapshot(db)
    assert back["registration"][:len(before["registration"])] == before["registration"]
    assert back["validation"][:len(before["validation"])] == before["validation"]
    assert back["sequences"]["registration"] == new


def test_a_registration_in_a_month_without_partition_gets_one(postgresql):
    later = datetime(2031, 5, 10, 9, tzinfo=UTC)
    runtime = Runtime(db=postgresql.db, clock=FrozenClock(later))
    registration = register_one(runtime, employee_today(registration_date=None))
    with runtime.db.engine.connect() as connection:
        assert date(2031, 5, 1) in partitions.existing_months(connection)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, registration).registration_date == later.date()


def test_the_worker_makes_the_coming_months_ready(postgresql):
    runtime = Runtime(db=postgresql.db, clock=FrozenClock(datetime(2032, 11, 20, 9, tzinfo=UTC)))
    worker = make_worker(runtime, poll_interval=0.05)
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        wanted = {date(2032, 11, 1), date(2032, 12, 1), date(2033, 1, 1), date(2033, 2, 1)}
        for _ in range(200):
            with runtime.db.engine.connect() as connection:
                if wanted <= partitions.existing_months(connection):
                    break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the worker did not make the coming months")
    finally:
        worker.stop()
        thread.join(10)


def test_a_correction_to_another_month_takes_the_history_along(runtime):
    registration = register_one(runtime, employee_today())  # TODAY is 3 March
    run_checks(runtime)
    correct_presence(runtime, Caller.back_office(sender_id="agent"), registration,
                     Correction(registration_date=TODAY - timedelta(days=4)), "the site diary shows 27 February")
    run_checks(runtime)
    presence = get_presence(runtime, EMPLOYER_ACCOUNT, registration)
    assert presence.registration_date == date(2026, 2, 27)
    assert len(presence.history) == 2 and len(presence.revisions) == 1
    with runtime.db.reading() as session:
        for model in (Validation, Revision):
            assert set(session.scalars(select(model.registration_date)
                                       .where(model.registration_id == registration))) == {date(2026, 2, 27)}
        if runtime.db.is_postgresql:
            for table in TABLES:
                column = "id" if table == "registration" else "registration_id"
                assert set(session.scalars(text(f"SELECT tableoid::regclass::text FROM {table} WHERE {column} = :id"),
                                           {"id": registration})) == {f"{table}_y2026m02"}


def test_the_purge_drops_the_months_past_seven_years_and_nothing_else(runtime, clock):
    """Today is 3 March 2026: registrations dated before 3 March 2019 go. January and February 2019 as whole
    partitions on PostgreSQL; in March 2019 only the 2nd, row by row."""
    days = [date(2019, 1, 15), date(2019, 2, 28), date(2019, 3, 2), date(2019, 3, 3), date(2019, 4, 1)]
    registered = {}
    for day in days:
        then = Runtime(db=runtime.db, clock=FrozenClock(datetime.combine(day, NOW.timetz())))
        registered[day] = register_one(then, employee_today(registration_date=None))
        run_checks(then)
    with runtime.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(Registration))

    report = purge_expired(runtime, Caller.operator())

    assert report.registrations == 3
    gone = {registered[day] for day in days[:3]}
    with runtime.db.reading() as session:
        left = set(session.scalars(select(Registration.id)))
        assert len(left) == total - 3 and not gone & left
        assert {registered[date(2019, 3, 3)], registered[date(2019, 4, 1)]} <= left
        for model in (Validation, Revision):
            assert not session.scalar(select(func.count()).select_from(model)
                                      .where(model.registration_id.in_(gone)))
        assert session.scalar(select(func.count()).select_from(Validation).where(
            Validation.registration_id == registered[date(2019, 4, 1)])) == 1
    if runtime.db.is_postgresql:
        assert report.months_dropped == (date(2019, 1, 1), date(2019, 2, 1))
        with runtime.db.engine.connect() as connection:
            months = partitions.existing_months(connection)
            tables = set(connection.scalars(text("SELECT tablename FROM pg_tables")))
        assert not {date(2019, 1, 1), date(2019, 2, 1)} & months
        assert {date(2019, 3, 1), date(2019, 4, 1), *partitions.coming_months(TODAY)} <= months
        assert not {partitions.partition_name(t, date(2019, m, 1)) for t in TABLES for m in (1, 2)} & tables
    else:
        assert report.months_dropped == ()
