"""Consult registrations: one with its history, or a search. Always within the caller's visibility."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import and_, case, func, or_, select

from ...db import remarks
from ...db.models import Registration, Revision, Validation
from ...domain.remarks import RemarkCode, decode_codes
from ...domain.shifts import Shift, pair_each
from ...domain.statuses import Lifecycle, SoapStatus, Validity, state_of_soap_status
from ...domain.visibility import Caller, consultation_visibility
from ..errors import InvalidRequest, NotAllowed
from ..runtime import Runtime
from .checking import clocking_context
from .names import worker_names
from .views import PresenceView, RevisionView, ValidationView
from .visibility_filter import visibility_filter

MAX_RESULTS = 500  # per answer (SOAP contract); the total count is always given
MAX_PERIODS = 31


class SortKey(StrEnum):
    """The SOAP `SortCriteria` values."""

    ID = "ID"
    REGISTRATION_DATE = "REGISTRATION DATE"
    CREATION_DATE = "CREATION DATE"
    STATUS = "STATUS"
    PLACE_OF_WORK = "PLACE OF WORK"
    COMPANY_ID = "COMPANY ID"
    CHANNEL = "CHANNEL"
    SENDER_ID = "SENDER ID"


# The SOAP status, as one sortable value: registered (pending) < validated < failed < cancelled.
_STATUS_RANK = case(
    (Registration.lifecycle == str(Lifecycle.CANCELLED), 3),
    (Registration.validity == str(Validity.INVALID), 2),
    (Registration.validity == str(Validity.VALID), 1),
    else_=0,
)

# The receipt number as a sort key, not as the primary key's order: given `ORDER BY id LIMIT 50`, PostgreSQL may
# walk the primary key from the oldest registration and keep the rows that match, as if matches were spread
# evenly over the ids; but a search's period gathers them among the newest, so it reads years of registrations
# to fill a page. Sorted as an expression, the page is the top of what the indexes found.
_RECEIPT_ORDER = Registration.id + 0

_SORT_COLUMNS = {
    SortKey.ID: (_RECEIPT_ORDER,),
    SortKey.REGISTRATION_DATE: (Registration.registration_date, Registration.clocked_at),
    SortKey.CREATION_DATE: (Registration.created_at,),
    SortKey.STATUS: (_STATUS_RANK,),
    SortKey.PLACE_OF_WORK: (Registration.workplace,),
    SortKey.COMPANY_ID: (Registration.enterprise_number, Registration.foreign_vat),
    SortKey.CHANNEL: (Registration.channel,),
    SortKey.SENDER_ID: (Registration.sender_id,),
}


@dataclass
class SearchCriteria:
    """Every criterion of the SOAP and REST searches; all given criteria must hold."""

    periods: list[tuple[date, date]]  # registration dates, inclusive; mandatory, 1 to 31 periods
    instants: tuple[datetime, datetime] | None = None  # cleaning: the check-in/out instant, inclusive
    inss: str | None = None
    limosa_id: str | None = None
    enterprise_number: str | None = None
    foreign_vat: str | None = None
    workplace: str | None = None
    statuses: list[SoapStatus] = field(default_factory=list)  # any of
    lifecycles: list[Lifecycle] = field(default_factory=list)  # any of
    validities: list[Validity] = field(default_factory=list)  # any of
    remarks: list[RemarkCode] = field(default_factory=list)  # any of
    created_from: datetime | None = None
    created_to: datetime | None = None
    sector: int | None = None
    direction: str | None = None
    channel: str | None = None
    client_reference: str | None = None
    activity: str | None = None


@dataclass(frozen=True)
class Page:
    first_row: int = 0
    size: int = 50


@dataclass(frozen=True)
class Sort:
    key: SortKey = SortKey.ID
    descending: bool = False


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: list[PresenceView]
    page: Page


def _conditions(criteria: SearchCriteria, dialect: str) -> list:
    for name in ("created_from", "created_to"):
        value = getattr(criteria, name)
        if value is not None and value.tzinfo is None:
            raise InvalidRequest(f"{name}: an instant with its offset from UTC", name)
    if criteria.instants and any(i.tzinfo is None for i in criteria.instants):
        raise InvalidRequest("registration instants with their offset from UTC", "instants")
    if not 1 <= len(criteria.periods) <= MAX_PERIODS:
        raise InvalidRequest(f"give 1 to {MAX_PERIODS} registration periods", "periods")
    for start, end in criteria.periods:
        if start > end:
            raise InvalidRequest("a registration period ends before it starts", "periods")
    conditions = [or_(*(Registration.registration_date.between(s, e) for s, e in criteria.periods))]
    if criteria.instants:
        start, end = criteria.instants
        if start > end:
            raise InvalidRequest("the period ends before it starts", "registrationDate")
        conditions.append(or_(Registration.clocked_at.is_(None), Registration.clocked_at.between(start, end)))
    for column, value in (
        (Registration.inss, criteria.inss),
        (Registration.limosa_id, criteria.limosa_id),
        (Registration.enterprise_number, criteria.enterprise_number),
        (Registration.foreign_vat, criteria.foreign_vat),
        (Registration.workplace, criteria.workplace),
        (Registration.sector, criteria.sector),
        (Registration.direction, criteria.direction),
        (Registration.channel, criteria.channel),
        (Registration.client_reference, criteria.client_reference),
        (Registration.activity, criteria.activity),
    ):
        if value is not None:
            conditions.append(column == value)
    if criteria.statuses:
        either = []
        for status in criteria.statuses:
            lifecycle, validity = state_of_soap_status(status)
            if lifecycle is not None:
                either.append(Registration.lifecycle == str(lifecycle))
            else:
                either.append(and_(Registration.lifecycle != str(Lifecycle.CANCELLED),
                                   Registration.validity == str(validity)))
        conditions.append(or_(*either))
    if criteria.lifecycles:
        conditions.append(Registration.lifecycle.in_([str(v) for v in criteria.lifecycles]))
    if criteria.validities:
        conditions.append(Registration.validity.in_([str(v) for v in criteria.validities]))
    if criteria.remarks:
        conditions.append(remarks.any_of([str(code) for code in criteria.remarks], criteria.periods, dialect))
    if criteria.created_from:
        conditions.append(Registration.created_at >= criteria.created_from)
    if criteria.created_to:
        conditions.append(Registration.created_at <= criteria.created_to)
    return conditions


def _only_remarks(criteria: SearchCriteria) -> bool:
    """Whether the search asks for remarks over its periods and nothing else (the remark index answers it)."""
    return bool(criteria.remarks) and replace(criteria, periods=[], remarks=[]) == SearchCriteria(periods=[])


def search_presences(runtime: Runtime, caller: Caller, criteria: SearchCriteria, page: Page = Page(),
                     sort: Sort = Sort()) -> SearchResult:
    visibility = consultation_visibility(caller)
    if visibility is None:
        raise NotAllowed("this account may not consult registrations")
    if page.first_row < 0 or page.size < 0:
        raise InvalidRequest("pagination: first row and size are not negative", "pagination")
    page = Page(page.first_row, min(page.size, MAX_RESULTS))
    # Empty values last either way, on both engines (they disagree by default).
    order = [(c.desc() if sort.descending else c.asc()).nulls_last() for c in _SORT_COLUMNS[sort.key]]
    if sort.key is not SortKey.ID:
        order.append(Registration.id.desc() if sort.descending else Registration.id.asc())
    with runtime.db.reading() as session:
        where = [*_conditions(criteria, runtime.db.backend), visibility_filter(session, visibility)]
        by_remark = None
        if _only_remarks(criteria) and visibility.everything and sort.key is SortKey.ID and page.size:
            by_remark = remarks.page_of(session, [str(code) for code in criteria.remarks], criteria.periods,
                                        page.first_row, page.size, sort.descending)
        if by_remark is not None:
            total, rows = by_remark
        else:
            # The page and the total in one pass: the total is counted over the matches the page is sorted from.
            found = session.execute(
                select(Registration, func.count().over().label("total")).where(*where).order_by(*order)
                .offset(page.first_row).limit(page.size)
            ).all() if page.size else []
            rows = [row.Registration for row in found]
            total = found[0].total if found else \
                session.scalar(select(func.count()).select_from(Registration).where(*where))  # past the last page
        items = _with_details(session, caller, rows, history=True)
    return SearchResult(total, items, page)


def get_presence(runtime: Runtime, caller: Caller, registration_id: int) -> PresenceView | None:
    """The registration with its history, or None when it does not exist or is outside the caller's visibility."""
    visibility = consultation_visibility(caller)
    if visibility is None:
        raise NotAllowed("this account may not consult registrations")
    with runtime.db.reading() as session:
        row = session.scalar(select(Registration).where(Registration.id == registration_id,
                                                         visibility_filter(session, visibility)))
        if row is None:
            return None
        return _with_details(session, caller, [row], history=True)[0]


