"""The operations: parse → authorise (the typed dependencies) → one service call → render. A service's refusal
(`NotAllowed`, `InvalidRequest`, `BatchSizeError`) becomes its problem in the application's exception handlers."""


import math
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from ...domain.activities import ACTIVITIES
from ...domain.channels import Channel
from ...domain.errors import ErrorCode
from ...domain.registration import Address, Submission
from ...domain.remarks import CATALOGUE, RemarkCode
from ...domain.sectors import Regime
from ...domain.statuses import Lifecycle, Validity
from ...domain.visibility import Caller
from ...services.registrations.cancelling import Cancelled, CancelRequest, cancel_presences
from ...services.registrations.consulting import (
    Page,
    SearchCriteria,
    Sort,
    SortKey,
    get_presence,
    search_presences,
    shifts_of,
)
from ...services.registrations.registering import register_presences
from ...services.registrations.search_criteria import search_criteria
from . import problems, render, schemas
from .dependencies import Consultant, Enterprise, RuntimeDep, problem_responses

ID_PATTERN = r"^[0-9]{1,15}$"
PRESENCE_ID = Path(pattern=ID_PATTERN, description="The registration's receipt number",
                   openapi_examples={"receipt": {"summary": "a receipt number", "value": "1"}})
MAX_PAGE_SIZE = 500
SORT_KEYS = {
    "id": SortKey.ID, "registrationDate": SortKey.REGISTRATION_DATE, "creationDate": SortKey.CREATION_DATE,
    "status": SortKey.STATUS, "contractualRelationshipReference": SortKey.PLACE_OF_WORK,
    "employer": SortKey.COMPANY_ID, "channel": SortKey.CHANNEL,
}


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


router = APIRouter(route_class=_Route)


# --- presences --------------------------------------------------------------------------------------------

@router.post("/presenceRegistrations/registerInBulk", operation_id="registerInBulk",
             response_model=schemas.RegisterInBulkResponse, response_model_exclude_none=True,
             responses=problem_responses(400, 401, 403, 413, 415), tags=["presenceRegistrations"],
             summary="Register 1 to 200 check-ins or check-outs; one result per item, in the same order")
async def register_in_bulk(body: schemas.RegisterInBulkRequest, caller: Enterprise, runtime: RuntimeDep):
    # The most frequent request: one hop to the threadpool for the registration and the answer (a sync
    # dependency and a sync route would take two).
    return await run_in_threadpool(_register, runtime, body, caller)


def _register(runtime, body: schemas.RegisterInBulkRequest, caller: Caller):
    outcomes = register_presences(runtime, caller, Channel.REST, Regime.CLOCKING,
                                  [submission(item) for item in body.items])
    return render.json_response(render.registered(outcomes))


@router.get("/presenceRegistrations/{id}", operation_id="getPresenceRegistration",
            response_model=schemas.Presence, response_model_exclude_none=True,
            responses=problem_responses(400, 401, 403, 404), tags=["presenceRegistrations"],
            summary="One registration with its status, validity, remarks and shift")
def get_one(id: Annotated[str, PRESENCE_ID], caller: Consultant, runtime: RuntimeDep):
    view = get_presence(runtime, caller, int(id))
    if view is None:
        raise problems.not_found("no such presence registration among those you may consult")
    return render.presence(view, shifts_of(runtime, caller, [view]).get(view.id))


@router.post("/presenceRegistrations/search", operation_id="searchPresenceRegistrations",
             response_model=schemas.SearchPage, response_model_exclude_none=True,
             responses=problem_responses(400, 401, 403, 413, 415), tags=["presenceRegistrations"],
             summary="Paged search within the registrations the caller may consult")
def search(request: Request, body: schemas.SearchRequest, caller: Consultant, runtime: RuntimeDep,
           page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
           page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 50):
    sort = Sort(SORT_KEYS[body.sort.field], body.sort.order == "desc") if body.sort else Sort()
    result = search_presences(runtime, caller, criteria(body.criteria), Page((page - 1) * page_size, page_size),
                              sort)
    shifts = shifts_of(runtime, caller, result.items)
    total_pages = math.ceil(result.total / page_size)
    next_url = str(request.url.include_query_params(page=page + 1, pageSize=page_size)) \
        if page < total_pages else None
    return schemas.SearchPage(items=[render.presence(v, shifts.get(v.id)) for v in result.items], page=page,
                              page_size=page_size, total=result.total, total_pages=total_pages, next=next_url)


@router.post("/presenceRegistrations/{id}/cancel", operation_id="cancelPresenceRegistration",
             response_model=schemas.Presence, response_model_exclude_none=True,
             responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
             tags=["presenceRegistrations"],
             summary="Cancel a registration (until the end of the day after its date)")
def cancel(id: Annotated[str, PRESENCE_ID], body: schemas.CancelRequest, caller: Enterprise,
           runtime: RuntimeDep):
    [outcome] = cancel_presences(runtime, caller, Channel.REST, [CancelRequest(id, body.reason)])
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


# --- reference data ---------------------------------------------------------------------------------------

@router.get("/refData/remarks", operation_id="listRemarks", response_model=schemas.RefDataList,
            responses=problem_responses(401, 403), tags=["refData"], summary="The remark catalogue")
def remarks(caller: Consultant):
    return schemas.RefDataList(items=[render.remark(code) for code in CATALOGUE])


@router.get("/refData/remarks/{code}", operation_id="getRemark", response_model=schemas.RefDataEntry,
            responses=problem_responses(400, 401, 403, 404), tags=["refData"], summary="One remark")
def remark(code: Annotated[str, Path(max_length=20)], caller: Consultant):
    try:
        return render.remark(RemarkCode(code.upper()))
    except ValueError:
        raise problems.not_found("no remark has this code") from None


@router.get("/refData/activities", operation_id="listActivities", response_model=schemas.RefDataList,
            responses=problem_responses(401, 403), tags=["refData"], summary="The activity catalogue")
def activities(caller: Consultant):
    return schemas.RefDataList(items=[render.activity(code) for code in ACTIVITIES])


@router.get("/refData/activities/{code}", operation_id="getActivity", response_model=schemas.RefDataEntry,
            responses=problem_responses(400, 401, 403, 404), tags=["refData"], summary="One activity")
def activity(code: Annotated[str, Path(max_length=40)], caller: Consultant):
    if code.upper() not in ACTIVITIES:
        raise problems.not_found("no activity has this code")
    return render.activity(code.upper())


# --- parsing ----------------------------------------------------------------------------------------------

def submission(item: schemas.SubmissionItem) -> Submission:
    """A registerInBulk item as the services take it."""
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


def criteria(given: schemas.Criteria) -> SearchCriteria:
    """A search's criteria as the services take them (identifiers checked: `InvalidRequest`)."""
    period = given.registration_date
    start, end = period.start_date, period.end_date
    employer = given.employer
    return search_criteria(
        [(render.local(start).date(), render.local(end).date())],
        instants=(start, end),
        inss=given.ssin,
        enterprise_number=employer and employer.enterprise_number,
        foreign_vat=employer and employer.foreign_vat_number,
        workplace=given.contractual_relationship_reference,
        direction=given.type.lower() if given.type else None,
        lifecycles=[Lifecycle(given.status)] if given.status else [],
        validities=[Validity(given.validity)] if given.validity else [],
        remarks=list(given.remarks or []),
        activity=given.activity.upper() if given.activity else None,
    )
