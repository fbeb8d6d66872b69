"""The worker: claims jobs and runs their handlers.

A kind of job with a batch handler (the checks) is done many jobs at a time: the jobs claimed together, up to
`max_items` items of work, are handed to the handler at once and settled in one transaction, so that a stream
of one-registration jobs costs a transaction per batch, not per registration. If that transaction fails, each of
its jobs is tried again alone, at once, in a transaction of its own: the job that made the batch fail fails
alone (retried later, or buried), the others are done. Other kinds run one job per transaction.

`presence worker` runs one as a process; `presence serve` runs one in a thread of the web process so the
embedded registry needs a single command.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from ..clock import Clock
from ..db.engine import Database
from ..logs import mask_personal_numbers
from . import queue

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict, "queue.Claim"], None]  # one job
BatchHandler = Callable[[Session, list["queue.Claim"]], None]  # the jobs of one kind claimed together

# A batch's work in one transaction: short enough to hold its locks briefly (a few hundred milliseconds of
# checks), long enough that a transaction's fixed cost is shared by many registrations.
MAX_ITEMS = 1_000


class Worker:
    def __init__(self, db: Database, handlers: dict[str, Handler], clock: Clock,
                 lease: timedelta = timedelta(seconds=60), poll_interval: float = 0.5, batch: int = 500,
                 name: str | None = None, batch_handlers: dict[str, BatchHandler] | None = None,
                 max_items: int = MAX_ITEMS, chore: Callable[[], None] | None = None,
                 chore_every: timedelta = timedelta(hours=1)) -> None:
        """`batch`: jobs claimed at a time; `max_items`: at most so many items of work (payload `ids`) in them;
        `chore`: housekeeping run when the worker starts, then every `chore_every`."""
        self.db = db
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
        self.clock = clock
        self.lease = lease
        self.poll_interval = poll_interval
        self.batch = batch
        self.max_items = max_items
        self.chore = chore
        self.chore_every = chore_every
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.stopping = threading.Event()
        self.woken = queue.jobs_queued(db.engine)

    def run_once(self) -> int:
        """Claim what is ready and process it. Returns the number of jobs handled (done or failed)."""
        with self.db.writing() as session:
            claims = queue.claim(session, self.clock.now(), self.lease, self.batch, self.max_items)
        by_kind: dict[str, list[queue.Claim]] = {}
        for job in claims:
            by_kind.setdefault(job.kind, []).append(job)
        for kind, jobs in by_kind.items():
            if kind in self.batch_handlers and len(jobs) > 1:
                self._guarded(self._process_together, jobs)
            else:
                for job in jobs:
                    self._guarded(self._process, job)
        return len(claims)

    def _guarded(self, process, work) -> None:
        try:
            process(work)
        except Exception:  # recording the failure failed too (database gone): the lease will free the jobs
            jobs = work if isinstance(work, list) else [work]
            log.exception("job(s) %s (%s) left to their lease", _ids(jobs), jobs[0].kind)

    def run_until_idle(self, max_rounds: int = 10_000) -> int:
        """Process until nothing is ready (tests, `presence worker --until-idle`)."""
        total = 0
        for _ in range(max_rounds):
            handled = self.run_once()
            if handled == 0:
                break
            total += handled
        return total

    def run_forever(self) -> None:
        log.info("worker %s started", self.name)
        chore_due = time.monotonic()
        while not self.stopping.is_set():
            if self.chore is not None and time.monotonic() >= chore_due:
                chore_due = time.monotonic() + self.chore_every.total_seconds()
                try:
                    self.chore()
                except Exception:  # tried again next time
                    log.exception("worker %s: housekeeping failed", self.name)
            try:
                handled = self.run_once()
            except Exception:  # the database went away: wait, then try again
                log.exception("worker %s could not claim jobs", self.name)
                handled = 0
            if handled == 0:
                self.woken.wait(self.poll_interval)
                self.woken.clear()
        log.info("worker %s stopped", self.name)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="presence-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
        self.woken.set()

    def _process_together(self, jobs: list[queue.Claim]) -> None:
        """Jobs of one kind in one transaction, by its batch handler; on failure, each alone (`_process`)."""
        started = time.perf_counter()
        try:
            with self.db.writing() as session:
                held = queue.settle_all_done(session, jobs, self.clock.now())
                lost = [job for job in jobs if job.id not in held]
                if lost:
                    log.warning("job(s) %s (%s): lease lost, leaving them to their new owner", _ids(lost),
                                jobs[0].kind)
                kept = [job for job in jobs if job.id in held]
                if kept:
                    self.batch_handlers[jobs[0].kind](session, kept)
        except Exception as error:
            log.warning("%s jobs (%s) failed together (%s): each is tried again alone", len(jobs), jobs[0].kind,
                        type(error).__name__)
            for job in jobs:
                self._guarded(self._process, job)
            return
        if kept:
            log.info("jobs %s (%s) done together in %.1f ms", _ids(kept), jobs[0].kind,
                     (time.perf_counter() - started) * 1000)

    def _process(self, job: queue.Claim) -> None:
        """Run one job; one log line says how it ended (done, retried later, dead, or lost to another worker)."""
        single = self.handlers.get(job.kind)
        together = self.batch_handlers.get(job.kind)
        started = time.perf_counter()
        try:
            with self.db.writing() as session:
                if not queue.settle_done(session, job, self.clock.now()):
                    log.warning("job %s (%s): lease lost, leaving it to its new owner", job.id, job.kind)
                    return
                if together is not None:
                    together(session, [job])
                elif single is not None:
                    single(session, job.payload, job)
                else:
                    raise LookupError(f"no handler for jobs of kind {job.kind!r}")
        except Exception as error:
            detail = mask_personal_numbers("".join(traceback.format_exception_only(type(error), error)).strip())
            with self.db.writing() as session:
                state = queue.settle_failed(session, job, self.clock.now(), detail)
            if state == "dead":
                log.error("job %s (%s) failed on attempt %s of %s (%s): dead, for `presence jobs retry-dead`",
                          job.id, job.kind, job.attempts, job.max_attempts, type(error).__name__)
            else:
                log.warning("job %s (%s) failed on attempt %s of %s (%s): retried in %s s", job.id, job.kind,
                            job.attempts, job.max_attempts, type(error).__name__,
                            int(queue.backoff(job.attempts).total_seconds()))
            return
        log.info("job %s (%s) done in %.1f ms, attempt %s", job.id, job.kind, (time.perf_counter() - started) * 1000,
                 job.attempts)


def _ids(jobs: list[queue.Claim]) -> str:
    """Job ids for a log line, runs of consecutive ids as ranges: `12-40, 43`."""
    ids = sorted(job.id for job in jobs)
    runs: list[list[int]] = []
    for job_id in ids:
        if runs and job_id == runs[-1][1] + 1:
            runs[-1][1] = job_id
        else:
            runs.append([job_id, job_id])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
