"""Large IN lists, in pieces that every engine accepts."""

from __future__ import annotations

from collections.abc import Iterable

CHUNK = 900  # well under SQLite's bound-parameter limit, even for pairs


def chunked(values: Iterable, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def select_in(session, query, column, values) -> list:
    """The rows of `query` filtered by `column IN values`, fetched chunk by chunk."""
    rows = []
    for chunk in chunked(set(values)):
        rows.extend(session.execute(query.where(column.in_(chunk))).all())
    return rows
