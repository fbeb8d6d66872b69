"""One `Database` object per process: the engine, and sessions for reading and for writing.

SQLite (the embedded default) runs in WAL mode with foreign keys on; a writing transaction starts with
`BEGIN IMMEDIATE`, so concurrent writers queue on SQLite's lock instead of failing when a read transaction
tries to upgrade. PostgreSQL (production) keeps the registrations in monthly partitions (`db.partitions`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from . import partitions

_WRITE = "presence_write"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs; we drive PostgreSQL with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


POOL_SIZE = 20  # PostgreSQL connections kept per process (`presence serve --workers N`: N times this)


def create_db_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    # Statement parameters hold personal numbers: keep them out of exception messages (and so of logs).
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 10)
    # No pre-ping: it costs a round trip on every transaction. After a server restart, the first statement on
    # a stale connection fails once (that request or job is answered with an error, jobs are retried) and
    # SQLAlchemy then discards every pooled connection. Connections are renewed hourly anyway.
    kwargs.setdefault("pool_recycle", 3600)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own transaction handling would not
        # allow BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        immediate = connection.get_execution_options().get(_WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url, **engine_kwargs)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        self._writers = threading.RLock() if self.is_sqlite else None
        # Months whose partitions exist (PostgreSQL). A month stays until the purge drops it, 7 years after
        # anything could be written to it, so a month once seen needs no second look.
        self.months: set[date] = set()

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @property
    def is_postgresql(self) -> bool:
        return self.backend == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that changes things: committed at the end, rolled back on any error."""
        if self._writers is None:
            with self._write() as session, session.begin():
                yield session
            return
        # SQLite has one writer at a time. Threads of this process queue here, woken the moment the writer
        # before them is done, rather than in SQLite's busy handler, which polls with sleeps of up to 100 ms.
        with self._writers, self._write() as session, session.begin():
            yield session

    def ensure_months(self, days: Iterable[date]) -> None:
        """Make sure a registration of each of these days has its monthly partition (PostgreSQL, `db.partitions`);
        call it before storing registrations, outside their transaction. Nothing to do on SQLite."""
        if not self.is_postgresql:
            return
        months = {partitions.month_of(day) for day in days}
        if months <= self.months:
            return
        with self.engine.begin() as connection:
            self.months |= partitions.existing_months(connection)
            if not months <= self.months:
                partitions.create_months(connection, months)
        self.months |= months

    def drop_months_before(self, month: date) -> list[partitions.DroppedMonth]:
        """Drop the monthly partitions before `month`, each with its rows and their history, a month per
        transaction (PostgreSQL). Nothing on SQLite, whose registrations are deleted row by row."""
        if not self.is_postgresql:
            return []
        dropped = []
        with self.engine.connect() as connection:
            older = sorted(m for m in partitions.existing_months(connection) if m < month)
            connection.commit()
            for old in older:
                with connection.begin():
                    dropped.append(partitions.drop_month(connection, old))
        self.months -= {d.month for d in dropped}
        return dropped

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def describe(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)
