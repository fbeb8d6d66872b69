"""The job handlers of the registry, by job kind."""

from __future__ import annotations

from ..jobs.worker import Worker
from .checking import check_registrations
from .context import Registry
from .registering import CHECK_JOB


def handlers(registry: Registry) -> dict:
    def check(session, payload: dict, job) -> None:
        check_registrations(session, payload["ids"], payload.get("trigger", "registration"), registry.clock.now(),
                            job.id)

    return {CHECK_JOB: check}


def make_worker(registry: Registry, **options) -> Worker:
    return Worker(registry.db, handlers(registry), registry.clock, **options)
