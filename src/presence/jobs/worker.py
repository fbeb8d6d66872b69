"""The worker: claims jobs and runs their handler, one transaction per job.

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

Handler = Callable[[Session, dict, "queue.Claim"], None]


class Worker:
    def __init__(self, db: Database, handlers: dict[str, Handler], clock: Clock,
                 lease: timedelta = timedelta(seconds=60), poll_interval: float = 0.5, batch: int = 4,
                 name: str | None = None) -> None:
        self.db = db
        self.handlers = handlers
        self.clock = clock
        self.lease = lease
        self.poll_interval = poll_interval
        self.batch = batch
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.stopping = threading.Event()

    def run_once(self) -> int:
        """Claim what is ready and process it. Returns the number of jobs handled (done or failed)."""
        with self.db.writing() as session:
            claims = queue.claim(session, self.clock.now(), self.lease, self.batch)
        for job in claims:
            try:
                self._process(job)
            except Exception:  # recording the failure failed too (database gone): the lease will free it
                log.exception("job %s (%s) left to its lease", job.id, job.kind)
        return len(claims)

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
        while not self.stopping.is_set():
            try:
                handled = self.run_once()
            except Exception:  # the database went away: wait, then try again
                log.exception("worker %s could not claim jobs", self.name)
                handled = 0
            if handled == 0:
                self.db.jobs_queued.wait(self.poll_interval)
                self.db.jobs_queued.clear()
        log.info("worker %s stopped", self.name)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="presence-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
        self.db.jobs_queued.set()

    def _process(self, job: queue.Claim) -> None:
        """Run one job; one log line says how it ended (done, retried later, dead, or lost to another worker)."""
        handler = self.handlers.get(job.kind)
        started = time.perf_counter()
        try:
            with self.db.writing() as session:
                if not queue.settle_done(session, job, self.clock.now()):
                    log.warning("job %s (%s): lease lost, leaving it to its new owner", job.id, job.kind)
                    return
                if handler is None:
                    raise LookupError(f"no handler for jobs of kind {job.kind!r}")
                handler(session, job.payload, job)
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
