"""The ASGI application: one process serves every HTTP channel. Channels mount their routers here."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from .. import __version__
from ..jobs.models import Job, JobState
from ..services.context import Registry


def create_app(registry: Registry) -> FastAPI:
    app = FastAPI(title="presence", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.registry = registry

    @app.get("/health")
    def health() -> dict:
        """Liveness and backlog: what an operator's probe or load balancer asks."""
        with registry.db.reading() as session:
            counts = dict(session.execute(
                select(Job.state, func.count()).where(Job.state.in_([JobState.READY, JobState.RUNNING,
                                                                     JobState.DEAD])).group_by(Job.state)
            ).all())
        return {
            "status": "ok",
            "version": __version__,
            "environment": str(registry.environment),
            "database": registry.db.engine.dialect.name,
            "jobs": {state: counts.get(state, 0) for state in (JobState.READY, JobState.RUNNING, JobState.DEAD)},
        }

    return app
