"""Conditions on large sets of values, in the form each engine handles best.

PostgreSQL gets one array parameter (`column = ANY(:values)`): the query text stays the same whatever the
number of values, so psycopg prepares it once. SQLite gets `IN (...)` lists, in chunks under its
bound-parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from sqlalchemy import any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

CHUNK = 900


def chunked(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    """`values` in lists of `size` (the last one shorter), taken from `values` only as they are needed."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _is_postgresql(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def plan_with_actual_values(session) -> None:
    """For the rest of this transaction, plan each query with its actual values on PostgreSQL.

    psycopg prepares statements it sees repeatedly, and PostgreSQL then switches to a generic plan, which
    cannot see how many values an `= ANY(:array)` holds and may scan a whole table instead of its index.
    """
    if _is_postgresql(session):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def in_values(session, column, values: Iterable):
    """`column IN values`, as conditions to OR together (one on PostgreSQL, one per chunk elsewhere)."""
    values = list(set(values))
    if _is_postgresql(session):
        return [column == any_(bindparam(None, values, type_=ARRAY(column.type), unique=True))]
    return [column.in_(chunk) for chunk in chunked(values)]


def select_in(session, query, column, values: Iterable) -> list:
    """The rows of `query` filtered by `column IN values`."""
    rows = []
    for condition in in_values(session, column, values):
        rows.extend(session.execute(query.where(condition)).all())
    return rows
