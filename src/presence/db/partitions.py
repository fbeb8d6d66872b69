"""Monthly partitions of the registrations and their history, on PostgreSQL.

`registration`, `validation` and `revision` are partitioned by range of the registration's date, one partition a
month (`registration_y2026m12`...), so that a search over some days reads one or two months' indexes and the
7-year purge drops whole months instead of deleting rows (migration 0008 made them). A month's partition must
exist before a registration of that month is stored: the worker and the purge create the coming months ahead,
and whatever writes registrations asks `Database.ensure_months` for the months it needs (an import of old
registrations, a correction of a date). SQLite keeps one table of each: none of this applies there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

# The registration first: the history's foreign keys refer to it. `registration_remark` is the index of remark
# codes by date (`db.remarks`).
TABLES = ("registration", "validation", "revision", "registration_remark")
MONTHS_AHEAD = 3  # months after the current one kept ready (registrations are made at most 35 days ahead)

_NAME = re.compile(r"^(registration|validation|revision|registration_remark)_y(\d{4})m(\d{2})$")
# Serialises creating and dropping partitions between processes (any constant of ours would do).
_LOCK = 0x70726573  # "pres"


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def coming_months(today: date) -> list[date]:
    """This month and the `MONTHS_AHEAD` after it: those kept ready before anything is registered in them."""
    months = [month_of(today)]
    while len(months) <= MONTHS_AHEAD:
        months.append(next_month(months[-1]))
    return months


def partition_name(table: str, month: date) -> str:
    return f"{table}_y{month.year}m{month.month:02d}"


def is_partition(table_name: str) -> bool:
    """Whether this table is one of the monthly partitions (for schema comparisons, which know the parents)."""
    return _NAME.match(table_name) is not None


def existing_months(connection: Connection) -> set[date]:
    """The months that have a partition of `registration`."""
    names = connection.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'registration'::regclass"))
    months = set()
    for name in names:
        match = _NAME.match(name)
        if match:
            months.add(date(int(match[2]), int(match[3]), 1))
    return months


def create_months(connection: Connection, months: Iterable[date], tables: Iterable[str] = TABLES) -> None:
    """Create the partitions of these months that do not exist yet, of each of `tables`. Run in the caller's
    transaction, which then holds a lock on the tables until it ends: keep it short."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    for month in sorted({month_of(m) for m in months}):
        for table in tables:
            connection.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {partition_name(table, month)} PARTITION OF {table} "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')")


@dataclass(frozen=True)
class DroppedMonth:
    month: date
    registrations: int


def drop_month(connection: Connection, month: date) -> DroppedMonth:
    """Drop the partitions of `month`, with their rows, history first. Run in the caller's transaction."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    registrations = connection.scalar(text(f"SELECT count(*) FROM {partition_name('registration', month)}"))
    for table in reversed(TABLES):
        name = partition_name(table, month)
        if table == "registration":
            # A partition others refer to is detached (which checks that nothing refers to its rows any more:
            # its history went first) before it can be dropped.
            connection.exec_driver_sql(f"ALTER TABLE registration DETACH PARTITION {name}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    return DroppedMonth(month, registrations)
