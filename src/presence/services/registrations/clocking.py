"""Check In and Out at Work on the worker's own phone (cleaning): for whom he works today, where he stands on a
workplace (checked in, on a break, out), and each check-in or check-out registered through the same service and
rules as the REST channel (real time: at most 10 minutes late, never ahead; the pairing remarks come from the
asynchronous checks). A break is a check-out then a check-in, as the official service records it.

His position is asked only with his consent; then only whether he stood within the declared workplace's radius
is kept, not the coordinates, unless the employer keeps positions (`EnterpriseSetting.keep_positions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from ...clock import belgian_date
from ...db.models import EnterpriseSetting, Registration
from ...domain.channels import Channel
from ...domain.localities import distance_m
from ...domain.registration import Address, Direction, Submission
from ...domain.sectors import Regime, Sector
from ...domain.shifts import MAX_BREAK, MAX_OPEN, Clocking, Shift, pair
from ...domain.statuses import Lifecycle
from ...domain.texts import N_
from ...domain.timing import CLOCKING_MAX_AHEAD
from ...domain.visibility import Caller, CallerKind
from ...sources.models import DimonaPeriod, Enterprise, LimosaDeclaration, Mandate, WorkDeclaration
from ..errors import NotAllowed
from ..runtime import Runtime
from .registering import Accepted, Refused, register_presences

RADIUS_M = 250  # *ours*: a cleaner on the premises stands within this distance of the declared point
BREAK = "BREAK"  # the reference of a check-out that starts a break (REST `customReference`), *ours*
MOMENTS = {"in": (Direction.IN, None), "break": (Direction.OUT, BREAK), "back": (Direction.IN, None),
           "out": (Direction.OUT, None)}  # what the worker taps: check in, start a break, end it, check out


@dataclass(frozen=True)
class Employer:
    """Someone the worker works for today: an employer with a Dimona, his own enterprise, or the foreign employer
    of his Limosa declaration."""

    number: str  # KBO/BCE number or foreign VAT number
    name: str
    why: str  # dimona | own | limosa


def employers_of(runtime: Runtime, inss: str, day: date) -> list[Employer]:
    """For whom a person works on `day`, as the sources say; asked only when there is more than one."""
    def active(model):
        return (model.starts_on <= day, or_(model.ends_on.is_(None), model.ends_on >= day))

    with runtime.db.reading() as session:
        found: dict[str, str] = {}
        for number in session.scalars(select(DimonaPeriod.employer).where(DimonaPeriod.inss == inss,
                                                                         *active(DimonaPeriod))):
            found.setdefault(number, "dimona")
        for number in session.scalars(select(Mandate.enterprise).where(Mandate.inss == inss, *active(Mandate))):
            found.setdefault(number, "own")
        for number in session.scalars(select(LimosaDeclaration.employer).where(
                LimosaDeclaration.inss == inss, LimosaDeclaration.starts_on <= day, LimosaDeclaration.ends_on >= day)):
            found.setdefault(number, "limosa")
        names = dict(session.execute(select(Enterprise.number, Enterprise.name)
                                     .where(Enterprise.number.in_(found))).all()) if found else {}
    return sorted((Employer(number, names.get(number, number), why) for number, why in found.items()),
                  key=lambda e: (e.why != "dimona", e.name))


@dataclass(frozen=True)
class Place:
    """A cleaning workplace as the worker sees it."""

    number: str
    address: str
    client_name: str
    street: str
    house_number: str
    post_code: str
    municipality: str
    latitude: float | None
    longitude: float | None


def cleaning_place(runtime: Runtime, number: str) -> Place | None:
    """The cleaning workplace of a declaration in force, or None."""
    with runtime.db.reading() as session:
        found = session.get(WorkDeclaration, (number or "").strip().upper()[:13])
        if found is None or found.cancelled_at is not None or Sector(found.sector) is not Sector.CLEANING:
            return None
        return Place(found.number, found.place.address, found.client_name, found.street, found.house_number,
                     found.post_code, found.municipality, found.latitude, found.longitude)


@dataclass(frozen=True)
class State:
    """Where a worker stands on a workplace now: `checked_in` (since `since`), or out; `on_break` when his last
    check-out is recent enough to be a break in the same shift."""

    checked_in: bool
    on_break: bool
    since: datetime | None
    shift: Shift | None
    last_employer: str | None


def state_of(runtime: Runtime, caller: Caller, workplace: str) -> State:
    """The worker's shift on this workplace, from his own live clockings of the last hours."""
    now = runtime.clock.now()
    low, high = now - MAX_OPEN, now + CLOCKING_MAX_AHEAD  # a phone's clock may run a little ahead
    with runtime.db.reading() as session:
        rows = session.execute(select(Registration.id, Registration.direction, Registration.clocked_at,
                                      Registration.enterprise_number, Registration.foreign_vat,
                                      Registration.client_reference).where(
            Registration.inss == caller.inss, Registration.workplace == workplace,
            Registration.regime == str(Regime.CLOCKING), Registration.lifecycle != str(Lifecycle.CANCELLED),
            Registration.registration_date.between(belgian_date(low), belgian_date(high)),
            Registration.clocked_at.between(low, high)).order_by(Registration.clocked_at, Registration.id)).all()
    if not rows:
        return State(False, False, None, None, None)
    pairing = pair([Clocking(r.id, r.direction, r.clocked_at) for r in rows], now)
    shift = pairing.shifts[-1] if pairing.shifts else None
    last = rows[-1]
    employer = last.enterprise_number or last.foreign_vat
    if last.direction == Direction.IN:
        return State(True, False, last.clocked_at, shift, employer)
    on_break = last.client_reference == BREAK and now - last.clocked_at <= MAX_BREAK
    return State(False, on_break, last.clocked_at, shift, employer)


