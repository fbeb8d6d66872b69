"""The REST contract's JSON shapes (the official OpenAPI's names), camelCase on the wire.

Request models check the *shape* only (JSON types, required properties, exactly-one-of); the content of an item
(check digits, real-time window, codes) is checked by the services and refused per item. The OpenAPI document is
generated from these models, so every shape rule is one the document states too: exactly-one-of as `oneOf`,
numbers that are JSON numbers (not strings, not booleans, finite), date-times that are JSON strings, and text
without NUL characters (PostgreSQL cannot store them) nor lone surrogates (not Unicode).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from ...clock import start_of_belgian_day
from ...domain.errors import MAX_BATCH
from ...domain.remarks import RemarkCode


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# --- request scalars -------------------------------------------------------------------------------------

# Text: any character but NUL. (The pattern also makes pydantic refuse a lone surrogate, which no database
# stores and no JSON answer can echo.)
NO_NUL = r"^[^\x00]*$"


def text(default: Any = ..., *, max_length: int, **options) -> Any:
    return Field(default, max_length=max_length, pattern=options.pop("pattern", NO_NUL), **options)


def coordinate(limit: int) -> Any:
    """A finite JSON number (pydantic would also take `true` or `"4.35"`) within ±limit."""
    return Field(ge=-limit, le=limit, strict=True, allow_inf_nan=False)


# Instants are kept within these bounds (UTC), so that converting one to UTC or to Belgian time cannot overflow;
# an instant beyond them lies centuries away from any registration or search and is handled as the bound is.
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def _instant(value: Any) -> Any:
    """A date-time is a JSON string (pydantic would also take a number of seconds since 1970)."""
    if not isinstance(value, str):
        raise ValueError("give a date-time string (RFC 3339, with its offset from UTC)")
    return value


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _within_bounds(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        return value  # without offset: refused by the services, per item, or by AwareDatetime
    naive = value.replace(tzinfo=None)
    if naive < EARLIEST.replace(tzinfo=None) + offset:
        return EARLIEST
    if naive > LATEST.replace(tzinfo=None) + offset:
        return LATEST
    return value


class _Bounded:
    """`Annotated` marker: after parsing, an instant beyond EARLIEST..LATEST becomes the bound."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(_within_bounds, handler(source))


Instant = Annotated[datetime, BeforeValidator(_instant), _Bounded]


def _exactly_one_of(*names: str) -> dict:
    """JSON Schema for "exactly one of these properties, not null"."""
    return {"oneOf": [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names]}


# --- shared parts ------------------------------------------------------------------------------------------

class Employer(Model):
    """Exactly one of a Belgian enterprise number (10 digits, starting 0 or 1) or a foreign VAT number."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_of("enterpriseNumber", "foreignVatNumber"))

    enterprise_number: str | None = text(None, max_length=20)
    foreign_vat_number: str | None = text(None, max_length=30)

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.enterprise_number is None) == (self.foreign_vat_number is None):
            raise ValueError("give exactly one of enterpriseNumber and foreignVatNumber")
        return self


class Coordinates(Model):
    """WGS84."""

    longitude: float = coordinate(180)
    latitude: float = coordinate(90)


class Address(Model):
    post_code: str = text(max_length=10)
    municipality_name: str = text(max_length=200)
    street_name: str = text(max_length=200)
    house_number: str = text(max_length=40)
    box_number: str | None = text(None, max_length=40)


class PlaceOfWork(Model):
    """Exactly one of `coordinates` and `address`."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_of("coordinates", "address"))

    coordinates: Coordinates | None = None
    address: Address | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.coordinates is None) == (self.address is None):
            raise ValueError("give exactly one of coordinates and address")
        return self


class Labels(Out):
    fr: str
    nl: str
    de: str
    en: str


# --- registerInBulk ---------------------------------------------------------------------------------------

class SubmissionItem(Model):
    registration_date: Instant = Field(description="The instant of the check-in or check-out, with its offset "
                                                   "from UTC; at most 10 minutes before the request arrives.")
    ssin: str = text(max_length=20, description="INSS/BIS number, 11 digits.")
    type: str = text(max_length=10, description="`in` or `out` (either case).")
    employer: Employer
    place_of_work: PlaceOfWork
    contractual_relationship_reference: str = text(
        max_length=20, description="The 13-character work-declaration number of the cleaning workplace.")
    custom_reference: str | None = text(None, max_length=200)
    activity: str | None = text(None, max_length=40, description="A code of `/refData/activities`.")


class RegisterInBulkRequest(Model):
    items: list[SubmissionItem] = Field(min_length=1, max_length=MAX_BATCH)


class ItemErrorOut(Out):
    error_code: str = Field(description="The registry's error code (the SOAP service's numbering).")
    error_description: str


class NotCreated(Out):
    error_list: list[ItemErrorOut]


class Worker(Out):
    given_name: str
    family_name: str


class EmployerOut(Out):
    enterprise_number: str | None = None
    foreign_vat_number: str | None = None


