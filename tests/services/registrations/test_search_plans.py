"""On PostgreSQL, no search finds its page by reading the registration table in id order: each caller's scope and
criteria are served by an index (EXPLAIN of the very statements the service sends, on a table large enough for
the planner to choose as it would at national scale)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from presence.domain.remarks import RemarkCode
from presence.domain.visibility import Caller
from presence.services.registrations.consulting import Page, SearchCriteria, search_presences

from ...conftest import TODAY
from ...helpers import CONSTRUCTION_SITE, EMPLOYER, WORKER

ROWS = 300_000
DAYS = 420  # 14 months


@pytest.fixture
def crowded(runtime):
    """The demo dataset with 300,000 more registrations over the 14 months before, 2,000 enterprises, 5,000
    workplaces: the later the receipt number, the later the date, as in a registry that has been running."""
    if not runtime.db.is_postgresql:
        pytest.skip("query plans of PostgreSQL (SQLite keeps its single table and simple plans)")
    runtime.db.ensure_months(TODAY - timedelta(days=d) for d in range(DAYS + 1))
    with runtime.db.writing() as session:
        session.execute(text(f"""
            INSERT INTO registration (regime, sector, registration_date, inss, enterprise_number, workplace, channel,
                                      sender_enterprise, created_at, lifecycle, lifecycle_at, validity, remark_codes)
            SELECT 'day', 1, DATE '{TODAY}' - {DAYS} + (g * {DAYS} / {ROWS}), lpad((g % 97001)::text, 11, '7'),
                   lpad((1000 + g % 2000)::text, 10, '0'), 'W' || lpad((g % 5000)::text, 12, '0'), 'WS',
                   lpad((1000 + g % 2000)::text, 10, '0'), now(), 'registered', now(), 'valid',
                   CASE WHEN g % 7 = 0 THEN 'CAW_01' ELSE '' END
            FROM generate_series(1, {ROWS}) AS g"""))
    with runtime.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE registration")
    return runtime


@contextmanager
def statements(db):
    """The statements sent meanwhile that read a page of registrations."""
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM registration" in statement and "LIMIT" in statement:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def plan_of(connection, statement: str, parameters) -> dict:
    """PostgreSQL's plan of a statement as the service sent it (EXPLAIN, JSON), its top node."""
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
    [[document]] = cursor.fetchall()
    return (document if isinstance(document, list) else json.loads(document))[0]["Plan"]


def scans(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from scans(child)


def walks_the_primary_key(db, statement, parameters, period) -> list[str]:
    """The plan's nodes that read registration (a monthly partition of it) in id order without a condition on the
    index, or read a partition whole that holds registrations outside the searched period."""
    with db.engine.connect() as connection:
        plan = plan_of(connection, statement, parameters)
        months = {row[0] for row in connection.exec_driver_sql(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'registration'::regclass")}
        primary_keys = {row[0] for row in connection.exec_driver_sql(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indisprimary AND indrelid::regclass::text IN "
            "(SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'registration'::regclass)")}
    assert months and primary_keys, "registration is not partitioned"
    bad = []
    for node in scans(plan):
        if node.get("Relation Name") not in months:
            continue
        if node.get("Index Name") in primary_keys and "Index Cond" not in node:
            bad.append(f"{node['Node Type']} on {node['Index Name']} (filter {node.get('Filter')})")
        if node["Node Type"] == "Seq Scan":
            with db.engine.connect() as connection:
                outside = connection.scalar(text(
                    f"SELECT count(*) FROM {node['Relation Name']} WHERE registration_date NOT BETWEEN :low AND :high"),
                    {"low": period[0], "high": period[1]})
            if outside:
                bad.append(f"Seq Scan on {node['Relation Name']}, {outside} rows outside the period "
                           f"(filter {node.get('Filter')})")
    return bad


def week() -> list:
    return [(TODAY - timedelta(days=6), TODAY)]


CASES = {
    "inspector, workplace x 1 day": (Caller.inspector(), SearchCriteria(periods=[(TODAY, TODAY)],
                                                                        workplace=CONSTRUCTION_SITE), Page()),
    "person, own INSS x 31 days": (Caller.person(WORKER), SearchCriteria(periods=[(TODAY - timedelta(days=30),
                                                                                    TODAY)]), Page()),
    "enterprise, no other criterion x 7 days": (Caller.enterprise_account(EMPLOYER, roles=("consultant",)),
                                                SearchCriteria(periods=week()), Page()),
    "enterprise, page 5": (Caller.enterprise_account(EMPLOYER, roles=("consultant",)),
                           SearchCriteria(periods=week()), Page(first_row=200)),
    "enterprise, one of its workplaces x 7 days": (Caller.enterprise_account(EMPLOYER, roles=("consultant",)),
                                                   SearchCriteria(periods=week(), workplace=CONSTRUCTION_SITE),
                                                   Page()),
    "enterprise, 1 day": (Caller.enterprise_account(EMPLOYER, roles=("consultant",)),
                          SearchCriteria(periods=[(TODAY, TODAY)]), Page()),
    "back office, INSS x 7 days": (Caller.back_office(), SearchCriteria(periods=week(), inss=WORKER), Page()),
    "back office, remark CAW_01 x 7 days": (Caller.back_office(), SearchCriteria(
        periods=week(), remarks=[RemarkCode("CAW_01")]), Page()),
    "back office, remark CAW_01 or CAW_12 x 1 day": (Caller.back_office(), SearchCriteria(
        periods=[(TODAY, TODAY)], remarks=[RemarkCode("CAW_01"), RemarkCode("CAW_12")]), Page()),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_search_reads_the_table_in_id_order_to_find_its_page(crowded, case):
    caller, criteria, page = CASES[case]
    with statements(crowded.db) as sent:
        search_presences(crowded, caller, criteria, page)
    assert sent, "the search sent no statement for its page"
    for statement, parameters in sent:
        assert walks_the_primary_key(crowded.db, statement, parameters, *criteria.periods) == [], statement


def test_a_check_reads_only_the_month_of_its_registrations(crowded):
    """The check job of a registration names its date: loading and locking it read that month's partition alone,
    not the key index of every month of the 7 years."""
    from ...helpers import employee_today, register_one, run_checks

    register_one(crowded, employee_today(registration_date=TODAY))
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM registration" in statement and "registration.id" in statement:
            sent.append((statement, parameters))

    event.listen(crowded.db.engine, "before_cursor_execute", capture)
    try:
        assert run_checks(crowded) == 1
    finally:
        event.remove(crowded.db.engine, "before_cursor_execute", capture)
    assert sent
    month = f"registration_y{TODAY.year}m{TODAY.month:02d}"
    with crowded.db.engine.connect() as connection:
        for statement, parameters in sent:
            plan = plan_of(connection, statement, parameters)
            read = {node["Relation Name"] for node in scans(plan) if node.get("Relation Name", "").startswith(
                "registration_y")}
            assert read == {month}, statement
