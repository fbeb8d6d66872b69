"""The durable job queue: exactly-once effects, several workers, killed workers, retries, dead letters."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from presence.clock import FrozenClock, SystemClock
from presence.db.engine import Database
from presence.jobs import queue
from presence.jobs.models import Job, JobState
from presence.jobs.worker import Worker

from ..conftest import NOW

JOBS = 300


def _record_invocation(log_path: str, job_id: int, worker: str) -> None:
    """Record the call outside any transaction (an appended line): a handler run twice would show even if
    its transaction were rolled back."""
    with open(log_path, "a") as log:
        log.write(f"{job_id} {worker}\n")


def _invocations(log_path) -> list[tuple[int, str]]:
    if not os.path.exists(log_path):
        return []
    with open(log_path) as log:
        return [(int(job_id), worker) for job_id, worker in (line.split() for line in log)]


def _run_worker_process(url: str, log_path: str, name: str, lease_seconds: float, handler_sleep: float) -> None:
    db = Database(url)

    def probe(session, payload, job):
        _record_invocation(log_path, job.id, name)
        time.sleep(handler_sleep)

    worker = Worker(db, {"probe": probe}, SystemClock(), lease=timedelta(seconds=lease_seconds), batch=2, name=name)
    worker.run_until_idle()
    db.dispose()


def _spawn(target, *args) -> multiprocessing.Process:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


def test_two_worker_processes_share_the_queue_and_never_run_a_job_twice(db, tmp_path):
    log_path = str(tmp_path / "invocations")
    with db.writing() as session:
        queue.enqueue(session, "probe", [{"n": n} for n in range(JOBS)], SystemClock().now())
    workers = [_spawn(_run_worker_process, db.url, log_path, f"w{n}", 60.0, 0.002) for n in range(2)]
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    calls = _invocations(log_path)
    with db.reading() as session:
        states = session.scalars(select(Job.state)).all()
    assert len(calls) == JOBS
    assert len({job_id for job_id, _ in calls}) == JOBS  # never the same job twice
    assert states == [JobState.DONE] * JOBS
    if db.is_postgresql:
        # SKIP LOCKED lets both work at once rather than one after the other.
        assert {worker for _, worker in calls} == {"w0", "w1"}


def test_a_killed_worker_leaves_nothing_stuck(db, tmp_path):
    log_path = str(tmp_path / "invocations")
    with db.writing() as session:
        queue.enqueue(session, "probe", [{}], SystemClock().now())
    doomed = _spawn(_run_worker_process, db.url, log_path, "doomed", 2.0, 600.0)  # takes the job, then hangs inside it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _invocations(log_path):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the worker never started the job")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.join()

    with db.reading() as session:
        job = session.scalars(select(Job)).one()
    assert job.state == JobState.RUNNING  # claimed by the dead worker, lease still running

    done = []
    rescuer = Worker(db, {"probe": lambda session, payload, job: done.append(job.id)}, SystemClock(),
                     lease=timedelta(seconds=60))
    deadline = time.monotonic() + 30
    while not done and time.monotonic() < deadline:  # taken again once the 2 s lease has run out
        rescuer.run_once()
        time.sleep(0.1)
    with db.reading() as session:
        job = session.scalars(select(Job)).one()
    assert done == [job.id]
    assert job.state == JobState.DONE and job.attempts == 2


def test_failures_are_retried_with_backoff_then_buried(db):
    clock = FrozenClock(NOW)
    with db.writing() as session:
        queue.enqueue(session, "flaky", [{}], clock.now(), max_attempts=3)

    def flaky(session, payload, job):
        session.execute(text("CREATE TABLE should_roll_back (x INT)"))
        raise RuntimeError("the source is unreachable")

    worker = Worker(db, {"flaky": flaky}, clock)
    waits = []
    for _ in range(3):
        assert worker.run_once() == 1
        with db.reading() as session:
            job = session.scalars(select(Job)).one()
        waits.append(job.run_after - clock.now())
        assert worker.run_once() == 0  # not before its backoff
        clock.set(job.run_after)
    assert waits == [timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8)]
    assert job.state == JobState.DEAD and job.attempts == 3
    assert "the source is unreachable" in job.last_error
    with db.reading() as session:  # the failed attempts' effects were rolled back
        assert session.execute(text("SELECT count(*) FROM job")).scalar() == 1
    with pytest.raises(DBAPIError), db.reading() as session:
        session.execute(text("SELECT * FROM should_roll_back"))

    with db.writing() as session:
        assert queue.retry_dead(session, clock.now()) == 1
    worker.handlers["flaky"] = lambda session, payload, job: None
    assert worker.run_once() == 1
    with db.reading() as session:
        assert session.scalars(select(Job.state)).one() == JobState.DONE


def test_a_worker_that_lost_its_lease_cannot_finish_the_job(db):
    clock = FrozenClock(NOW)
    with db.writing() as session:
        queue.enqueue(session, "slow", [{}], clock.now())
    with db.writing() as session:
        [slow_claim] = queue.claim(session, clock.now(), timedelta(seconds=60))
    clock.advance(timedelta(seconds=61))
    with db.writing() as session:
        [new_claim] = queue.claim(session, clock.now(), timedelta(seconds=60))
    assert new_claim.id == slow_claim.id and new_claim.attempts == 2
    with db.writing() as session:
        assert queue.settle_done(session, slow_claim, clock.now()) is False
    with db.writing() as session:
        assert queue.settle_done(session, new_claim, clock.now()) is True


def test_unknown_job_kind_is_a_failure_not_a_crash(db):
    clock = FrozenClock(NOW)
    with db.writing() as session:
        queue.enqueue(session, "mystery", [{}], clock.now(), max_attempts=1)
    Worker(db, {}, clock).run_once()
    with db.reading() as session:
        job = session.scalars(select(Job)).one()
    assert job.state == JobState.DEAD and "no handler" in job.last_error


def test_a_job_whose_worker_dies_every_time_becomes_a_dead_letter(db):
    clock = FrozenClock(NOW)
    with db.writing() as session:
        queue.enqueue(session, "fatal", [{}], clock.now(), max_attempts=2)
    for _ in range(2):  # claimed, then the worker "dies": the lease runs out
        with db.writing() as session:
            assert len(queue.claim(session, clock.now(), timedelta(seconds=60))) == 1
        clock.advance(timedelta(seconds=61))
    with db.writing() as session:
        assert queue.claim(session, clock.now(), timedelta(seconds=60)) == []
    with db.reading() as session:
        job = session.scalars(select(Job)).one()
    assert job.state == JobState.DEAD and "died" in job.last_error


def test_each_job_outcome_is_one_log_line(db, caplog):
    """What an operator follows: done (with its time), retried (in how long), dead."""
    import logging

    clock = FrozenClock(NOW)
    with db.writing() as session:
        queue.enqueue(session, "fine", [{}], clock.now())
        queue.enqueue(session, "broken", [{}], clock.now(), max_attempts=2)
        ids = dict(session.execute(select(Job.kind, Job.id)).all())
    done_id, failing_id = ids["fine"], ids["broken"]

    def broken(session, payload, job):
        raise RuntimeError("person 85073003328 not found")

    worker = Worker(db, {"fine": lambda session, payload, job: None, "broken": broken}, clock, batch=1)
    with caplog.at_level(logging.INFO, logger="presence.jobs.worker"):
        worker.run_until_idle()
        clock.advance(timedelta(seconds=3))
        worker.run_until_idle()
    lines = [record.getMessage() for record in caplog.records if record.name == "presence.jobs.worker"]
    assert len(lines) == 3, lines
    assert any(re.fullmatch(rf"job {done_id} \(fine\) done in [0-9.]+ ms, attempt 1", line) for line in lines)
    assert f"job {failing_id} (broken) failed on attempt 1 of 2 (RuntimeError): retried in 2 s" in lines
    assert f"job {failing_id} (broken) failed on attempt 2 of 2 (RuntimeError): dead, for `presence jobs " \
           f"retry-dead`" in lines
    assert "85073003328" not in caplog.text


# --- jobs done together --------------------------------------------------------------------------------------

def _effects_table(db) -> None:
    with db.writing() as session:
        session.execute(text("CREATE TABLE effect (job_id BIGINT PRIMARY KEY)"))


def _effects(db) -> list[int]:
    with db.reading() as session:
        return sorted(session.execute(text("SELECT job_id FROM effect")).scalars())


def _apply(session, jobs) -> None:
    """A batch handler: each job's effect is a row (a second application would break the primary key)."""
    for job in jobs:
        if job.payload.get("poison"):
            raise RuntimeError("this job cannot be done")
        session.execute(text("INSERT INTO effect (job_id) VALUES (:id)"), {"id": job.id})


