"""`POST /REST/oauth/v5/token`: the OAuth 2.0 token endpoint. The protocol is `auth.client_assertions`; this reads the
form, names the audiences the assertion may use, applies the rate limits, and writes RFC 6749 §5.1/§5.2 answers.

Rate limits: a request is counted against its client id only once its assertion verified (naming someone else's
client id costs that client nothing); every refused request (but for a scope not held) is counted against its
source address, and an address with too many refusals is answered 429 before any work
(`ratelimit.FailureLimiter`). Behind a reverse proxy, the source address is the client's only when uvicorn trusts
the proxy's forwarded headers (uvicorn's `FORWARDED_ALLOW_IPS`: by default it trusts a proxy on 127.0.0.1 only).

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

from ...auth import client_assertions
from ...auth.client_assertions import OAuthError
from ...config import get_settings
from ...services.runtime import Runtime
from ..http import bodies, requests
from ..http.ratelimit import FailureLimiter, Limit, RateLimiter

log = logging.getLogger(__name__)

MAX_BODY = 32_768  # bytes: an assertion is a few thousand at most
MAX_FIELDS = 20
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9._~+-]{0,19}")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TooManyRequests(OAuthError):
    """Over a rate limit (RFC 6749 has no code of its own for it: `temporarily_unavailable`, 429)."""

    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__("temporarily_unavailable", description)
        self.retry_after = retry_after


def _error(error: OAuthError, headers: dict | None = None) -> JSONResponse:
    # Every refusal names the request's id, which is also in the log line that gives the precise reason: an
    # integrator quotes it to the service desk.
    description = f"{error.description} (request id {requests.current_id()})"
    return JSONResponse({"error": error.error, "error_description": description}, status_code=error.status,
                        headers={**NO_STORE, **(headers or {})})


def audiences(request: Request) -> tuple[str, str]:
    """The token endpoint's URL and the issuer identifier, as this request reached us."""
    base = (get_settings().public_url or str(request.base_url)).rstrip("/")
    return base + client_assertions.TOKEN_PATH, base


async def _read_form(request: Request) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    try:
        body = await bodies.read_capped(request, MAX_BODY)
    except bodies.BodyTooLarge:
        raise OAuthError("invalid_request", "request body too large") from None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "malformed form body") from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def router(runtime: Runtime, limiter: RateLimiter | None = None,
           failures: FailureLimiter | None = None) -> APIRouter:
    """`limiter`: token requests per client id, counted once its assertion verified. `failures`: failed requests
    per source address (and all together), which hold back the addresses that send them."""
    routes = APIRouter()
    limiter = limiter or RateLimiter(Limit(0, 0))
    failures = failures or FailureLimiter(Limit(0, 0), Limit(0, 0))

    def authenticate_and_issue(params: dict[str, list[str]], audiences: tuple[str, str],
                               authorization: str | None) -> dict:
        client = client_assertions.authenticate_client(runtime, params, audiences, authorization=authorization)
        requests.identify(client.client_id)
        wait = limiter.retry_after(client.client_id)
        if wait is not None:
            raise TooManyRequests(f"too many token requests from this client; retry after {wait} s", wait)
        return client_assertions.answer(client_assertions.issue_token(runtime, client))

    @routes.post(client_assertions.TOKEN_PATH, include_in_schema=False)
    async def token(request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization")
        address = request.client.host if request.client else "unknown"
        try:
            wait = failures.retry_after(address)
            if wait is not None:
                raise TooManyRequests(f"too many failed token requests from this address; retry after {wait} s",
                                      wait)
            params = await _read_form(request)
            issued = await run_in_threadpool(authenticate_and_issue, params, audiences(request), authorization)
        except TooManyRequests as refused:
            log.warning("token request refused: %s", refused.reason)
            return _error(refused, {"Retry-After": str(refused.retry_after)})
        except OAuthError as refused:
            if refused.error != "invalid_scope":  # a scope the client does not hold: its mistake, no attack
                failures.failed(address)
            log.warning("token request refused: %s (%s)", refused.error, refused.reason)
            headers = None
            if refused.error == "invalid_client" and authorization:
                # RFC 6749 §5.2: answer a client that tried the Authorization header with its scheme's challenge.
                scheme = authorization.split(" ", 1)[0]
                scheme = scheme if _SCHEME.fullmatch(scheme) else "Basic"
                headers = {"WWW-Authenticate": f'{scheme} realm="presence"'}
            return _error(refused, headers)
        return JSONResponse(issued, headers=NO_STORE)

    return routes
