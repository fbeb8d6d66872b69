"""`POST /REST/oauth/v5/token`: the OAuth 2.0 token endpoint. The rules are in `services.tokens`;
this reads the form, names the audiences the assertion may use, and writes RFC 6749 §5.1/§5.2 answers.

The audiences are the endpoint's URL as the request reached us (scheme, host and port of the request, this
path) and the issuer identifier, the server's base URL as the request reached us. Behind a reverse proxy, run
uvicorn so that it sees the public scheme and host (forwarded headers from a trusted proxy).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..config import get_settings
from ..services import tokens
from ..services.context import Registry
from .ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

MAX_BODY = 32_768  # bytes: an assertion is a few thousand at most
MAX_FIELDS = 20
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9._~+-]{0,19}")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(error: tokens.OAuthError, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error.error, "error_description": error.description}, status_code=error.status,
                        headers={**NO_STORE, **(headers or {})})


def audiences(request: Request) -> tuple[str, str]:
    """The token endpoint's URL and the issuer identifier, as this request reached us."""
    base = (get_settings().public_url or str(request.base_url)).rstrip("/")
    return base + tokens.TOKEN_PATH, base


async def _read_form(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise tokens.OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise tokens.OAuthError("invalid_request", "request body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            raise tokens.OAuthError("invalid_request", "request body too large")
    try:
        pairs = parse_qsl(b"".join(chunks).decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise tokens.OAuthError("invalid_request", "malformed form body") from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def router(registry: Registry, limiter: RateLimiter | None = None) -> APIRouter:
    """`limiter`: token requests per client id it claims (or, naming none, per address)."""
    routes = APIRouter()
    limiter = limiter or RateLimiter(Limit(0, 0))

    @routes.post(tokens.TOKEN_PATH, include_in_schema=False)
    async def token(request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization")
        try:
            params = await _read_form(request)
            claimed = tokens.claimed_client(params)
            wait = limiter.retry_after(f"client {claimed}" if claimed else
                                       f"address {request.client.host if request.client else '?'}")
            if wait is not None:
                log.warning("token request refused: too many from this client")
                return _error(tokens.OAuthError("temporarily_unavailable", f"too many token requests from this "
                                                f"client; retry after {wait} s"),
                              {"Retry-After": str(wait)})
            issued = await run_in_threadpool(tokens.issue_token, registry, params, audiences(request),
                                             authorization=authorization)
        except tokens.OAuthError as refused:
            log.warning("token request refused: %s (%s)", refused.error, refused.reason)
            headers = None
            if refused.error == "invalid_client" and authorization:
                # RFC 6749 §5.2: answer a client that tried the Authorization header with its scheme's challenge.
                scheme = authorization.split(" ", 1)[0]
                scheme = scheme if _SCHEME.fullmatch(scheme) else "Basic"
                headers = {"WWW-Authenticate": f'{scheme} realm="presence"'}
            return _error(refused, headers)
        return JSONResponse(issued.as_json(), headers=NO_STORE)

    return routes
