"""The job queue as its operator sees it (`services.background`)."""

from __future__ import annotations

from sqlalchemy import select, update

from presence.db.models import AuditEvent
from presence.domain.visibility import Caller
from presence.jobs import queue
from presence.jobs.models import Job, JobState
from presence.services.background import dead_jobs, queue_summary, retry_dead_jobs


def _dead(runtime, count: int) -> list[int]:
    with runtime.db.writing() as session:
        queue.enqueue(session, "test", [{"n": n} for n in range(count + 1)], runtime.clock.now())
        ids = sorted(session.scalars(select(Job.id)))
        session.execute(update(Job).where(Job.id.in_(ids[:count])).values(
            state=JobState.DEAD, attempts=6, last_error="RuntimeError: the source is unreachable"))
    return ids[:count]


def test_dead_jobs_are_retried_with_an_audit_event(empty_runtime):
    runtime = empty_runtime
    ids = _dead(runtime, 2)
    assert [(job.id, job.last_error) for job in dead_jobs(runtime)] == [
        (job_id, "RuntimeError: the source is unreachable") for job_id in ids]
    assert queue_summary(runtime).counts == {JobState.READY: 1, JobState.DEAD: 2}

    assert retry_dead_jobs(runtime, Caller.operator()) == 2
    assert queue_summary(runtime).counts == {JobState.READY: 3}
    with runtime.db.reading() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "job.retried")).all()
    assert (event.subject_type, event.subject_ids, event.channel) == ("job", ids, "OPERATOR")
    assert event.actor_kind == "operator"


def test_no_dead_job_no_audit_event(empty_runtime):
    assert retry_dead_jobs(empty_runtime, Caller.operator()) == 0
    with empty_runtime.db.reading() as session:
        assert session.scalars(select(AuditEvent)).all() == []
