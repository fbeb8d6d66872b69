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
  a request without a valid token is answered so before its body is read (`BearerGate`);
- a body larger than `MAX_BODY` is answered 413 `payloadTooLarge` (before it is read when its `Content-Length`
  says so), one that is not `application/json` 415 `unsupportedMediaType`;
- past its client id's rate limit a request gets 429 `tooManyRequests` with `Retry-After` (seconds);
- every problem carries the request's id (`requestId`, also the `X-Request-ID` header and in the log lines).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...domain.errors import BatchSizeError
from ...services.access import access_tokens
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from ...services.runtime import Runtime
from ..http import requests
from ..http.bodies import BodyLimit
from ..http.ratelimit import Limit, RateLimiter
from . import places, problems, render, routes
from .dependencies import GRANT
from .openapi import document

log = logging.getLogger(__name__)

BASE = "/REST/presenceRegistration/v1"
MAX_BODY = 1024 * 1024  # bytes: 200 items take about 100 KB, pretty-printed with every optional field
OPEN_PATHS = frozenset({"/openapi.json"})  # what anyone may read without a token


class BearerGate:
    """Every operation needs a bearer access token: a request without a valid one is answered 401 here, before
    anything reads its body, so that a flood of large bodies without a token costs next to nothing. The token's
    `Grant` goes on to the routes in the request's state (`dependencies.GRANT`); they judge its scopes."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].removeprefix(scope.get("root_path", "")) in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        scheme, _, token = (Headers(scope=scope).get("authorization") or "").partition(" ")
        token = token.strip()
        try:
            if scheme.lower() != "bearer" or not token:
                raise access_tokens.NotAuthenticated("a bearer access token is required")
            now = self.runtime.clock.now()
            # Without I/O when this process verified the token a moment ago; else the database, in a thread.
            grant = access_tokens.remembered_grant(self.runtime.db, token, now) or \
                await run_in_threadpool(access_tokens.verify_bearer, self.runtime.db, token, now)
        except access_tokens.NotAuthenticated as refused:
            await problems.response(problems.invalid_token(refused.reason))(scope, receive, send)
            return
        requests.identify(grant.client_id)
        scope.setdefault("state", {})[GRANT] = grant
        await self.app(scope, receive, send)


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
        except ClientDisconnect:
            raise  # nobody to answer: `requests.RequestLog` notes it
        except Exception as error:  # noqa: BLE001 - answered as a problem
            log.error("REST service error on %s %s: %s", scope["method"], scope["path"], type(error).__name__)
            if not started:  # else the answer is already under way: the server closes the connection
                await problems.response(problems.Problem(500, problems.INTERNAL, "Internal Server Error",
                                                         "an unexpected error occurred; it was logged"))(
                    scope, receive, send)


def application(runtime: Runtime, limiter: RateLimiter | None = None) -> FastAPI:
    """`limiter`: requests per client id (the token's), counted once it is authenticated."""
    app = FastAPI(title="presenceRegistration", version="1.0.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Check In and Out at Work (cleaning): register, consult and cancel presences.")
    app.include_router(routes.router)
    app.include_router(places.router)

    # A service's refusal of the whole request, whichever operation called it.
    @app.exception_handler(InvalidRequest)
    async def _invalid(request: Request, error: InvalidRequest):
        return problems.response(problems.bad_request([problems.issue(
            str(error), render.location(error.field), render.rest_name(error.field))]))

    @app.exception_handler(BatchSizeError)
    async def _batch_size(request: Request, error: BatchSizeError):
        return problems.response(problems.bad_request([problems.issue(str(error), "body", "items")]))

    serve_problems(app, runtime, limiter, "send at most 200 items per request")
    app.openapi = lambda: document(app, BASE)
    return app


def serve_problems(app: FastAPI, runtime: Runtime, limiter: RateLimiter | None, advice: str = "") -> None:
    """What every JSON web service of ours shares: a bearer token of the OAuth server for every operation but
    the OpenAPI document (`BearerGate`), a rate limit per client id, a body of at most `MAX_BODY`, and every
    failure as a Belgif problem (`advice`: what to do with a body too large)."""
    app.state.runtime = runtime  # for the operations' dependencies (`dependencies.RuntimeDep`)
    app.state.limiter = limiter or RateLimiter(Limit(0, 0))

    @app.exception_handler(problems.Problem)
    async def _problem(request: Request, problem: problems.Problem):
        return problems.response(problem)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, refused: NotAllowed):
        return problems.response(problems.missing_permission(str(refused)))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, missing: NotFound):
        return problems.response(problems.not_found(str(missing)))

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, error: RequestValidationError):
        return problems.response(problems.from_validation(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        if error.status_code == 404:
            return problems.response(problems.not_found("no such resource"))
        if error.status_code == 405:
            return problems.response(problems.Problem(405, problems.METHOD_NOT_ALLOWED, "Method Not Allowed",
                                                      "this method is not supported on this resource",
                                                      headers=error.headers))
        if error.status_code == 413:
            return problems.response(problems.payload_too_large(MAX_BODY, advice))
        return problems.response(problems.Problem(error.status_code, "about:blank", "Error", str(error.detail)))

    # Outermost last: unexpected errors, then the token, then the body's size.
    app.add_middleware(BodyLimit, limit=MAX_BODY, refuse=lambda limit: problems.response(
        problems.payload_too_large(limit, advice)))
    app.add_middleware(BearerGate, runtime=runtime)
    app.add_middleware(UnexpectedErrors)


def mount(app: FastAPI, runtime: Runtime, limiter: RateLimiter | None = None) -> None:
    app.mount(BASE, application(runtime, limiter))
    # Starlette's mount pattern (`.*`) stops at a newline: a path parameter holding an encoded newline would
    # fall through to the outer application's plain 404 instead of this service's problem answer.
    mounted = app.router.routes[-1]
    mounted.path_regex = re.compile(mounted.path_regex.pattern, re.DOTALL)
