"""Services' views → REST shapes (no rule here: only names and formats)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from starlette.responses import Response

from ...clock import belgian_local, start_of_belgian_day
from ...domain.activities import ACTIVITIES
from ...domain.errors import ItemError
from ...domain.remarks import CATALOGUE, RemarkCode
from ...domain.shifts import Shift
from ...services.registrations.registering import Accepted, Refused
from ...services.registrations.views import PresenceView
from . import schemas

# ItemError.field (the services' names) → the REST field names (`issues[].name`).
FIELDS = {
    "inss": "ssin",
    "limosa_id": "ssin",
    "enterprise_number": "employer.enterpriseNumber",
    "foreign_vat": "employer.foreignVatNumber",
    "workplace": "contractualRelationshipReference",
    "clocked_at": "registrationDate",
    "registration_date": "registrationDate",
    "direction": "type",
    "place_of_work": "placeOfWork",
    "client_reference": "customReference",
    "activity": "activity",
    "registration_id": "id",
    "reason": "reason",
    "registrationDate": "criteria.registrationDate",
    "instants": "criteria.registrationDate",
    "periods": "criteria.registrationDate",
    "criteria.inss": "criteria.ssin",
    "criteria.enterprise_number": "criteria.employer.enterpriseNumber",
    "criteria.foreign_vat": "criteria.employer.foreignVatNumber",
    "criteria.workplace": "criteria.contractualRelationshipReference",
}
# Fields a service may refuse that REST takes in the query string (the others are in the body).
QUERY_FIELDS = frozenset({"latitude", "longitude", "radius"})


def json_response(answer: BaseModel) -> Response:
    """The answer as FastAPI would send it for the route's `response_model` (with `response_model_exclude_none`).
    Built and so validated already: FastAPI would validate it again, in one more hop to its threadpool."""
    return Response(answer.model_dump_json(by_alias=True, exclude_none=True), media_type="application/json")


def rest_name(field: str | None) -> str | None:
    return FIELDS.get(field or "", field)


def location(field: str | None) -> str:
    """Where a field the services name is, in a REST request: "query" or "body"."""
    return "query" if field in QUERY_FIELDS else "body"


def local(instant: datetime | None) -> datetime | None:
    """An instant with the Belgian offset of that moment."""
    return belgian_local(instant) if instant is not None else None


def duration(value: timedelta) -> str:
    """ISO 8601: PT7H30M, PT0S."""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
        f"{seconds}S" if seconds else "")
    return text if text != "PT" else "PT0S"


def remark(code: RemarkCode) -> schemas.RefDataEntry:
    return schemas.RefDataEntry(code=str(code), labels=schemas.Labels(**CATALOGUE[code].labels))


def activity(code: str) -> schemas.RefDataEntry:
    return schemas.RefDataEntry(code=code, labels=schemas.Labels(**ACTIVITIES[code]))


def shift(value: Shift) -> schemas.ShiftOut:
    return schemas.ShiftOut(start=local(value.start), end=local(value.end),
                            breaks=[schemas.Break(start=local(a), end=local(b)) for a, b in value.breaks],
                            worked_duration=duration(value.worked), open=value.open,
                            forgotten_out=value.forgotten_out)


def presence(view: PresenceView, shift_of: Shift | None = None) -> schemas.Presence:
    if view.address is not None:
        a = view.address
        place = schemas.PlaceOfWorkOut(address=schemas.AddressOut(
            post_code=a.post_code, municipality_name=a.municipality, street_name=a.street, house_number=a.house_number,
            box_number=a.box))
    elif view.latitude is not None and view.longitude is not None:
        place = schemas.PlaceOfWorkOut(coordinates=schemas.CoordinatesOut(longitude=view.longitude,
                                                                          latitude=view.latitude))
    else:
        place = None
    return schemas.Presence(
        id=str(view.id),
        registration_date=local(view.clocked_at or start_of_belgian_day(view.registration_date)),
        ssin=view.inss,
        type=view.direction,
        worker=schemas.Worker(given_name=view.worker.given_name, family_name=view.worker.family_name)
        if view.worker else None,
        employer=schemas.EmployerOut(enterprise_number=view.enterprise_number, foreign_vat_number=view.foreign_vat),
        place_of_work=place,
        contractual_relationship_reference=view.workplace,
        activity=view.activity,
        channel=view.channel,
        custom_reference=view.client_reference,
        status=schemas.Status(code=str(view.lifecycle), date=local(view.lifecycle_at)),
        validity=str(view.validity),
        remarks=[remark(code) for code in view.remarks],
        shift=shift(shift_of) if shift_of is not None else None,
    )


def errors(items: tuple[ItemError, ...]) -> schemas.NotCreated:
    return schemas.NotCreated(error_list=[schemas.ItemErrorOut(error_code=str(e.code), error_description=e.message)
                                          for e in items])


def registered(outcomes: list[Accepted | Refused]) -> schemas.RegisterInBulkResponse:
    """registerInBulk's answer: one result per item, in the same order."""
    return schemas.RegisterInBulkResponse(items=[
        schemas.ResultItem(created_presence_registration=presence(o.presence)) if isinstance(o, Accepted)
        else schemas.ResultItem(not_created_presence_registration=errors(o.errors)) for o in outcomes])