def test_a_poisoned_job_fails_alone_and_the_others_of_its_batch_are_done(db, caplog):
    import logging

    clock = FrozenClock(NOW)
    _effects_table(db)
    with db.writing() as session:
        queue.enqueue(session, "item", [{"ids": [n], "poison": n == 5} for n in range(10)], clock.now(),
                      max_attempts=2)
    calls = []

    def recording(session, jobs):
        calls.append([job.id for job in jobs])
        _apply(session, jobs)

    worker = Worker(db, {}, clock, batch_handlers={"item": recording})
    with caplog.at_level(logging.INFO, logger="presence.jobs.worker"):
        assert worker.run_once() == 10
    with db.reading() as session:
        jobs = {job.payload["ids"][0]: job for job in session.scalars(select(Job))}
    poisoned = jobs[5]
    assert len(calls) == 11 and len(calls[0]) == 10 and all(len(call) == 1 for call in calls[1:])
    assert _effects(db) == sorted(job.id for n, job in jobs.items() if n != 5)
    assert all(job.state == JobState.DONE and job.attempts == 1 for n, job in jobs.items() if n != 5)
    assert poisoned.state == JobState.READY and poisoned.attempts == 1 and "cannot be done" in poisoned.last_error
    assert "10 jobs (item) failed together (RuntimeError): each is tried again alone" in caplog.text

    clock.set(poisoned.run_after)
    calls.clear()
    assert worker.run_once() == 1
    assert calls == [[poisoned.id]]  # alone: the others are not held back, nor buried with it
    with db.reading() as session:
        assert session.get(Job, poisoned.id).state == JobState.DEAD
    assert len(_effects(db)) == 9


