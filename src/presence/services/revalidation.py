"""When a source changes (a late Dimona, an extended declaration ...), the registrations it concerns are
checked again. Importers call `on_imported` in the transaction of their import."""

from __future__ import annotations

from sqlalchemy import select

from ..db.batching import select_in
from ..db.models import Registration
from ..domain.statuses import Lifecycle
from ..jobs.queue import enqueue
from .registering import CHECK_JOB

JOB_SIZE = 200


def affected_registrations(session, keys) -> list[int]:
    live = Registration.lifecycle != str(Lifecycle.CANCELLED)
    ids: set[int] = set()
    for column, values in (
        (Registration.inss, keys.inss),
        (Registration.enterprise_number, keys.enterprises),
        (Registration.foreign_vat, keys.enterprises),
        (Registration.limosa_id, keys.limosa_ids),
        (Registration.workplace, keys.workplaces),
    ):
        if values:
            ids.update(row.id for row in select_in(session, select(Registration.id).where(live), column, values))
    return sorted(ids)


def on_imported(session, source: str, keys, clock) -> int:
    """Queue checks of every live registration the imported rows may concern. Returns how many."""
    ids = affected_registrations(session, keys)
    enqueue(session, CHECK_JOB,
            [{"ids": ids[i:i + JOB_SIZE], "trigger": f"source:{source}"} for i in range(0, len(ids), JOB_SIZE)],
            clock.now())
    return len(ids)
