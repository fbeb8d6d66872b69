"""Time, injected: store UTC, compute Belgian dates in Europe/Brussels.

Services take a `Clock` so tests can freeze or move time; nothing else calls `datetime.now()`.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware instant")
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._at += delta


def belgian_date(instant: datetime) -> date:
    """The calendar date in Belgium at `instant`."""
    return instant.astimezone(BRUSSELS).date()


def belgian_today(clock: Clock) -> date:
    return belgian_date(clock.now())


def belgian_local(instant: datetime) -> datetime:
    """`instant` as Belgian wall-clock time (aware)."""
    return instant.astimezone(BRUSSELS)


def start_of_belgian_day(day: date) -> datetime:
    """The UTC instant at which `day` begins in Belgium."""
    return datetime(day.year, day.month, day.day, tzinfo=BRUSSELS).astimezone(UTC)
