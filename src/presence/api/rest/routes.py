"""The operations: parse → authorise → one service call → render. (No `from __future__ import annotations`:
FastAPI resolves the dependencies' annotations, which name local functions.)"""


import math
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from ...domain.activities import ACTIVITIES
from ...domain.channels import Channel
from ...domain.errors import BatchSizeError, ErrorCode
from ...domain.identifiers import (
    InvalidIdentifier,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_work_declaration_number,
)
from ...domain.registration import Address, Submission
from ...domain.remarks import CATALOGUE, RemarkCode
from ...domain.scopes import REST_ENTERPRISE, REST_SCOPES
from ...domain.sectors import Regime
from ...domain.statuses import Lifecycle, Validity
from ...domain.visibility import Caller
from ...services import tokens
from ...services.cancelling import Cancelled, CancelRequest, cancel_presences
from ...services.consulting import Page, SearchCriteria, Sort, SortKey, get_presence, search_presences, shifts_of
from ...services.context import Registry
from ...services.errors import InvalidRequest, NotAllowed
from ...services.registering import Accepted, register_presences
from ..ratelimit import Limit, RateLimiter
from . import places, problems, render, schemas

BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="opaque",
                    description="An access token of the OAuth server (`POST /REST/oauth/v5/token`).")
ID_PATTERN = r"^[0-9]{1,15}$"
PRESENCE_ID = Path(pattern=ID_PATTERN, description="The registration's receipt number",
                   openapi_examples={"receipt": {"summary": "a receipt number", "value": "1"}})
MAX_PAGE_SIZE = 500
GRANT = "presence.grant"  # the request state's key for the verified token (`BearerGate`)
SORT_KEYS = {
    "id": SortKey.ID, "registrationDate": SortKey.REGISTRATION_DATE, "creationDate": SortKey.CREATION_DATE,
    "status": SortKey.STATUS, "contractualRelationshipReference": SortKey.PLACE_OF_WORK,
    "employer": SortKey.COMPANY_ID, "channel": SortKey.CHANNEL,
}


def _problem_responses(*statuses: int) -> dict:
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


