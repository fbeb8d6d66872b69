"""What a serving process read from the database a moment ago, believed for a few seconds without asking again.

Used for facts that every request needs and that change only when channel management revokes something (a
bearer token's grant, a certificate's registration). The price is the bound: a revocation made through another
process reaches this one at most `ttl` seconds later. Kept per database, since one process may open several
(the tests do).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from ...db.engine import Database

V = TypeVar("V")


class Recent(Generic[V]):
    MAX_ENTRIES = 10_000  # per database; beyond that, start afresh

    def __init__(self, ttl: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.timer = timer
        self._lock = threading.Lock()
        self._by_db: weakref.WeakKeyDictionary[Database, dict[str, tuple[float, V]]] = weakref.WeakKeyDictionary()

    def get(self, db: Database, key: str) -> V | None:
        """The value put less than `ttl` seconds ago, else None."""
        with self._lock:
            entry = self._by_db.get(db, {}).get(key)
        if entry is None or self.timer() - entry[0] >= self.ttl:
            return None
        return entry[1]

    def put(self, db: Database, key: str, value: V) -> None:
        with self._lock:
            entries = self._by_db.setdefault(db, {})
            if len(entries) >= self.MAX_ENTRIES:
                entries.clear()
            entries[key] = (self.timer(), value)

    def forget(self, db: Database) -> None:
        """After a revocation through this process: believe nothing read before it."""
        with self._lock:
            self._by_db.pop(db, None)
