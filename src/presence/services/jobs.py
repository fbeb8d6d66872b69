"""The job handlers of the registry, by job kind."""

from __future__ import annotations

from ..jobs.queue import Claim
from ..jobs.worker import Worker
from .checking import check_registrations
from .context import Registry
from .registering import CHECK_JOB
from .retention import prepare_months


def checks_together(jobs: list[Claim]) -> list[tuple[str, dict[int, int]]]:
    """Check jobs claimed together, as checks to run in one transaction: (trigger, {registration id: its job})
    each. One check per trigger (the history records it), and a registration in two jobs is checked once per
    job, as if each job ran alone: the second goes to a later check."""
    checks: list[tuple[str, dict[int, int]]] = []
    for job in jobs:
        trigger = job.payload.get("trigger", "registration")
        ids = job.payload["ids"]
        for check_trigger, job_of in checks:
            if check_trigger == trigger and job_of.keys().isdisjoint(ids):
                break
        else:
            job_of = {}
            checks.append((trigger, job_of))
        job_of.update(dict.fromkeys(ids, job.id))
    return checks


def handlers(registry: Registry) -> dict:
    """The batch handlers: every kind of job is done many at a time."""
    def check(session, jobs: list[Claim]) -> None:
        now = registry.clock.now()
        for trigger, job_of in checks_together(jobs):
            check_registrations(session, list(job_of), trigger, now, job_of)

    return {CHECK_JOB: check}


def make_worker(registry: Registry, **options) -> Worker:
    """The worker, which also keeps the coming months' partitions ready (`retention.prepare_months`)."""
    return Worker(registry.db, {}, registry.clock, batch_handlers=handlers(registry),
                  chore=lambda: prepare_months(registry), **options)
