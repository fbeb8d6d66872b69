"""Row locks, where an engine needs them."""

from __future__ import annotations

from sqlalchemy import Select
from sqlalchemy.orm import Session


def for_update(session: Session, query: Select, *, of=None, skip_locked: bool = False) -> Select:
    """`query` locking the rows it reads until the transaction ends (`of`: only those of this table;
    `skip_locked`: leave the rows others hold) on PostgreSQL. SQLite's writing transactions already hold the
    database's single write lock (`BEGIN IMMEDIATE`): the query as it is."""
    if session.get_bind().dialect.name != "postgresql":
        return query
    return query.with_for_update(of=of, skip_locked=skip_locked)
