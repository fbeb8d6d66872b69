"""Corrections by the back office: the employer (or a self-employed person) asks within 30 days of the
registration date, with supporting documents; the back office edits the registration, whose status becomes
`edited`, and the values before and after stay in its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select

from ..clock import belgian_date
from ..db.models import Registration, Revision
from ..domain.channels import Channel
from ..domain.identifiers import (
    InvalidIdentifier,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_work_declaration_number,
)
from ..domain.registration import Direction
from ..domain.statuses import Lifecycle
from ..domain.timing import CORRECTION_DAYS, may_still_correct
from ..domain.visibility import Caller, CallerKind
from ..jobs.queue import enqueue
from . import audit
from .context import Registry
from .errors import InvalidRequest, NotAllowed, NotFound
from .registering import CHECK_JOB
from .views import PresenceView


@dataclass(frozen=True)
class Correction:
    """The values to change (None: unchanged)."""

    registration_date: date | None = None
    clocked_at: datetime | None = None
    direction: str | None = None
    inss: str | None = None
    enterprise_number: str | None = None
    foreign_vat: str | None = None
    workplace: str | None = None


def correct_presence(registry: Registry, caller: Caller, registration_id: int, correction: Correction,
                     justification: str) -> PresenceView:
    if caller.kind not in (CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        raise NotAllowed("only the service's back office corrects registrations")
    if not justification or not justification.strip():
        raise InvalidRequest("a correction needs its justification (the supporting documents)", "justification")
    changes = _parse(correction)
    if not changes:
        raise InvalidRequest("nothing to correct", "correction")
    now = registry.clock.now()
    with registry.db.writing() as session:
        query = select(Registration).where(Registration.id == registration_id)
        if registry.db.is_postgresql:
            query = query.with_for_update()
        registration = session.scalar(query)
        if registration is None:
            raise NotFound("no such registration")
        if registration.lifecycle == Lifecycle.CANCELLED:
            raise InvalidRequest("a cancelled registration cannot be corrected", "registration_id")
        if not may_still_correct(registration.registration_date, belgian_date(now)):
            raise InvalidRequest(f"corrections are requested within {CORRECTION_DAYS} days of the registration "
                                 "date", "registration_date")
        if "enterprise_number" in changes:
            changes["foreign_vat"] = None
        elif "foreign_vat" in changes:
            changes["enterprise_number"] = None
        if "clocked_at" in changes:
            changes["registration_date"] = belgian_date(changes["clocked_at"])
        before = {key: _plain(getattr(registration, key)) for key in changes}
        after = {key: _plain(value) for key, value in changes.items()}
        for key, value in changes.items():
            setattr(registration, key, value)
        registration.lifecycle = str(Lifecycle.EDITED)
        registration.lifecycle_at = now
        session.execute(insert(Revision), [{"registration_id": registration.id, "revised_at": now,
                                            "actor": caller.sender_id or str(caller.kind),
                                            "justification": justification.strip(), "before": before,
                                            "after": after}])
        audit.record(session, caller, Channel.BACK_OFFICE, "registration.corrected", "registration",
                     [registration.id], now, {"fields": sorted(changes)})
        enqueue(session, CHECK_JOB, [{"ids": [registration.id], "trigger": "correction"}], now)
        view = PresenceView.from_row(registration)
    registry.db.jobs_queued.set()
    return view


def _parse(correction: Correction) -> dict:
    parsers = {
        "inss": parse_inss,
        "enterprise_number": parse_enterprise_number,
        "foreign_vat": parse_foreign_vat,
        "workplace": parse_work_declaration_number,
    }
    changes = {}
    for key, parser in parsers.items():
        value = getattr(correction, key)
        if value is not None:
            try:
                changes[key] = parser(value)
            except InvalidIdentifier as error:
                raise InvalidRequest(str(error), key) from None
    if correction.registration_date is not None:
        changes["registration_date"] = correction.registration_date
    if correction.clocked_at is not None:
        if correction.clocked_at.tzinfo is None:
            raise InvalidRequest("give the instant with its offset from UTC", "clocked_at")
        changes["clocked_at"] = correction.clocked_at
    if correction.direction is not None:
        if correction.direction not in Direction.ALL:
            raise InvalidRequest("type: in or out", "direction")
        changes["direction"] = correction.direction
    return changes


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value
