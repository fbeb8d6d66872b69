"""The ASGI application: one process serves every HTTP channel. Channels mount their routers here."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio.to_thread
from fastapi import FastAPI

from . import __version__
from .channels import declarations_api, gateway_api, rest, web
from .channels.http.ratelimit import FailureLimiter, Limits, RateLimiter
from .channels.http.requests import RequestLog
from .channels.rest import token_endpoint
from .channels.soap import service as soap_service
from .channels.web import home
from .config import get_settings
from .db.engine import POOL_SIZE, Database
from .services.background import make_worker, queue_summary
from .services.runtime import Runtime

CHECK_WORKER_VARIABLE = "PRESENCE_SERVE_CHECK_WORKER"
PROCESSES_VARIABLE = "PRESENCE_SERVE_PROCESSES"  # each process takes its share of the rate limits
REQUEST_THREADS = POOL_SIZE - 2  # the check worker and the odd overflow keep the rest


def create_app(runtime: Runtime, check_worker: bool = False, limits: Limits | None = None) -> FastAPI:
    """The application; with `check_worker`, a worker thread checks registrations in this process. `limits`:
    rate limits per client id (default: the settings')."""
    limits = limits or Limits.from_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Requests run their database work in threads: no more threads than pooled connections, so that a burst
        # waits for a thread instead of opening (and then closing) extra database connections.
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        worker = make_worker(runtime, lease=timedelta(seconds=get_settings().job_lease_seconds)) \
            if check_worker else None
        if worker:
            worker.start_thread()
        yield
        if worker:
            worker.stop()

    app = FastAPI(title="presence", version=__version__, docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.runtime = runtime
    app.include_router(soap_service.router(runtime))
    app.include_router(token_endpoint.router(runtime, RateLimiter(limits.token),
                                    FailureLimiter(limits.token_failures, limits.token_failures_overall)))
    rest.mount(app, runtime, RateLimiter(limits.api))
    declarations_api.mount(app, runtime, RateLimiter(limits.api))
    app.include_router(gateway_api.router(runtime))
    app.include_router(home.router(runtime))
    web.mount(app, runtime)
    app.add_middleware(RequestLog)

    @app.get("/health")
    def health() -> dict:
        """Liveness and backlog: what an operator's probe or load balancer asks. `jobs.oldest_ready_seconds`: how
        long the oldest job ready to run has waited (the check lag; null when none waits)."""
        return {
            "status": "ok",
            "version": __version__,
            "environment": str(runtime.environment),
            "database": runtime.db.backend,
            "jobs": queue_summary(runtime).as_json(),
        }

    return app


def app_from_environment() -> FastAPI:
    """For `presence serve --workers N`: each process builds its own engine from the settings."""
    settings = get_settings()
    runtime = Runtime(db=Database(settings.database_url), environment=settings.environment)
    processes = int(os.environ.get(PROCESSES_VARIABLE, "1"))
    return create_app(runtime, check_worker=os.environ.get(CHECK_WORKER_VARIABLE) == "1",
                      limits=Limits.from_settings(processes))
