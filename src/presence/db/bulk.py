"""Bulk inserts on the driver's fastest path: PostgreSQL's COPY, SQLite's executemany.

The values still go through each column's SQLAlchemy type (our `UTCDateTime`, SQLite's date formats ...), so
what is stored is exactly what an ORM insert would store; only SQLAlchemy's per-statement bookkeeping is
skipped. Used where registrations arrive by the hundred.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import Session


def _processors(table: Table, names: list[str], dialect) -> list:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    # Only dates and instants have processors, and a batch repeats the same few (its creation instant):
    # convert each distinct value once.
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
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if dialect.name == "postgresql":
            columns = ", ".join(f'"{name}"' for name in names)
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in names)
            columns = ", ".join(f'"{name}"' for name in names)
            cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({placeholders})', values)
    finally:
        cursor.close()


def bulk_update(session: Session, table: Table, rows: list[dict], key: str = "id") -> None:
    """Set each row's values on the row of `table` whose `key` it names (dicts with the same keys).

    PostgreSQL: one `UPDATE ... FROM unnest(arrays)`. SQLite: an executemany, cheap in-process.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = [name for name in rows[0] if name != key]
    processors = _processors(table, [key, *names], dialect)
    columns = [[row[name] for row in rows] for name in (key, *names)]
    for values, process in zip(columns, processors, strict=True):
        if process is not None:
            values[:] = [None if v is None else process(v) for v in values]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if dialect.name == "postgresql":
            types = [table.c[name].type.dialect_impl(dialect).compile(dialect=dialect) for name in (key, *names)]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            assignments = ", ".join(f'"{name}" = v."{name}"' for name in names)
            aliases = ", ".join(f'"{name}"' for name in (key, *names))
            cursor.execute(f'UPDATE "{table.name}" AS t SET {assignments} FROM unnest({arrays}) AS v({aliases}) '
                           f'WHERE t."{key}" = v."{key}"', columns)
        else:
            assignments = ", ".join(f'"{name}" = ?' for name in names)
            cursor.executemany(f'UPDATE "{table.name}" SET {assignments} WHERE "{key}" = ?',
                               [(*values[1:], values[0]) for values in zip(*columns, strict=True)])
    finally:
        cursor.close()