class AddressOut(Out):
    post_code: str
    municipality_name: str
    street_name: str
    house_number: str
    box_number: str | None = None


class CoordinatesOut(Out):
    longitude: float
    latitude: float


class PlaceOfWorkOut(Out):
    coordinates: CoordinatesOut | None = None
    address: AddressOut | None = None


class Status(Out):
    code: Literal["registered", "edited", "cancelled"]
    date: datetime


class RefDataEntry(Out):
    code: str
    labels: Labels


class Break(Out):
    start: datetime
    end: datetime


class ShiftOut(Out):
    """The shift (check-in/check-out pairs of the same person at the same workplace) this clocking belongs to."""

    start: datetime
    end: datetime | None = Field(None, description="Absent while the shift is open or when its out was forgotten.")
    breaks: list[Break]
    worked_duration: str = Field(description="ISO 8601 duration, e.g. PT7H30M.")
    open: bool
    forgotten_out: bool


class Presence(Out):
    id: str
    registration_date: datetime
    ssin: str | None = None
    type: Literal["in", "out"] | None = None
    worker: Worker | None = None
    employer: EmployerOut
    place_of_work: PlaceOfWorkOut | None = None
    contractual_relationship_reference: str
    activity: str | None = None
    channel: str
    custom_reference: str | None = None
    status: Status
    validity: Literal["pending", "valid", "invalid"]
    remarks: list[RefDataEntry]
    shift: ShiftOut | None = None


class ResultItem(Out):
    """Exactly one of the two."""

    created_presence_registration: Presence | None = None
    not_created_presence_registration: NotCreated | None = None


class RegisterInBulkResponse(Out):
    items: list[ResultItem]


# --- search -----------------------------------------------------------------------------------------------

def _day_bound(end: bool):
    """A plain date (`2026-03-03`) as the instant its Belgian day starts, or (`end`) the last microsecond before
    the next day starts; any other value is left to the date-time parsing."""

    def bound(value: Any) -> Any:
        if not isinstance(value, str) or not _DAY.fullmatch(value):
            return _instant(value)
        day = date.fromisoformat(value)  # ValueError (a 30 February): a validation error naming the field
        if day <= EARLIEST.date() or day >= LATEST.date():
            return EARLIEST if day <= EARLIEST.date() else LATEST
        if end:
            return start_of_belgian_day(day + timedelta(days=1)) - timedelta(microseconds=1)
        return start_of_belgian_day(day)

    return bound


_DATE_OR_INSTANT = WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"},
                                             {"type": "string", "format": "date"}]})


class Period(Model):
    """Instants with their offset, or plain dates: `startDate` then from the start of that Belgian day,
    `endDate` to the end of that Belgian day."""

    start_date: Annotated[AwareDatetime, BeforeValidator(_day_bound(end=False)), _Bounded, _DATE_OR_INSTANT]
    end_date: Annotated[AwareDatetime, BeforeValidator(_day_bound(end=True)), _Bounded, _DATE_OR_INSTANT]


class Criteria(Model):
    registration_date: Period
    ssin: str | None = text(None, max_length=20)
    employer: Employer | None = None
    contractual_relationship_reference: str | None = text(None, max_length=20)
    type: str | None = text(None, max_length=3, pattern=r"^([Ii][Nn]|[Oo][Uu][Tt])$",
                            description="`in` or `out` (either case).")
    status: Literal["registered", "edited", "cancelled"] | None = None
    validity: Literal["pending", "valid", "invalid"] | None = None
    remarks: list[RemarkCode] | None = Field(None, max_length=len(RemarkCode), description="Any of these.")
    activity: str | None = text(None, max_length=40)


SortField = Literal["id", "registrationDate", "creationDate", "status", "contractualRelationshipReference",
                    "employer", "channel"]


class SortSpec(Model):
    field: SortField = "id"
    order: Literal["asc", "desc"] = "asc"


class SearchRequest(Model):
    criteria: Criteria
    sort: SortSpec | None = None


class SearchPage(Out):
    items: list[Presence]
    page: int
    page_size: int
    total: int
    total_pages: int
    next: str | None = Field(None, description="The URL of the next page; absent on the last.")


# --- cancel -----------------------------------------------------------------------------------------------

class CancelRequest(Model):
    reason: str = text(max_length=20, description="HOLIDAY, DISEASE, PLANNING or C32A (either case).")


# --- refData ----------------------------------------------------------------------------------------------

class RefDataList(Out):
    items: list[RefDataEntry]


# --- problems ---------------------------------------------------------------------------------------------

class Issue(Out):
    type: str
    title: str
    detail: str | None = None
    in_: Literal["body", "query", "path", "header"] | None = Field(None, alias="in")
    name: str | None = None
    value: str | int | float | bool | None = None


class Problem(Out):
    """RFC 9457 problem details, Belgif style."""

    type: str
    href: str | None = None
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    issues: list[Issue] | None = None
    request_id: str | None = Field(None, description="The request's id (also `X-Request-ID`), to quote to the "
                                                     "service desk: the server's log lines carry it")
