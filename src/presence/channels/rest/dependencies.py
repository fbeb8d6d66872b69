"""What the REST operations are given, as typed dependencies: the runtime, and the caller of the verified token
acting with the scopes the operation accepts (rate-limited per client id). Also how their answers are documented.

(No `from __future__ import annotations`: FastAPI resolves these annotations.)"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ...domain.scopes import REST_ENTERPRISE, REST_SCOPES
from ...domain.visibility import Caller
from ...services.access import access_tokens
from ...services.runtime import Runtime
from . import problems

GRANT = "presence.grant"  # the request state's key for the verified token (`BearerGate`)
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="opaque",
                    description="An access token of the OAuth server (`POST /REST/oauth/v5/token`).")
# Names the security scheme (BEARER) for the OpenAPI document; the token itself was verified already.
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


async def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def acting(request: Request, scopes) -> Caller:
    """The caller of the token `BearerGate` verified, acting with the roles of `scopes`; no I/O. Counted against
    its client id's rate limit after authentication, so no one spends another's."""
    grant: access_tokens.Grant = request.scope["state"][GRANT]
    try:
        caller = grant.acting(scopes)
    except access_tokens.InsufficientScope as refused:
        raise problems.missing_permission(str(refused)) from None
    wait = request.app.state.limiter.retry_after(caller.sender_id)
    if wait is not None:
        raise problems.too_many_requests(wait)
    return caller


async def _enterprise(request: Request, _: BearerToken) -> Caller:
    return acting(request, [REST_ENTERPRISE])


async def _consultant(request: Request, _: BearerToken) -> Caller:
    return acting(request, REST_SCOPES)


Enterprise = Annotated[Caller, Depends(_enterprise)]  # registers and cancels
Consultant = Annotated[Caller, Depends(_consultant)]  # consults


def problem_responses(*statuses: int) -> dict:
    """The OpenAPI `responses` of an operation that may answer these problems (and 429, 500, as all may)."""
    described = {400: "Bad request: the issues name the fields at fault", 401: "No valid access token",
                 403: "The token's scopes do not allow this operation", 404: "No such resource",
                 409: "Conflict with the resource's state", 413: "The body is larger than 1 MiB",
                 415: "The body is not application/json", 429: "Too many requests from this client id",
                 500: "Unexpected error"}
    answers = {status: {"description": described[status], "content": {problems.PROBLEM_TYPE: {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for status in (*statuses, 429, 500)}
    answers[429]["headers"] = {"Retry-After": {"description": "Seconds to wait before the next request",
                                               "schema": {"type": "integer", "minimum": 1}}}
    return answers
