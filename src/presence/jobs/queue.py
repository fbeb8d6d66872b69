"""Putting jobs on the queue, claiming them, and settling them.

Claiming takes the oldest ready jobs (and those whose lease ran out: their worker died) and marks them
running for a lease. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so any number of workers on any
number of machines share the queue without waiting on each other; on SQLite the writing transaction holds
the database's single write lock (`BEGIN IMMEDIATE`), which serialises claims.

A job's effects commit in the same transaction as its `done` mark, and that transaction first re-checks the
claim token: a worker that lost its lease (too slow, taken over) cannot finish the job a second time. Jobs
claimed together share one claim token and may be settled together (`settle_all_done`), each still only by the
worker that holds its claim.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, event, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from ..config import get_settings
from ..db.bulk import bulk_insert
from ..db.locking import for_update
from .models import Job, JobState

_QUEUED = "presence.jobs_queued"  # in Session.info: this transaction queued jobs
_SIGNALS: weakref.WeakKeyDictionary[Pool, threading.Event] = weakref.WeakKeyDictionary()
_SIGNALS_LOCK = threading.Lock()


def jobs_queued(engine: Engine) -> threading.Event:
    """Set when a transaction of this process that queued jobs in this database commits, so that a worker of the
    process waiting for jobs wakes at once (others find them at their next poll)."""
    with _SIGNALS_LOCK:  # keyed by the pool, which the engine shares with its copies (`execution_options`)
        return _SIGNALS.setdefault(engine.pool, threading.Event())


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    if session.info.pop(_QUEUED, False):
        jobs_queued(session.get_bind()).set()


def enqueue(session: Session, kind: str, payloads: list[dict], now: datetime,
            max_attempts: int | None = None) -> None:
    """Queue a job per payload, in the session's transaction; once it commits, a worker waiting in this process
    wakes. `max_attempts`: before the job is buried as a dead letter (default: the setting `job_max_attempts`)."""
    if not payloads:
        return
    session.info[_QUEUED] = True
    max_attempts = max_attempts or get_settings().job_max_attempts
    bulk_insert(
        session,
        Job.__table__,
        [
            {"kind": kind, "payload": payload, "state": JobState.READY, "attempts": 0,
             "max_attempts": max_attempts, "run_after": now, "created_at": now}
            for payload in payloads
        ],
    )


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    payload: dict
    attempts: int  # including this one
    max_attempts: int
    token: str


def claim(session: Session, now: datetime, lease: timedelta, limit: int = 1,
          max_items: int | None = None) -> list[Claim]:
    """Claim up to `limit` jobs, the oldest first, and no more than `max_items` items of work in all (the `ids` of
    their payloads; at least one job whatever its size); commit the session right after, before doing the work.

    Two statements however many jobs: one to read (and, on PostgreSQL, lock) them, one to mark them running."""
    claimable = or_(
        and_(Job.state == JobState.READY, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_until < now),
    )
    query = select(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.state).where(claimable)
    query = query.order_by(Job.id).limit(limit)
    query = for_update(session, query, skip_locked=True)
    rows, items = [], 0
    for row in session.execute(query):
        items += len(row.payload.get("ids", ())) if isinstance(row.payload, dict) else 0
        if rows and max_items is not None and items > max_items:
            break
        rows.append(row)
    # A job whose worker died on every attempt (killed, out of memory ...) is a dead letter, not another try.
    dead = {row.id for row in rows if row.state == JobState.RUNNING and row.attempts >= row.max_attempts}
    if dead:
        session.execute(update(Job).where(Job.id.in_(dead)).values(
            state=JobState.DEAD, lease_until=None, claim_token=None, finished_at=now,
            last_error="the worker died during every attempt (lease ran out)"))
    live = [row for row in rows if row.id not in dead]
    if not live:
        return []
    token = uuid.uuid4().hex
    session.execute(update(Job).where(Job.id.in_([row.id for row in live])).values(
        state=JobState.RUNNING, attempts=Job.attempts + 1, lease_until=now + lease, claim_token=token))
    return [Claim(row.id, row.kind, row.payload, row.attempts + 1, row.max_attempts, token) for row in live]


def settle_done(session: Session, job: Claim, now: datetime) -> bool:
    """Mark the job done, in the transaction that holds its effects. False: the claim was lost, roll back.

    On PostgreSQL this update also locks the row until commit, so nobody can reclaim it meanwhile.
    """
    return job.id in settle_all_done(session, [job], now)


def settle_all_done(session: Session, jobs: list[Claim], now: datetime) -> set[int]:
    """Mark these jobs done, in the transaction that holds their effects: the ids of those whose claim this
    worker still holds (do the work of those only; the others were taken over, their lease having run out)."""
    tokens = {job.token for job in jobs}
    marked = session.execute(
        update(Job)
        .where(Job.id.in_([job.id for job in jobs]), Job.claim_token.in_(tokens), Job.state == JobState.RUNNING)
        .values(state=JobState.DONE, finished_at=now, lease_until=None, last_error=None)
        .returning(Job.id)
    ).scalars().all()
    return set(marked)


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds, at most 10 minutes."""
    return timedelta(seconds=min(2 ** attempts, 600))


def settle_failed(session: Session, job: Claim, now: datetime, error: str) -> str:
    """Retry later, or bury the job when it has had all its attempts. Returns the new state."""
    state = JobState.DEAD if job.attempts >= job.max_attempts else JobState.READY
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.claim_token == job.token)
        .values(state=state, run_after=now + backoff(job.attempts), lease_until=None, claim_token=None,
                last_error=error[:4000], finished_at=now if state == JobState.DEAD else None)
    )
    return state


@dataclass(frozen=True)
class Summary:
    counts: dict[str, int]  # jobs by state
    oldest_ready_age: float | None  # seconds since the oldest job that is ready to run was queued: the lag

    def as_json(self) -> dict:
        return {**{state: self.counts.get(state, 0) for state in WATCHED},
                "oldest_ready_seconds": None if self.oldest_ready_age is None else round(self.oldest_ready_age, 3)}


WATCHED = (JobState.READY, JobState.RUNNING, JobState.DEAD)  # what /health tells
ALL_STATES = (JobState.READY, JobState.RUNNING, JobState.DONE, JobState.DEAD)


def summary(session: Session, now: datetime, states=WATCHED) -> Summary:
    """What an operator watches: jobs by state (among `states`), and how long the oldest ready one has waited
    (the check lag: registrations wait that long for their remarks)."""
    counts = dict(session.execute(select(Job.state, func.count()).where(Job.state.in_(states))
                                  .group_by(Job.state)).all())
    oldest = session.scalar(select(func.min(Job.created_at)).where(Job.state == JobState.READY,
                                                                    Job.run_after <= now))
    return Summary(counts, None if oldest is None else max(0.0, (now - oldest).total_seconds()))


def retry_dead(session: Session, now: datetime, job_ids: list[int] | None = None) -> int:
    """Give dead jobs a fresh set of attempts (an operator's decision, after fixing the cause): how many."""
    return len(revive_dead(session, now, job_ids))


def revive_dead(session: Session, now: datetime, job_ids: list[int] | None = None) -> list[int]:
    """`retry_dead`, answering the ids of the jobs given a fresh set of attempts."""
    query = update(Job).where(Job.state == JobState.DEAD)
    if job_ids:
        query = query.where(Job.id.in_(job_ids))
    revived = session.execute(query.values(state=JobState.READY, attempts=0, run_after=now, finished_at=None)
                              .returning(Job.id)).scalars().all()
    if revived:
        session.info[_QUEUED] = True
    return sorted(revived)