@dataclass(frozen=True)
class Position:
    """Where the phone said it was, given with the worker's consent."""

    latitude: float
    longitude: float


def keeps_positions(runtime: Runtime, enterprise: str) -> bool:
    with runtime.db.reading() as session:
        setting = session.get(EnterpriseSetting, enterprise)
        return bool(setting and setting.keep_positions)


def clock(runtime: Runtime, caller: Caller, channel: Channel, place: Place, moment: str, employer: str,
          at: datetime, position: Position | None = None) -> Accepted | Refused:
    """Register what the worker tapped (`MOMENTS`) at `at`, the instant he tapped, for `employer`. Refused as
    through the REST channel when out of time; his position, if given, kept as the employer's setting says."""
    direction, reference = MOMENTS[moment]
    if caller.kind is not CallerKind.PERSON or not caller.inss:
        raise NotAllowed(N_("Only the worker himself checks in and out."))
    within = None
    latitude = longitude = None
    address = Address(place.post_code, place.municipality, place.street, place.house_number)
    if position is not None:
        if place.latitude is not None:
            within = distance_m(position.latitude, position.longitude, place.latitude, place.longitude) <= RADIUS_M
        if keeps_positions(runtime, employer):
            latitude, longitude, address = position.latitude, position.longitude, None
    number = employer if employer.isdigit() else None
    submission = Submission(workplace=place.number, inss=caller.inss, enterprise_number=number,
                            foreign_vat=None if number else employer, clocked_at=at, direction=direction,
                            latitude=latitude, longitude=longitude, address=address, within_radius=within,
                            client_reference=reference)
    [outcome] = register_presences(runtime, caller, channel, Regime.CLOCKING, [submission])
    return outcome


def set_keep_positions(runtime: Runtime, caller: Caller, keep: bool) -> None:
    """An enterprise's choice (its access managers'): keep its workers' positions at check-in, as their contracts
    may say, or only whether they stood on the workplace (the default)."""
    if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
        raise NotAllowed(N_("Only an enterprise's access managers choose this."))
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        setting = session.get(EnterpriseSetting, caller.enterprise)
        if setting is None:
            session.add(EnterpriseSetting(enterprise=caller.enterprise, keep_positions=keep, updated_at=now,
                                          updated_by=caller.sender_id))
        else:
            setting.keep_positions, setting.updated_at, setting.updated_by = keep, now, caller.sender_id
