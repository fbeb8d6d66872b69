"""`POST /PresenceRegistration/v1`: read, validate, authenticate, call the service, answer.

Every failure is a SOAP fault with the contract's code and a ticket id that is also in the log line.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ...auth import wssecurity
from ...domain.errors import BatchSizeError
from ...domain.scopes import SOAP_SCOPES
from ...domain.visibility import Caller
from ...services.access import access_tokens
from ...services.access.replays import AlreadyReceived, SignedMessage
from ...services.errors import InvalidRequest, NotAllowed
from ...services.runtime import Runtime
from ..http import bodies, requests
from . import codec, envelope, schemas
from .faults import Fault, fault_element

log = logging.getLogger(__name__)

PATH = "/PresenceRegistration/v1"
XML_TYPE = "text/xml; charset=utf-8"


def caller_of(runtime: Runtime, request: envelope.Request,
              authorization: str | None) -> tuple[Caller, SignedMessage | None]:
    """Who sends this request: the bearer of an OAuth token of the REST channel's server holding the SOAP
    scope, or else the signer of the WS-Security header; with the signed message, to be accepted once (none
    for a bearer token: the token is the credential)."""
    now = runtime.clock.now()
    scheme, _, token = (authorization or "").partition(" ")
    try:
        if scheme.lower() == "bearer" and token.strip():
            return access_tokens.authenticate_bearer(runtime.db, token.strip(), now, any_of=SOAP_SCOPES), None
        signed = wssecurity.authenticate(request.envelope, runtime.db, now)
        return signed.caller, signed.message
    except (wssecurity.NotAuthenticated, access_tokens.NotAuthenticated) as refused:
        raise Fault("SOA-01001", str(refused)) from None
    except (wssecurity.NotPermitted, access_tokens.InsufficientScope):
        raise Fault("SOA-01002", "this account may not use the SOAP service") from None


def answer(runtime: Runtime, raw: bytes, soap_action: str | None,
           authorization: str | None = None) -> tuple[int, bytes]:
    """The HTTP status and body for one request."""
    ticket = requests.current_id() or requests.new_id()  # the request's id, also in its log lines
    try:
        request = envelope.read(raw, soap_action)
        problem = schemas.first_error(request.body)
        if problem:
            raise Fault("SOA-03006", problem)
        caller, message = caller_of(runtime, request, authorization)
        requests.identify(caller.sender_id)
        try:
            body = codec.OPERATIONS[request.operation](runtime, caller, request.body, message)
        except AlreadyReceived as replayed:
            raise Fault("SOA-01001", str(replayed)) from None
        except NotAllowed as refused:
            raise Fault("SOA-01002", str(refused)) from None
        except BatchSizeError as error:
            raise Fault("SOA-03006", str(error)) from None
        except InvalidRequest as error:
            raise Fault("SOA-03007", str(error)) from None
        log.info("SOAP %s by %s: ticket %s", request.operation, caller.sender_id, ticket)
        return 200, envelope.write(body)
    except Fault as fault:
        log.warning("SOAP fault %s, ticket %s: %s", fault.code, ticket, fault.message)
        return 500, envelope.write(fault_element(fault, ticket, str(runtime.environment)))
    except Exception:
        log.exception("SOAP service error, ticket %s", ticket)
        return 500, envelope.write(fault_element(Fault("SOA-00001"), ticket, str(runtime.environment)))


async def _read_capped(request: Request) -> bytes:
    """The body, or past the cap just enough of it for the parser to refuse it (its own fault, SOA-03001)."""
    try:
        return await bodies.read_capped(request, envelope.MAX_BYTES)
    except bodies.BodyTooLarge:
        return b" " * (envelope.MAX_BYTES + 1)


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter()

    @routes.post(PATH, include_in_schema=False)
    async def endpoint(request: Request) -> Response:
        raw = await _read_capped(request)
        status, body = await run_in_threadpool(answer, runtime, raw, request.headers.get("soapaction"),
                                               request.headers.get("authorization"))
        return Response(body, status_code=status, media_type=XML_TYPE)

    @routes.get(PATH, include_in_schema=False)
    async def documents(request: Request) -> Response:
        endpoint_url = str(request.url.replace(query=""))
        name = request.query_params.get("xsd")
        if name is None and "wsdl" in {key.lower() for key in request.query_params}:
            name = schemas.WSDL
        content = schemas.document(name, endpoint_url) if name else None
        if content is None:
            return Response(f"Use {PATH}?wsdl for the service description.\n", status_code=404,
                            media_type="text/plain")
        return Response(content, media_type=XML_TYPE)

    return routes