def test_jobs_done_together_share_one_transaction_and_one_log_line(db, caplog):
    import logging

    clock = FrozenClock(NOW)
    _effects_table(db)
    with db.writing() as session:
        queue.enqueue(session, "item", [{"ids": [n]} for n in range(30)], clock.now())
    worker = Worker(db, {}, clock, batch_handlers={"item": _apply})
    with caplog.at_level(logging.INFO, logger="presence.jobs.worker"):
        assert worker.run_until_idle() == 30
    lines = [r.getMessage() for r in caplog.records if r.name == "presence.jobs.worker"]
    assert len(lines) == 1 and re.fullmatch(r"jobs \d+-\d+ \(item\) done together in [0-9.]+ ms", lines[0])
    assert len(_effects(db)) == 30


def test_a_claim_takes_at_most_max_items_of_work_but_always_one_job(db):
    clock = FrozenClock(NOW)
    with db.writing() as session:
        queue.enqueue(session, "check", [{"ids": list(range(300))}] * 5 + [{"ids": list(range(2_000))}],
                      clock.now())
    sizes = []
    while True:
        with db.writing() as session:
            claims = queue.claim(session, clock.now(), timedelta(seconds=60), limit=100, max_items=1_000)
            if not claims:
                break
            sizes.append([len(c.payload["ids"]) for c in claims])
            assert queue.settle_all_done(session, claims, clock.now()) == {c.id for c in claims}
    assert sizes == [[300, 300, 300], [300, 300], [2_000]]


