"""The job handlers of the registry, by job kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..jobs.queue import Claim
from ..jobs.worker import Worker
from .checking import check_registrations
from .context import Registry
from .registering import CHECK_JOB
from .retention import prepare_months


@dataclass
class Check:
    """Check jobs run as one check: their trigger, the job of each registration, their registration dates (None
    when a job did not say)."""

    trigger: str
    job_of: dict[int, int] = field(default_factory=dict)
    days: set[date] | None = field(default_factory=set)


def checks_together(jobs: list[Claim]) -> list[Check]:
    """Check jobs claimed together, as checks to run in one transaction. One check per trigger (the history
    records it), and a registration in two jobs is checked once per job, as if each job ran alone: the second
    goes to a later check."""
    checks: list[Check] = []
    for job in jobs:
        trigger = job.payload.get("trigger", "registration")
        ids = job.payload["ids"]
        for check in checks:
            if check.trigger == trigger and check.job_of.keys().isdisjoint(ids):
                break
        else:
            check = Check(trigger)
            checks.append(check)
        check.job_of.update(dict.fromkeys(ids, job.id))
        days = job.payload.get("days")
        check.days = None if days is None or check.days is None else check.days | set(map(date.fromisoformat, days))
    return checks


def handlers(registry: Registry) -> dict:
    """The batch handlers: every kind of job is done many at a time."""
    def check(session, jobs: list[Claim]) -> None:
        now = registry.clock.now()
        for c in checks_together(jobs):
            check_registrations(session, list(c.job_of), c.trigger, now, c.job_of, c.days)

    return {CHECK_JOB: check}


def make_worker(registry: Registry, **options) -> Worker:
    """The worker, which also keeps the coming months' partitions ready (`retention.prepare_months`)."""
    return Worker(registry.db, {}, registry.clock, batch_handlers=handlers(registry),
                  chore=lambda: prepare_months(registry), **options)
