"""The work declarations API (*ours*: no official contract exists): a JSON web service mounted at `BASE`, with its
OpenAPI document at `BASE/openapi.json`, for the software of declaring contractors. It shares the REST service's
ways: an access token of the same OAuth server (`POST /REST/oauth/v5/token`, scope `scope:presence-declarations`,
which gives the declarant role), a rate limit per client id, Belgif problem answers. Messages are in the language
of `Accept-Language` (fr, nl, de, en; English by default).

Choices: amounts are JSON strings of euros ("620000.50"); a declaration the caller may not see is answered 404;
every problem of a declaration is one issue naming its field (`subcontractors[2].startDate`)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ... import i18n
from ...services.runtime import Runtime
from ..http.ratelimit import RateLimiter
from ..rest import serve_problems
from ..rest.openapi import document
from . import routes

BASE = "/api/declarations/v1"


class Language:
    """Each request speaks the language its `Accept-Language` asks for (its threads too: a context variable)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = i18n.negotiate(Headers(scope=scope).get("accept-language")) if scope["type"] == "http" else None
        with i18n.using(wanted or i18n.DEFAULT_LANGUAGE):
            await self.app(scope, receive, send)


def application(runtime: Runtime, limiter: RateLimiter | None = None) -> FastAPI:
    app = FastAPI(title="presence work declarations", version="1.0.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Declare works (art. 30bis), their chain of subcontractors and their changes; consult "
                              "the declarations one's enterprise is in. Each declaration has a short URL, a QR code "
                              "and a printable poster for its workplace.")
    app.include_router(routes.router)
    serve_problems(app, runtime, limiter)
    app.add_middleware(Language)
    app.openapi = lambda: document(app, BASE)
    return app


def mount(app: FastAPI, runtime: Runtime, limiter: RateLimiter | None = None) -> None:
    app.mount(BASE, application(runtime, limiter))
    mounted = app.router.routes[-1]  # as the REST service: a path holding an encoded newline stays ours
    mounted.path_regex = re.compile(mounted.path_regex.pattern, re.DOTALL)
