"""Putting jobs on the queue, claiming them, and settling them.

Claiming takes the oldest ready jobs (and those whose lease ran out: their worker died) and marks them
running for a lease. On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so any number of workers on any
number of machines share the queue without waiting on each other; on SQLite the writing transaction holds
the database's single write lock (`BEGIN IMMEDIATE`), which serialises claims.

A job's effects commit in the same transaction as its `done` mark, and that transaction first re-checks the
claim token: a worker that lost its lease (too slow, taken over) cannot finish the job a second time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..db.bulk import bulk_insert
from .models import Job, JobState


def enqueue(session: Session, kind: str, payloads: list[dict], now: datetime, max_attempts: int = 6) -> None:
    if not payloads:
        return
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


def claim(session: Session, now: datetime, lease: timedelta, limit: int = 1) -> list[Claim]:
    """Claim up to `limit` jobs; commit the session right after, before doing the work."""
    claimable = or_(
        and_(Job.state == JobState.READY, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_until < now),
    )
    query = select(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.state).where(claimable)
    query = query.order_by(Job.id).limit(limit)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).all()
    claims = []
    for row in rows:
        if row.state == JobState.RUNNING and row.attempts >= row.max_attempts:
            # Its worker died on every attempt (killed, out of memory ...): a dead letter, not another try.
            session.execute(update(Job).where(Job.id == row.id).values(
                state=JobState.DEAD, lease_until=None, claim_token=None, finished_at=now,
                last_error="the worker died during every attempt (lease ran out)"))
            continue
        token = uuid.uuid4().hex
        session.execute(
            update(Job)
            .where(Job.id == row.id)
            .values(state=JobState.RUNNING, attempts=row.attempts + 1, lease_until=now + lease, claim_token=token)
        )
        claims.append(Claim(row.id, row.kind, row.payload, row.attempts + 1, row.max_attempts, token))
    return claims


def settle_done(session: Session, job: Claim, now: datetime) -> bool:
    """Mark the job done, in the transaction that holds its effects. False: the claim was lost, roll back.

    On PostgreSQL this update also locks the row until commit, so nobody can reclaim it meanwhile.
    """
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.claim_token == job.token, Job.state == JobState.RUNNING)
        .values(state=JobState.DONE, finished_at=now, lease_until=None, last_error=None)
    )
    return result.rowcount == 1


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


def retry_dead(session: Session, now: datetime, job_ids: list[int] | None = None) -> int:
    """Give dead jobs a fresh set of attempts (an operator's decision, after fixing the cause)."""
    query = update(Job).where(Job.state == JobState.DEAD)
    if job_ids:
        query = query.where(Job.id.in_(job_ids))
    result = session.execute(query.values(state=JobState.READY, attempts=0, run_after=now, finished_at=None))
    return result.rowcount
