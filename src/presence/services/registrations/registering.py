"""Register a batch of presences: formal checks per item, then the accepted ones stored in one transaction
with the job that will check their content."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db.bulk import together
from ...db.engine import Database
from ...db.registrations import insert_registrations
from ...domain.channels import Channel
from ...domain.errors import ErrorCode, ItemError, check_batch_size
from ...domain.registration import CheckedSubmission, Submission, check_submission
from ...domain.sectors import Regime, Sector, regime_of
from ...domain.statuses import Lifecycle, Validity
from ...domain.texts import N_
from ...domain.visibility import Caller, may_register, may_register_person
from ...jobs.queue import enqueue
from ...sources.models import Enterprise, WorkDeclaration
from .. import audit
from ..access import replays
from ..errors import NotAllowed
from ..runtime import Runtime
from .views import PresenceView

CHECK_JOB = "check"

# What this process learnt of each database, believed for good. Enterprise numbers known to the enterprise
# register: its rows are never deleted (importers upsert, a struck-off enterprise keeps its row with an end
# date), so a number once found stays found. The sectors of work declarations: a declaration keeps its sector.
_KNOWN_ENTERPRISES: weakref.WeakKeyDictionary[Database, set[str]] = weakref.WeakKeyDictionary()
_DECLARATION_SECTORS: weakref.WeakKeyDictionary[Database, dict[str, int]] = weakref.WeakKeyDictionary()


def check_payload(ids: list[int], trigger: str, days: Iterable[date] | None = None) -> dict:
    """A check job's payload: the registrations, what made them due, and their registration dates when known
    (the check then reads only those months' partitions)."""
    payload = {"ids": ids, "trigger": trigger}
    if days is not None:
        payload["days"] = sorted({day.isoformat() for day in days})
    return payload

WRONG_REGIME = {
    Regime.DAY: N_("work-declaration number: a cleaning workplace, where check-ins and check-outs are registered "
                   "(REST service), not days"),
    Regime.CLOCKING: N_("work-declaration number: a construction or meat workplace, where presence is registered "
                        "per day (SOAP service), not by check-in and check-out"),
}


@dataclass(frozen=True)
class Accepted:
    presence: PresenceView


@dataclass(frozen=True)
class Refused:
    errors: tuple[ItemError, ...]


def register_presences(runtime: Runtime, caller: Caller, channel: Channel, regime: Regime,
                       submissions: list[Submission], message: replays.SignedMessage | None = None,
                       made_at: datetime | None = None, also: Callable[[Session], None] | None = None,
                       ) -> list[Accepted | Refused]:
    """One outcome per submission, in the same order. Raises `BatchSizeError` for 0 or more than 200 items
    and `NotAllowed` when the caller may not register at all; otherwise stores every acceptable item.

    `message`: the signed message that asks for this, recorded with the registrations (`AlreadyReceived`, and
    nothing stored, when it was before). `made_at`: when a gateway kiosk made them while the registry could not
    be reached (the rules judge them, and they are stamped, as of then). `also`: done first in the same
    transaction (what it raises stores nothing)."""
    check_batch_size(len(submissions))
    if not may_register(caller):
        raise NotAllowed("this account may not register presences")
    now = made_at or runtime.clock.now()
    checked = [check_submission(s, regime, channel, now) for s in submissions]
    runtime.db.ensure_months(c.registration_date for c in checked if isinstance(c, CheckedSubmission))

    with runtime.db.writing() as session:
        if message is not None:
            replays.record(session, message, now)
        if also is not None:
            also(session)
        known = _known_enterprises(runtime, session, {
            c.enterprise_number for c in checked if isinstance(c, CheckedSubmission) and c.enterprise_number})

        sectors = _declaration_sectors(runtime, session, {
            c.workplace for c in checked if isinstance(c, CheckedSubmission)})
        outcomes: list[CheckedSubmission | list[ItemError]] = []
        for item in checked:
            if isinstance(item, CheckedSubmission):
                errors = []
                sector = sectors.get(item.workplace)
                if sector is not None and regime_of(Sector(sector)) is not regime:
                    errors.append(ItemError.of(ErrorCode.WORKPLACE_INVALID, "workplace", WRONG_REGIME[regime]))
                if item.enterprise_number and item.enterprise_number not in known:
                    errors.append(ItemError.of(ErrorCode.ENTERPRISE_UNKNOWN, "enterprise_number",
                                               N_("enterprise number: unknown to the enterprise register")))
                if not may_register_person(caller, item.inss, item.limosa_id):
                    errors.append(ItemError.of(ErrorCode.NOT_ALLOWED_FOR_PERSON, "inss",
                                               N_("person: you may only register yourself")))
                item = errors or item
            outcomes.append(item)

        rows = [registration_row(item, caller, channel, sectors.get(item.workplace), now)
                for item in outcomes if isinstance(item, CheckedSubmission)]
        if rows:
            ids = insert_registrations(session, rows)
            with together(session):
                audit.record(session, caller, channel, "registration.created", "registration", ids, now)
                days = {r["registration_date"] for r in rows}
                enqueue(session, CHECK_JOB, [check_payload(ids, "registration", days)], now)

    stored = iter(rows)
    results: list[Accepted | Refused] = []
    for item in outcomes:
        if isinstance(item, CheckedSubmission):
            results.append(Accepted(PresenceView.from_row(next(stored))))
        else:
            results.append(Refused(tuple(item)))
    return results


def _known_enterprises(runtime: Runtime, session, numbers: set[str]) -> set[str]:
    """Those of `numbers` the enterprise register knows."""
    known = _KNOWN_ENTERPRISES.setdefault(runtime.db, set())
    missing = numbers - known
    if missing:
        number = Enterprise.__table__.c.number  # Core, not ORM: no entities to load, less to compile
        known.update(session.connection().scalars(select(number).where(number.in_(missing))))
    return numbers & known


def _declaration_sectors(runtime: Runtime, session, numbers: set[str]) -> dict[str, int]:
    """The sector of each of these workplaces that has a work declaration (unknown ones are left out: the
    checks will say so)."""
    sectors = _DECLARATION_SECTORS.setdefault(runtime.db, {})
    missing = numbers - sectors.keys()
    if missing:
        declaration = WorkDeclaration.__table__.c
        sectors.update(session.connection().execute(select(declaration.number, declaration.sector)
                                                    .where(declaration.number.in_(missing))).all())
    return {number: sectors[number] for number in numbers if number in sectors}


def registration_row(item: CheckedSubmission, caller: Caller, channel: Channel, sector: int | None, now) -> dict:
    address = item.address
    return {
        "regime": str(item.regime),
        "sector": sector,
        "registration_date": item.registration_date,
        "clocked_at": item.clocked_at,
        "direction": item.direction if item.regime is Regime.CLOCKING else None,
        "inss": item.inss,
        "limosa_id": item.limosa_id,
        "enterprise_number": item.enterprise_number,
        "foreign_vat": item.foreign_vat,
        "workplace": item.workplace,
        "client_reference": item.client_reference,
        "activity": item.activity,
        "latitude": item.latitude,
        "longitude": item.longitude,
        "post_code": address.post_code if address else None,
        "municipality": address.municipality if address else None,
        "street": address.street if address else None,
        "house_number": address.house_number if address else None,
        "box": address.box if address else None,
        "channel": str(channel),
        "sender_enterprise": caller.enterprise,
        "sender_id": caller.sender_id,
        "sender_user_type": caller.user_type,
        "created_at": now,
        "lifecycle": Lifecycle.REGISTERED,
        "lifecycle_at": now,
        "validity": Validity.PENDING,
        "remark_codes": "",
        "validated_at": None,
        "cancellation_reason": None,
        "within_radius": item.within_radius,
    }
