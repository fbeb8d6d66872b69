"""Request bodies are read within a cap, so that no request makes a serving process hold more than that.

Each channel has its cap and answers a larger body in its own format: the SOAP service (1 MiB) with a fault,
the token endpoint (32 KiB) with an OAuth error, the REST service (`BodyLimit`) with a 413 problem. A body is
refused as soon as its `Content-Length` says it is too large, before anything is read, or else as soon as the
bytes read pass the cap (a chunked body): never read whole.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """A body past its cap. An `HTTPException` (413) so that FastAPI, reading a route's body, hands it on to the
    application's handlers instead of calling it a parsing error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


def declared_length(headers: Headers) -> int | None:
    declared = headers.get("content-length")
    return int(declared) if declared and declared.isdigit() else None


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body, or `BodyTooLarge` once it passes `limit` bytes. A client that hangs up meanwhile raises
    Starlette's `ClientDisconnect` (logged in one line by `requests.RequestLog`)."""
    declared = declared_length(request.headers)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class BodyLimit:
    """ASGI middleware: a body over `limit` bytes is answered `refuse(limit)` at once when declared, else
    `BodyTooLarge` is raised from `receive` as soon as the bytes read pass the cap."""

    def __init__(self, app: ASGIApp, limit: int, refuse: Callable[[int], ASGIApp]) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(Headers(scope=scope))
        if declared is not None and declared > self.limit:
            await self.refuse(self.limit)(scope, receive, send)
            return
        size = 0

        async def receiving() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, receiving, send)