class _Route(APIRoute):
    """A body that is not JSON is refused as such (415), not as a body of the wrong shape. FastAPI answers a body it
    cannot even parse as JSON values (a number with thousands of digits, arrays nested thousands deep) with a bare
    `HTTPException(400)`; here it is a Belgif bad request, like invalid JSON. A client that hung up while its body
    was read is no bad request: `requests.RequestLog` notes it in one line."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def parsed(request: Request):
            if self.body_field is not None and _has_body(request) and not _is_json(request):
                raise problems.unsupported_media_type()
            try:
                return await handler(request)
            except HTTPException as error:
                if isinstance(error.__cause__, ClientDisconnect):
                    raise error.__cause__ from None
                if error.status_code != 400:
                    raise
                raise problems.bad_request([problems.issue(
                    "the body could not be parsed (a number too long, or nesting too deep?)", "body", None,
                    type_=problems.SCHEMA_VIOLATION, title="Input isn't valid with respect to schema")]) from None

        return parsed


def _has_body(request: Request) -> bool:
    return request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and
                                                media_type.endswith("+json"))


def router(registry: Registry, limiter: RateLimiter | None = None) -> APIRouter:
    """`limiter`: requests per client id (the token's), after authentication so no one spends another's."""
    routes = APIRouter(route_class=_Route)
    limiter = limiter or RateLimiter(Limit(0, 0))

    def authorise(request: Request, scopes) -> Caller:
        """The caller of the token `BearerGate` verified, acting with the roles of `scopes`; no I/O."""
        grant: tokens.Grant = request.scope["state"][GRANT]
        try:
            caller = grant.acting(scopes)
        except tokens.InsufficientScope as refused:
            raise problems.missing_permission(str(refused)) from None
        wait = limiter.retry_after(caller.sender_id)
        if wait is not None:
            raise problems.too_many_requests(wait)
        return caller

    # Each names the security scheme (BEARER) for the OpenAPI document; the token itself was verified already.
    async def enterprise(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) \
            -> Caller:
        return authorise(request, [REST_ENTERPRISE])

    async def consultant(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) \
            -> Caller:
        return authorise(request, REST_SCOPES)

    # --- presences --------------------------------------------------------------------------------------

    @routes.post("/presenceRegistrations/registerInBulk", operation_id="registerInBulk",
                 response_model=schemas.RegisterInBulkResponse, response_model_exclude_none=True,
                 responses=_problem_responses(400, 401, 403, 413, 415), tags=["presenceRegistrations"],
                 summary="Register 1 to 200 check-ins or check-outs; one result per item, in the same order")
    async def register_in_bulk(body: schemas.RegisterInBulkRequest, caller: Annotated[Caller, Depends(enterprise)]):
        # The most frequent request: one hop to the threadpool for the registration and the answer (a sync
        # dependency and a sync route would take two).
        return await run_in_threadpool(registering, body, caller)

    def registering(body: schemas.RegisterInBulkRequest, caller: Caller):
        submissions = [_submission(item) for item in body.items]
        try:
            outcomes = register_presences(registry, caller, Channel.REST, Regime.CLOCKING, submissions)
        except NotAllowed as refused:
            raise problems.missing_permission(str(refused)) from None
        except BatchSizeError as error:
            raise problems.bad_request([problems.issue(str(error), "body", "items")]) from None
        return render.json_response(schemas.RegisterInBulkResponse(items=[
            schemas.ResultItem(created_presence_registration=render.presence(o.presence)) if isinstance(o, Accepted)
            else schemas.ResultItem(not_created_presence_registration=render.errors(o.errors)) for o in outcomes]))

    @routes.get("/presenceRegistrations/{id}", operation_id="getPresenceRegistration",
                response_model=schemas.Presence, response_model_exclude_none=True,
                responses=_problem_responses(400, 401, 403, 404), tags=["presenceRegistrations"],
                summary="One registration with its status, validity, remarks and shift")
    def get_one(id: Annotated[str, PRESENCE_ID], caller: Annotated[Caller, Depends(consultant)]):
        view = _consult(lambda: get_presence(registry, caller, int(id)))
        if view is None:
            raise problems.not_found("no such presence registration among those you may consult")
        return render.presence(view, shifts_of(registry, caller, [view]).get(view.id))

    @routes.post("/presenceRegistrations/search", operation_id="searchPresenceRegistrations",
                 response_model=schemas.SearchPage, response_model_exclude_none=True,
                 responses=_problem_responses(400, 401, 403, 413, 415), tags=["presenceRegistrations"],
                 summary="Paged search within the registrations the caller may consult")
    def search(request: Request, body: schemas.SearchRequest, caller: Annotated[Caller, Depends(consultant)],
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
               page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 50):
        criteria = _criteria(body.criteria)
        sort = Sort(SORT_KEYS[body.sort.field], body.sort.order == "desc") if body.sort else Sort()
        result = _consult(lambda: search_presences(registry, caller, criteria,
                                                   Page((page - 1) * page_size, page_size), sort))
        shifts = shifts_of(registry, caller, result.items)
        total_pages = math.ceil(result.total / page_size)
        next_url = str(request.url.include_query_params(page=page + 1, pageSize=page_size)) \
            if page < total_pages else None
        return schemas.SearchPage(items=[render.presence(v, shifts.get(v.id)) for v in result.items], page=page,
                                  page_size=page_size, total=result.total, total_pages=total_pages, next=next_url)

    @routes.post("/presenceRegistrations/{id}/cancel", operation_id="cancelPresenceRegistration",
                 response_model=schemas.Presence, response_model_exclude_none=True,
                 responses=_problem_responses(400, 401, 403, 404, 409, 413, 415),
                 tags=["presenceRegistrations"],
                 summary="Cancel a registration (until the end of the day after its date)")
    def cancel(id: Annotated[str, PRESENCE_ID], body: schemas.CancelRequest,
               caller: Annotated[Caller, Depends(enterprise)]):
        [outcome] = cancel_presences(registry, caller, Channel.REST, [CancelRequest(id, body.reason)])
        if isinstance(outcome, Cancelled):
            return render.presence(outcome.presence)
        [error] = outcome.errors
        if error.code is ErrorCode.CANCELLATION_REASON_INVALID:
            raise problems.bad_request([problems.issue(f"{error.message} (error code {error.code})", "body",
                                                       "reason", body.reason)])
        if error.code in (ErrorCode.REGISTRATION_ID_UNKNOWN, ErrorCode.REGISTRATION_NOT_FOUND):
            raise problems.not_found(error.message)
        if error.code is ErrorCode.NOT_ALLOWED:
            raise problems.missing_permission(error.message)
        raise problems.conflict(error.message, str(error.code))

    # --- reference data ---------------------------------------------------------------------------------

    @routes.get("/refData/remarks", operation_id="listRemarks", response_model=schemas.RefDataList,
                responses=_problem_responses(401, 403), tags=["refData"], summary="The remark catalogue")
    def remarks(caller: Annotated[Caller, Depends(consultant)]):
        return schemas.RefDataList(items=[render.remark(code) for code in CATALOGUE])

    @routes.get("/refData/remarks/{code}", operation_id="getRemark", response_model=schemas.RefDataEntry,
                responses=_problem_responses(400, 401, 403, 404), tags=["refData"], summary="One remark")
    def remark(code: Annotated[str, Path(max_length=20)], caller: Annotated[Caller, Depends(consultant)]):
        try:
            return render.remark(RemarkCode(code.upper()))
        except ValueError:
            raise problems.not_found("no remark has this code") from None

    @routes.get("/refData/activities", operation_id="listActivities", response_model=schemas.RefDataList,
                responses=_problem_responses(401, 403), tags=["refData"], summary="The activity catalogue")
    def activities(caller: Annotated[Caller, Depends(consultant)]):
        return schemas.RefDataList(items=[render.activity(code) for code in ACTIVITIES])

    @routes.get("/refData/activities/{code}", operation_id="getActivity", response_model=schemas.RefDataEntry,
                responses=_problem_responses(400, 401, 403, 404), tags=["refData"], summary="One activity")
    def activity(code: Annotated[str, Path(max_length=40)], caller: Annotated[Caller, Depends(consultant)]):
        if code.upper() not in ACTIVITIES:
            raise problems.not_found("no activity has this code")
        return render.activity(code.upper())

    routes.include_router(places.router(registry, consultant, _problem_responses(400, 401, 403)))
    return routes


def _consult(call):
    try:
        return call()
    except NotAllowed as refused:
        raise problems.missing_permission(str(refused)) from None
    except InvalidRequest as error:
        raise problems.bad_request([problems.issue(str(error), "body", render.rest_name(error.field))]) from None


def _submission(item: schemas.SubmissionItem) -> Submission:
    place = item.place_of_work
    address = place.address
    return Submission(
        workplace=item.contractual_relationship_reference,
        inss=item.ssin,
        enterprise_number=item.employer.enterprise_number,
        foreign_vat=item.employer.foreign_vat_number,
        clocked_at=item.registration_date,
        direction=item.type,
        client_reference=item.custom_reference,
        activity=item.activity,
        latitude=place.coordinates.latitude if place.coordinates else None,
        longitude=place.coordinates.longitude if place.coordinates else None,
        address=Address(address.post_code, address.municipality_name, address.street_name, address.house_number,
                        address.box_number) if address else None,
    )


def _criteria(criteria: schemas.Criteria) -> SearchCriteria:
    period = criteria.registration_date
    start, end = period.start_date, period.end_date
    if start > end:
        raise problems.bad_request([problems.issue("the period ends before it starts", "body",
                                                   "criteria.registrationDate.endDate")])
    employer = criteria.employer
    return SearchCriteria(
        periods=[(render.local(start).date(), render.local(end).date())],
        instants=(start, end),
        inss=_identifier(parse_inss, criteria.ssin, "criteria.ssin"),
        enterprise_number=_identifier(parse_enterprise_number, employer and employer.enterprise_number,
                                      "criteria.employer.enterpriseNumber"),
        foreign_vat=_identifier(parse_foreign_vat, employer and employer.foreign_vat_number,
                                "criteria.employer.foreignVatNumber"),
        workplace=_identifier(parse_work_declaration_number, criteria.contractual_relationship_reference,
                              "criteria.contractualRelationshipReference"),
        direction=criteria.type.lower() if criteria.type else None,
        lifecycles=[Lifecycle(criteria.status)] if criteria.status else [],
        validities=[Validity(criteria.validity)] if criteria.validity else [],
        remarks=list(criteria.remarks or []),
        activity=criteria.activity.upper() if criteria.activity else None,
    )


def _identifier(parse, value: str | None, name: str) -> str | None:
    """A search criterion's identifier, checked as the registrations' are (a malformed one matches nothing: it
    is refused instead of answering an empty list)."""
    if value is None:
        return None
    try:
        return parse(value)
    except InvalidIdentifier as error:
        raise problems.bad_request([problems.issue(f"{error.reason}", "body", name, value)]) from None
