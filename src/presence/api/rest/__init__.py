"""The REST web service `presenceRegistration` v1 (Check In and Out at Work): a sub-application mounted at
`BASE`, with its own OpenAPI document at `BASE/openapi.json` and Belgif problem answers for every failure.

Choices where the public material is silent (also in the OpenAPI document):
- cancel is `POST /presenceRegistrations/{id}/cancel` with `{"reason"}`; it answers the cancelled presence, or
  400 (unknown reason, its error code in the issue), 403 (may consult but not cancel), 404 (unknown or not
  visible) or 409 (already cancelled, or too late: `errorCode` 8 or 9);
- `errorCode` in `notCreatedPresenceRegistration` is the registry's numbering shared with SOAP
  (`domain.errors.ErrorCode`);
- search `sort` is `{"field": id|registrationDate|creationDate|status|contractualRelationshipReference|employer|
  channel, "order": asc|desc}`;
- every 401 is `invalidAccessToken` (also for a missing token) with `WWW-Authenticate: Bearer error="invalid_token"`;
- past its client id's rate limit a request gets 429 `tooManyRequests` with `Retry-After` (seconds).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...services.context import Registry
from ..ratelimit import RateLimiter
from . import problems, routes
from .openapi import document

log = logging.getLogger(__name__)

BASE = "/REST/presenceRegistration/v1"


class UnexpectedErrors:
    """An exception no handler took becomes a 500 problem, logged by its type only (its message may hold
    personal data). Plain ASGI: an `@app.middleware("http")` costs every request a task and a stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:  # noqa: BLE001 - answered as a problem
            log.error("REST service error on %s %s: %s", scope["method"], scope["path"], type(error).__name__)
            if not started:  # else the answer is already under way: the server closes the connection
                await problems.response(problems.Problem(500, problems.INTERNAL, "Internal Server Error",
                                                         "an unexpected error occurred; it was logged"))(
                    scope, receive, send)


def application(registry: Registry, limiter: RateLimiter | None = None) -> FastAPI:
    app = FastAPI(title="presenceRegistration", version="1.0.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Check In and Out at Work (cleaning): register, consult and cancel presences.")
    app.include_router(routes.router(registry, limiter))

    @app.exception_handler(problems.Problem)
    async def _problem(request: Request, problem: problems.Problem):
        return problems.response(problem)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        return problems.response(problems.from_validation(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        if error.status_code == 404:
            return problems.response(problems.not_found("no such resource"))
        if error.status_code == 405:
            return problems.response(problems.Problem(405, problems.METHOD_NOT_ALLOWED, "Method Not Allowed",
                                                      "this method is not supported on this resource",
                                                      headers=error.headers))
        return problems.response(problems.Problem(error.status_code, "about:blank", "Error", str(error.detail)))

    app.add_middleware(UnexpectedErrors)
    app.openapi = lambda: document(app)
    return app


def mount(app: FastAPI, registry: Registry, limiter: RateLimiter | None = None) -> None:
    app.mount(BASE, application(registry, limiter))
    # Starlette's mount pattern (`.*`) stops at a newline: a path parameter holding an encoded newline would
    # fall through to the outer application's plain 404 instead of this service's problem answer.
    mounted = app.router.routes[-1]
    mounted.path_regex = re.compile(mounted.path_regex.pattern, re.DOTALL)
