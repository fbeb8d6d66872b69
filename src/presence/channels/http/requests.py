"""Every HTTP request gets an id and, once answered, one access-log line.

The id is the client's `X-Request-ID` when it is a plain token (letters, digits, `.`, `_`, `-`, `:`; at most 128
characters), else a new random one. It is sent back in `X-Request-ID`, carried by every log line written while
the request is served (`logs.RequestIdFilter`), and quoted in every error answer (problem, SOAP fault, OAuth
error), so that an integrator's support request finds its log lines.

The access line holds the method, the route's path template (never the path itself, nor a query value: either
may hold anything), the status, the duration, the request id and, once known, the authenticated client id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ... import logs

log = logging.getLogger("presence.access")

HEADER = "x-request-id"
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass
class RequestContext:
    id: str
    client_id: str | None = None  # the authenticated client, once a channel knows it


# The context of the request being served. Threads that serve it see the same object (contextvars are copied
# into worker threads), so a channel that authenticates in a thread can still name the client.
_current: ContextVar[RequestContext | None] = ContextVar("presence_request", default=None)


def current_id() -> str | None:
    return logs.request_id.get()


def identify(client_id: str | None) -> None:
    """The request's authenticated client, for its access-log line."""
    context = _current.get()
    if context is not None and client_id:
        context.client_id = client_id


def new_id() -> str:
    return uuid.uuid4().hex


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            text = value.decode("latin-1")
            return text if _CLIENT_ID.fullmatch(text) else None
    return None


def path_template(scope: Scope) -> str:
    """The template of the route that took the request (`/REST/…/presenceRegistrations/{id}`), never its path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    mount = scope.get("root_path", "")  # a mounted application's routes are relative to its mount
    if path is None or isinstance(route, Mount):  # no route, or answered before the mounted one chose one
        return f"{mount}/…" if mount else "(no route)"
    return mount + path


class RequestLog:
    """Outermost ASGI middleware: the request's id and context, its access-log line, and HEAD served as GET.

    A client that hangs up before its body is read costs one log line, not a traceback (`ClientDisconnect`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(_incoming_id(scope) or new_id())
        reset, reset_id = _current.set(context), logs.request_id.set(context.id)
        method = scope["method"]
        head = method == "HEAD"
        if head:  # every GET route answers HEAD: the same head, no body
            scope["method"] = "GET"
        status = None
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER.encode(), context.id.encode())]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:
            status = "disconnected"  # before its body was read: nobody to answer
        finally:
            milliseconds = round((time.perf_counter() - started) * 1000, 1)
            template = path_template(scope)
            log.info("%s %s %s %s ms client %s", method, template, status or "-", milliseconds,
                     context.client_id or "-",
                     extra={"request_id": context.id, "method": method, "path": template, "status": status,
                            "duration_ms": milliseconds, "client_id": context.client_id})
            _current.reset(reset)
            logs.request_id.reset(reset_id)
