"""Bulk inserts on the driver's fastest path: PostgreSQL's COPY (or one INSERT for a few rows), SQLite's
executemany.

The values still go through each column's SQLAlchemy type (our `UTCDateTime`, SQLite's date formats ...), so
what is stored is exactly what an ORM insert would store; only SQLAlchemy's per-statement bookkeeping is
skipped. Used where registrations arrive by the hundred, and for the few rows written with each change (audit
events, jobs), where that bookkeeping costs more than the database does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .batching import chunked

# Up to this many rows, PostgreSQL gets one plain INSERT: COPY takes extra round trips, worth it for more rows.
FEW_ROWS = 10


@lru_cache(maxsize=256)
def _processors(table: Table, names: tuple[str, ...], dialect) -> list:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def _values(table: Table, names: tuple[str, ...], rows: list[dict], dialect) -> list[list]:
    """The rows' values in the order of `names`, converted as SQLAlchemy would bind them."""
    # Only dates, instants and JSON documents have processors, and a batch repeats the same few instants (its
    # creation instant): convert each distinct value once.
    processed = [(i, p, {}) for i, p in enumerate(_processors(table, names, dialect)) if p is not None]
    values = []
    for row in rows:
        value = [row[name] for name in names]
        for i, process, seen in processed:
            raw = value[i]
            if raw is None:
                continue
            try:
                converted = seen.get(raw)
                if converted is None:
                    converted = seen[raw] = process(raw)
            except TypeError:  # unhashable (a JSON document): convert it as it is
                converted = process(raw)
            value[i] = converted
        values.append(value)
    return values


@lru_cache(maxsize=256)
def _insert_sql(table: Table, names: tuple[str, ...], placeholder: str, rows: int = 1) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    one = "(" + ", ".join(placeholder for _ in names) + ")"
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ' + ", ".join(one for _ in range(rows))


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = tuple(rows[0])
    values = _values(table, names, rows, dialect)
    postgresql = dialect.name == "postgresql"
    deferred = session.info.get(_DEFERRED)
    if postgresql and (len(rows) <= FEW_ROWS or deferred is not None):
        statement = _insert_sql(table, names, "%s", len(rows)), [v for row in values for v in row]
        if deferred is not None:
            deferred.append(statement)
        else:
            _execute(session, *statement)
        return
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if not postgresql:
            cursor.executemany(_insert_sql(table, names, "?"), values)
        else:
            columns = ", ".join(f'"{name}"' for name in names)
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
    finally:
        cursor.close()


def bulk_update(session: Session, table: Table, rows: list[dict], key: str = "id",
                partition_key: str | None = None) -> None:
    """Set each row's values on the row of `table` whose `key` it names (dicts with the same keys).

    `partition_key`: the column `table` is partitioned by (PostgreSQL), given in each row: matched too, and its
    values listed in the statement, so that only their partitions are read, not every partition's key index.

    PostgreSQL: one `UPDATE ... FROM unnest(arrays)`. SQLite: an executemany, cheap in-process.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = (key,) if partition_key is None else (key, partition_key)
    names = [name for name in rows[0] if name not in keys]
    processors = _processors(table, (*keys, *names), dialect)
    columns = [[row[name] for row in rows] for name in (*keys, *names)]
    for values, process in zip(columns, processors, strict=True):
        if process is not None:
            values[:] = [None if v is None else process(v) for v in values]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if dialect.name == "postgresql":
            types = [table.c[name].type.dialect_impl(dialect).compile(dialect=dialect) for name in (*keys, *names)]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            assignments = ", ".join(f'"{name}" = v."{name}"' for name in names)
            aliases = ", ".join(f'"{name}"' for name in (*keys, *names))
            matches = " AND ".join(f't."{name}" = v."{name}"' for name in keys)
            parameters = list(columns)
            if partition_key is not None:
                matches += f' AND t."{partition_key}" = ANY(%s::{types[1]}[])'
                parameters.append(sorted(set(columns[1])))
            cursor.execute(f'UPDATE "{table.name}" AS t SET {assignments} FROM unnest({arrays}) AS v({aliases}) '
                           f'WHERE {matches}', parameters)
        else:
            assignments = ", ".join(f'"{name}" = ?' for name in names)
            matches = " AND ".join(f'"{name}" = ?' for name in keys)
            cursor.executemany(f'UPDATE "{table.name}" SET {assignments} WHERE {matches}',
                               [(*values[len(keys):], *values[:len(keys)]) for values in zip(*columns, strict=True)])
    finally:
        cursor.close()


def insert_returning_ids(session: Session, table: Table, rows: list[dict], key: str = "id") -> list[int]:
    """PostgreSQL: insert `rows` (dicts with the same keys, without `key`), numbered by `key`'s sequence in
    the rows' order; their numbers, in that order. One round trip: one INSERT per row, in one pipeline, so
    that each row takes its number after the previous one did."""
    connection = session.connection()
    names = tuple(rows[0])
    values = _values(table, names, rows, connection.dialect)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        sql = _insert_sql(table, names, "%s") + f' RETURNING "{key}"'
        if len(rows) == 1:
            cursor.execute(sql, values[0])
            return [cursor.fetchone()[0]]
        cursor.executemany(sql, values, returning=True)
        ids = []
        while True:
            ids.append(cursor.fetchone()[0])
            if not cursor.nextset():
                return ids
    finally:
        cursor.close()


_DEFERRED = "presence.bulk.deferred"  # in Session.info: the statements of a `together` block


@contextmanager
def together(session: Session) -> Iterator[None]:
    """PostgreSQL: the `bulk_insert`s inside are sent when the block ends, as one statement (one round trip:
    each insert a data-modifying WITH of the last; meant for a few rows). Elsewhere they run at once. Nothing
    inside may expect to read what they insert."""
    if session.bind.dialect.name != "postgresql" or _DEFERRED in session.info:
        yield
        return
    deferred = session.info[_DEFERRED] = []
    try:
        yield
    finally:
        del session.info[_DEFERRED]
    if deferred:
        *first, (last, parameters) = deferred
        withs = ", ".join(f"d{i} AS ({sql})" for i, (sql, _) in enumerate(first))
        _execute(session, f"WITH {withs} {last}" if first else last,
                 [v for _, values in first for v in values] + parameters)


def _execute(session: Session, sql: str, parameters: list) -> None:
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, parameters)
    finally:
        cursor.close()


def _dialect(session: Session):
    """The SQLAlchemy dialect module whose `insert` knows this engine's ON CONFLICT."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def insert_new(session: Session, table: Table, values: dict, key: list[str]) -> bool:
    """Insert a row unless one with the same `key` columns is there (by any transaction: the unique key decides,
    on both engines); whether this call inserted it."""
    statement = _dialect(session).insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
    inserted = session.execute(statement.returning(*(table.c[name] for name in key))).first()
    return inserted is not None


def upsert(session: Session, table: Table, rows: list[dict], key: list[str], chunk: int = 1000) -> None:
    """Insert `rows` (dicts with the same keys), each updating the row with the same `key` columns if there is
    one, `chunk` rows a statement."""
    statement = _dialect(session).insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=key, set_={name: statement.excluded[name] for name in rows[0] if name not in key})
    for some in chunked(rows, chunk):
        session.execute(statement, some)

