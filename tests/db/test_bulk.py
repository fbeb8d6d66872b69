"""Bulk inserts: what they store is what an ORM insert would, whichever path (one INSERT, COPY, executemany)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from presence.db.bulk import FEW_ROWS, bulk_insert, bulk_update, insert_returning_ids, together
from presence.db.models import AuditEvent, Registration
from presence.jobs.models import Job

from ..conftest import TODAY
from ..helpers import employee_today, register_one

NOW = datetime(2026, 3, 3, 9, 30, 15, 123456, tzinfo=UTC)


def event(n: int) -> dict:
    return {"occurred_at": NOW, "actor_kind": "enterprise", "actor_id": f"actor {n}", "actor_enterprise": None,
            "channel": "rest", "action": "test.bulk", "subject_type": "thing", "subject_ids": [n, n + 1],
            "details": {"n": n, "text": "ça va"}}


def job(n: int) -> dict:
    return {"kind": "test", "payload": {"n": n}, "state": "ready", "attempts": 0, "max_attempts": 6,
            "run_after": NOW, "created_at": NOW}


def stored_events(db) -> list[tuple]:
    with db.reading() as session:
        return [tuple(row) for row in session.execute(
            select(AuditEvent.actor_id, AuditEvent.occurred_at, AuditEvent.subject_ids, AuditEvent.details,
                   AuditEvent.actor_enterprise).order_by(AuditEvent.id))]


@pytest.mark.parametrize("size", [1, FEW_ROWS, FEW_ROWS + 1, 50])
def test_every_path_stores_the_same_values(db, size):
    with db.writing() as session:
        bulk_insert(session, AuditEvent.__table__, [event(n) for n in range(size)])
    assert stored_events(db) == [(f"actor {n}", NOW, [n, n + 1], {"n": n, "text": "ça va"}, None)
                                 for n in range(size)]


@pytest.mark.parametrize("size", [1, 3, FEW_ROWS])
def test_returned_ids_are_increasing_and_in_the_rows_order(db, size):
    if not db.is_postgresql:
        pytest.skip("PostgreSQL numbers rows as it inserts them; SQLite's ids are taken first")
    with db.writing() as session:
        ids = insert_returning_ids(session, AuditEvent.__table__, [event(n) for n in range(size)])
    assert ids == sorted(set(ids)) and len(ids) == size
    with db.reading() as session:
        actors = dict(session.execute(select(AuditEvent.id, AuditEvent.actor_id)).all())
    assert [actors[i] for i in ids] == [f"actor {n}" for n in range(size)]


def test_inserts_together_are_one_statement_sent_when_the_block_ends(db):
    with db.writing() as session:
        with together(session):
            bulk_insert(session, AuditEvent.__table__, [event(1)])
            bulk_insert(session, Job.__table__, [job(1), job(2)])
            if db.is_postgresql:  # not sent yet
                assert session.scalar(select(func.count()).select_from(Job)) == 0
        assert session.scalar(select(func.count()).select_from(Job)) == 2
    assert [row[0] for row in stored_events(db)] == ["actor 1"]


def test_a_failing_block_sends_nothing(db):
    with pytest.raises(RuntimeError), db.writing() as session, together(session):
        bulk_insert(session, AuditEvent.__table__, [event(1)])
        raise RuntimeError("interrupted")
    assert stored_events(db) == []


def test_an_update_by_id_and_partition_key_changes_the_rows_it_names_and_no_other(runtime):
    """The check's update of registrations: matched by receipt number and date (on PostgreSQL, only those
    months' partitions are read); a row named with another date than its own is left as it was."""
    today = register_one(runtime, employee_today(registration_date=TODAY))
    tomorrow = register_one(runtime, employee_today(registration_date=TODAY + timedelta(days=1)))
    with runtime.db.reading() as session:
        dates = dict(session.execute(select(Registration.id, Registration.registration_date)).all())
    with runtime.db.writing() as session:
        bulk_update(session, Registration.__table__, [
            {"id": today, "registration_date": dates[today], "remark_codes": "CAW_01", "validity": "invalid"},
            {"id": tomorrow, "registration_date": dates[today], "remark_codes": "CAW_12", "validity": "invalid"},
        ], partition_key="registration_date")
    with runtime.db.reading() as session:
        stored = dict(session.execute(select(Registration.id, Registration.remark_codes)).all())
    assert stored[today] == "CAW_01" and stored[tomorrow] == ""