def _run_batch_worker_process(url: str, log_path: str, name: str, lease_seconds: float, pause: float) -> None:
    db = Database(url)

    def apply(session, jobs):
        for job in jobs:
            _record_invocation(log_path, job.id, name)
        time.sleep(pause)  # long enough for the other worker to start and take its share (600: hangs)
        _apply(session, jobs)

    Worker(db, {}, SystemClock(), lease=timedelta(seconds=lease_seconds), batch=25, max_items=25,
           batch_handlers={"item": apply}, name=name).run_until_idle()
    db.dispose()


def test_two_batch_workers_never_apply_a_job_twice(db, tmp_path):
    log_path = str(tmp_path / "invocations")
    _effects_table(db)
    with db.writing() as session:
        queue.enqueue(session, "item", [{"ids": [n]} for n in range(JOBS)], SystemClock().now())
    workers = [_spawn(_run_batch_worker_process, db.url, log_path, f"w{n}", 60.0, 0.2) for n in range(2)]
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    calls = _invocations(log_path)
    assert len(calls) == JOBS and len({job_id for job_id, _ in calls}) == JOBS
    assert len(_effects(db)) == JOBS
    if db.is_postgresql:
        assert {worker for _, worker in calls} == {"w0", "w1"}


def test_a_worker_killed_in_the_middle_of_a_batch_leaves_nothing_stuck_nor_applied_twice(db, tmp_path):
    log_path = str(tmp_path / "invocations")
    _effects_table(db)
    with db.writing() as session:
        queue.enqueue(session, "item", [{"ids": [n]} for n in range(40)], SystemClock().now())
    # It claims 25 jobs, then hangs inside their batch.
    doomed = _spawn(_run_batch_worker_process, db.url, log_path, "doomed", 2.0, 600.0)
    deadline = time.monotonic() + 60
    while not _invocations(log_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_invocations(log_path)) == 25, "the worker never started its batch"
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.join()
    assert _effects(db) == []  # nothing of the batch was committed

    rescuer = Worker(db, {}, SystemClock(), lease=timedelta(seconds=60), batch_handlers={"item": _apply})
    deadline = time.monotonic() + 30
    while len(_effects(db)) < 40 and time.monotonic() < deadline:  # the 25 once their 2 s lease ran out
        rescuer.run_once()
        time.sleep(0.1)
    with db.reading() as session:
        jobs = session.scalars(select(Job)).all()
    assert len(_effects(db)) == 40 and {job.state for job in jobs} == {JobState.DONE}
    assert sorted(job.attempts for job in jobs) == [1] * 15 + [2] * 25


def test_a_committed_enqueue_wakes_the_waiting_worker_and_a_rolled_back_one_does_not(db):
    clock = FrozenClock(NOW)
    woken = queue.jobs_queued(db.engine)
    woken.clear()
    with pytest.raises(RuntimeError), db.writing() as session:
        queue.enqueue(session, "test", [{}], clock.now())
        raise RuntimeError("rolled back")
    assert not woken.is_set()
    with db.writing() as session:
        queue.enqueue(session, "test", [{}], clock.now())
        assert not woken.is_set()  # not before the jobs can be seen
    assert woken.is_set()
    assert Worker(db, {}, clock).woken is woken


def test_jobs_get_the_attempts_of_the_settings(db, monkeypatch):
    monkeypatch.setenv("PRESENCE_JOB_MAX_ATTEMPTS", "2")
    with db.writing() as session:
        queue.enqueue(session, "test", [{}], FrozenClock(NOW).now())
    with db.reading() as session:
        assert session.scalars(select(Job.max_attempts)).one() == 2
