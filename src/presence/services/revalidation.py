"""Imports of the authentic sources. When a source changes (a late Dimona, an extended declaration ...), the
registrations it concerns are checked again; the import, its audit event and the queued checks commit
together."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..db.batching import select_in
from ..db.models import Registration
from ..domain.channels import Channel
from ..domain.statuses import Lifecycle
from ..domain.visibility import Caller
from ..jobs.queue import enqueue
from ..sources.importers import AffectedKeys, ImportReport, import_file
from . import audit
from .context import Registry
from .registering import CHECK_JOB

JOB_SIZE = 200


def affected_registrations(session, keys: AffectedKeys) -> list[int]:
    """The live registrations an import may change the remarks of."""
    live = select(Registration.id).where(Registration.lifecycle != str(Lifecycle.CANCELLED))
    ids: set[int] = set()
    for column, values in (
        (Registration.inss, keys.inss),
        (Registration.enterprise_number, keys.enterprises),
        (Registration.foreign_vat, keys.enterprises),
        (Registration.limosa_id, keys.limosa_ids),
        (Registration.workplace, keys.workplaces),
    ):
        if values:
            ids.update(row.id for row in select_in(session, live, column, values))
    if keys.people_at:
        candidates = select(Registration.id, Registration.inss, Registration.enterprise_number,
                            Registration.foreign_vat).where(Registration.lifecycle != str(Lifecycle.CANCELLED))
        for row in select_in(session, candidates, Registration.inss, {inss for inss, _ in keys.people_at}):
            if (row.inss, row.enterprise_number or row.foreign_vat) in keys.people_at:
                ids.add(row.id)
    return sorted(ids)


def queue_checks(session, source: str, keys: AffectedKeys, now) -> int:
    """Queue checks of every live registration the imported rows may concern. Returns how many."""
    ids = affected_registrations(session, keys)
    enqueue(session, CHECK_JOB,
            [{"ids": ids[i:i + JOB_SIZE], "trigger": f"source:{source}"} for i in range(0, len(ids), JOB_SIZE)],
            now)
    return len(ids)


def import_source(registry: Registry, caller: Caller, source: str, path: Path) -> ImportReport:
    """Import a file of an authentic source (see `sources.importers`), audited, and queue the checks it
    calls for. Raises `ImportRejected` when any row is rejected: then nothing changed."""
    now = registry.clock.now()

    def after_write(session, report: ImportReport) -> int:
        revalidated = queue_checks(session, report.source, report.keys, now)
        audit.record(session, caller, Channel.OPERATOR, "source.imported", "source", [], now,
                     {"source": report.source, "file": Path(report.file).name, "rows": report.accepted,
                      "revalidated": revalidated})
        return revalidated

    report = import_file(registry.db, source, path, registry.clock, after_write)
    registry.db.jobs_queued.set()
    return report
