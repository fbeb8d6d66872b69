"""The registry's background work: the worker that runs the check jobs (and keeps partitions ready), and what an
operator does with the job queue (its state, its dead letters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..domain.channels import Channel
from ..domain.visibility import Caller
from ..jobs import queue
from ..jobs.models import Job, JobState
from ..jobs.queue import Claim
from ..jobs.worker import Worker
from . import audit
from .registrations.checking import check_registrations
from .registrations.registering import CHECK_JOB
from .retention import prepare_months
from .runtime import Runtime


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


def handlers(runtime: Runtime) -> dict:
    """The batch handlers: every kind of job is done many at a time."""
    def check(session, jobs: list[Claim]) -> None:
        now = runtime.clock.now()
        for c in checks_together(jobs):
            check_registrations(session, list(c.job_of), c.trigger, now, c.job_of, c.days)

    return {CHECK_JOB: check}


def make_worker(runtime: Runtime, **options) -> Worker:
    """The worker, which also keeps the coming months' partitions ready (`retention.prepare_months`)."""
    return Worker(runtime.db, {}, runtime.clock, batch_handlers=handlers(runtime),
                  chore=lambda: prepare_months(runtime), **options)


# --- the queue, for its operator --------------------------------------------------------------------------

def queue_summary(runtime: Runtime, states=queue.WATCHED) -> queue.Summary:
    """Jobs by state (among `states`), and how long the oldest ready job has waited (the check lag)."""
    with runtime.db.reading() as session:
        return queue.summary(session, runtime.clock.now(), states)


@dataclass(frozen=True)
class DeadJob:
    id: int
    kind: str
    attempts: int
    last_error: str | None  # personal numbers masked (`jobs.worker`)


def dead_jobs(runtime: Runtime, limit: int = 20) -> list[DeadJob]:
    """The oldest dead letters, with why they died."""
    with runtime.db.reading() as session:
        rows = session.execute(select(Job.id, Job.kind, Job.attempts, Job.last_error)
                               .where(Job.state == JobState.DEAD).order_by(Job.id).limit(limit)).all()
    return [DeadJob(*row) for row in rows]


def retry_dead_jobs(runtime: Runtime, caller: Caller, *, channel: str = Channel.OPERATOR) -> int:
    """Give every dead job a fresh set of attempts (after fixing what killed them), audited: how many."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        revived = queue.revive_dead(session, now)
        if revived:
            audit.record(session, caller, channel, "job.retried", "job", revived, now, {"jobs": len(revived)})
    return len(revived)

