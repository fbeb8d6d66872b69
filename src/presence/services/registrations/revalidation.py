"""Imports of the authentic sources. When a source changes (a late Dimona, an extended declaration ...), the
registrations it concerns are checked again; the import, its audit event and the queued checks commit
together."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from ...db.batching import select_in
from ...db.models import Registration
from ...domain.channels import Channel
from ...domain.statuses import Lifecycle
from ...domain.visibility import Caller
from ...jobs.queue import enqueue
from ...sources.importers import AffectedKeys, ImportReport, import_file
from .. import audit
from ..runtime import Runtime
from .registering import CHECK_JOB, check_payload

JOB_SIZE = 200


def affected_registrations(session, keys: AffectedKeys) -> dict[int, date]:
    """The live registrations an import may change the remarks of, in id order, with their dates."""
    live = select(Registration.id, Registration.registration_date).where(
        Registration.lifecycle != str(Lifecycle.CANCELLED))
    ids: dict[int, date] = {}
    for column, values in (
        (Registration.inss, keys.inss),
        (Registration.enterprise_number, keys.enterprises),
        (Registration.foreign_vat, keys.enterprises),
        (Registration.limosa_id, keys.limosa_ids),
        (Registration.workplace, keys.workplaces),
    ):
        if values:
            ids.update((row.id, row.registration_date) for row in select_in(session, live, column, values))
    if keys.people_at:
        candidates = live.add_columns(Registration.inss, Registration.enterprise_number, Registration.foreign_vat)
        for row in select_in(session, candidates, Registration.inss, {inss for inss, _ in keys.people_at}):
            if (row.inss, row.enterprise_number or row.foreign_vat) in keys.people_at:
                ids[row.id] = row.registration_date
    return dict(sorted(ids.items()))


def queue_checks(session, source: str, keys: AffectedKeys, now) -> int:
    """Queue checks of every live registration the imported rows may concern. Returns how many."""
    dates = affected_registrations(session, keys)
    ids = list(dates)
    enqueue(session, CHECK_JOB, [
        check_payload(ids[i:i + JOB_SIZE], f"source:{source}", (dates[id_] for id_ in ids[i:i + JOB_SIZE]))
        for i in range(0, len(ids), JOB_SIZE)], now)
    return len(ids)


def import_source(runtime: Runtime, caller: Caller, source: str, path: Path) -> ImportReport:
    """Import a file of an authentic source (see `sources.importers`), audited, and queue the checks it
    calls for. Raises `ImportRejected` when any row is rejected: then nothing changed."""
    now = runtime.clock.now()

    def after_write(session, report: ImportReport) -> int:
        revalidated = queue_checks(session, report.source, report.keys, now)
        audit.record(session, caller, Channel.OPERATOR, "source.imported", "source", [], now,
                     {"source": report.source, "file": Path(report.file).name, "rows": report.accepted,
                      "revalidated": revalidated})
        return revalidated

    report = import_file(runtime.db, source, path, runtime.clock, after_write)
    return report