MAX_BY_IDS = 1_000


def presences_by_ids(runtime: Runtime, caller: Caller, ids: list[int]) -> list[PresenceView]:
    """These registrations (at most `MAX_BY_IDS`: the receipts of one submission), those the caller may see, in
    the order given; without their history."""
    visibility = consultation_visibility(caller)
    if visibility is None:
        raise NotAllowed("this account may not consult registrations")
    wanted = list(dict.fromkeys(ids))[:MAX_BY_IDS]
    if not wanted:
        return []
    with runtime.db.reading() as session:
        rows = session.scalars(select(Registration).where(Registration.id.in_(wanted),
                                                          visibility_filter(session, visibility))).all()
        found = {view.id: view for view in _with_details(session, caller, list(rows), history=False)}
    return [found[i] for i in wanted if i in found]


def _with_details(session, caller: Caller, rows: list[Registration], history: bool) -> list[PresenceView]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    dates = {r.registration_date for r in rows}  # so that only their months' history is read
    validations: dict[int, list[ValidationView]] = {i: [] for i in ids}
    revisions: dict[int, list[RevisionView]] = {i: [] for i in ids}
    if history:
        for v in session.scalars(select(Validation).where(Validation.registration_id.in_(ids),
                                                          Validation.registration_date.in_(dates))
                                 .order_by(Validation.registration_id, Validation.id)):
            validations[v.registration_id].append(
                ValidationView(v.validated_at, Validity(v.validity), tuple(decode_codes(v.remark_codes)), v.trigger))
        for r in session.scalars(select(Revision).where(Revision.registration_id.in_(ids),
                                                        Revision.registration_date.in_(dates))
                                 .order_by(Revision.registration_id, Revision.id)):
            revisions[r.registration_id].append(
                RevisionView(r.revised_at, r.actor, r.justification, r.before, r.after))
    names = worker_names(session, caller, rows)
    return [
        PresenceView.from_row(r, history=tuple(validations[r.id]), revisions=tuple(revisions[r.id]),
                              worker=names.get(r.id))
        for r in rows
    ]


def shifts_of(runtime: Runtime, caller: Caller, presences: list[PresenceView]) -> dict[int, Shift]:
    """The shift each of these clockings (cleaning) belongs to: in/out pairs of the same person at the same
    workplace, with breaks and worked time (`domain.shifts.pair`). Day registrations, cancelled clockings and
    clockings without a person number have none.

    A shift is paired from the clockings the caller may consult, never from others': an enterprise that
    registers an `out` for someone else's worker must not learn when he checked in, nor how long he worked."""
    visibility = consultation_visibility(caller)
    wanted = [p for p in presences if p.clocked_at is not None and p.direction and p.inss
              and p.lifecycle is not Lifecycle.CANCELLED]
    if not wanted or visibility is None:
        return {}
    with runtime.db.reading() as session:
        context = clocking_context(session, wanted, visibility_filter(session, visibility))
    found: dict[int, Shift] = {}
    for pairing in pair_each(context, runtime.clock.now()):
        for shift in pairing.shifts:
            for segment in shift.segments:
                for clocking in (segment.start, segment.end):
                    if clocking is not None:
                        found[clocking.registration_id] = shift
    return {p.id: found[p.id] for p in wanted if p.id in found}
