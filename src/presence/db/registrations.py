"""Storing new registrations under their receipt numbers, the fastest way each engine allows."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from .bulk import FEW_ROWS, bulk_insert, insert_returning_ids
from .models import Registration


def insert_registrations(session: Session, rows: list[dict]) -> list[int]:
    """Store the rows, numbered in their order (each row gets its "id"); their receipt numbers."""
    # A few rows on PostgreSQL: the sequence numbers them as they are inserted, in the same round trip.
    returning = session.get_bind().dialect.name == "postgresql" and len(rows) <= FEW_ROWS
    table = Registration.__table__
    ids = insert_returning_ids(session, table, rows) if returning else allocate_ids(session, len(rows))
    for new_id, row in zip(ids, rows, strict=True):
        row["id"] = new_id
    if not returning:
        bulk_insert(session, table, rows)
    return ids


def allocate_ids(session: Session, count: int) -> list[int]:
    """Take `count` receipt numbers, increasing, never reused.

    PostgreSQL: from the table's sequence. SQLite: after the highest ever given (AUTOINCREMENT keeps it in
    sqlite_sequence); the writing transaction holds SQLite's write lock, so nobody else takes them meanwhile.
    """
    if session.get_bind().dialect.name == "postgresql":
        return sorted(session.scalars(text("SELECT nextval('registration_id_seq') FROM generate_series(1, :n)"),
                                      {"n": count}))
    last = session.scalar(text(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'registration'), 0), "
        "coalesce((SELECT max(id) FROM registration), 0))"))
    return list(range(last + 1, last + 1 + count))
