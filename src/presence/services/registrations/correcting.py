"""Corrections by the back office: the employer (or a self-employed person) asks within 30 days of the
registration date, with supporting documents; the back office edits the registration, whose status becomes
`edited`, and the values before and after stay in its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from ...clock import belgian_date
from ...db.locking import for_update
from ...db.models import Registration, Revision, Validation
from ...domain.channels import Channel
from ...domain.identifiers import (
    InvalidIdentifier,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_limosa_id,
    parse_work_declaration_number,
)
from ...domain.registration import Direction
from ...domain.sectors import Regime
from ...domain.statuses import Lifecycle, Validity
from ...domain.timing import CORRECTION_DAYS, may_still_correct
from ...domain.visibility import Caller, CallerKind
from ...jobs.queue import enqueue
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..runtime import Runtime
from .checking import dependents_of
from .registering import CHECK_JOB, check_payload
from .views import PresenceView

_PARSERS = {
    "inss": parse_inss,
    "limosa_id": parse_limosa_id,
    "enterprise_number": parse_enterprise_number,
    "foreign_vat": parse_foreign_vat,
    "workplace": parse_work_declaration_number,
}
# A new person or enterprise replaces the identifiers it excludes.
_REPLACES = {
    "inss": ("limosa_id",),
    "limosa_id": ("inss", "enterprise_number", "foreign_vat"),
    "enterprise_number": ("foreign_vat",),
    "foreign_vat": ("enterprise_number",),
}
_FIELDS_OF = {
    Regime.DAY: {"registration_date", "inss", "limosa_id", "enterprise_number", "foreign_vat", "workplace"},
    Regime.CLOCKING: {"clocked_at", "direction", "inss", "enterprise_number", "foreign_vat", "workplace"},
}


@dataclass(frozen=True)
class Correction:
    """The values to change (None: unchanged)."""

    registration_date: date | None = None  # day regime
    clocked_at: datetime | None = None  # clocking regime (the date follows)
    direction: str | None = None  # clocking regime
    inss: str | None = None
    limosa_id: str | None = None
    enterprise_number: str | None = None
    foreign_vat: str | None = None
    workplace: str | None = None


def correct_presence(runtime: Runtime, caller: Caller, registration_id: int, correction: Correction,
                     justification: str, requested_on: date | None = None) -> PresenceView:
    """Apply a correction requested on `requested_on` (default today). The registration is checked again."""
    if caller.kind not in (CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        raise NotAllowed("only the service's back office corrects registrations")
    if not justification or not justification.strip():
        raise InvalidRequest("a correction needs its justification (the supporting documents)", "justification")
    now = runtime.clock.now()
    today = belgian_date(now)
    requested_on = requested_on or today
    if requested_on > today:
        raise InvalidRequest("the request date is in the future", "requested_on")
    changes = _parse(correction)
    if not changes:
        raise InvalidRequest("nothing to correct", "correction")
    new_date = belgian_date(changes["clocked_at"]) if "clocked_at" in changes else changes.get("registration_date")
    if new_date is not None:
        runtime.db.ensure_months([new_date])
    with runtime.db.writing() as session:
        registration = session.scalar(for_update(session, select(Registration).where(
            Registration.id == registration_id)))
        if registration is None:
            raise NotFound("no such registration")
        if registration.lifecycle == Lifecycle.CANCELLED:
            raise InvalidRequest("a cancelled registration cannot be corrected", "registration_id")
        if not may_still_correct(registration.registration_date, requested_on):
            raise InvalidRequest(f"corrections are requested within {CORRECTION_DAYS} days of the registration "
                                 "date", "requested_on")
        regime = Regime(registration.regime)
        refused = sorted(set(changes) - _FIELDS_OF[regime])
        if refused:
            raise InvalidRequest(f"not a field of a {regime} registration: {', '.join(refused)}", refused[0])
        for field in list(changes):
            for excluded in _REPLACES.get(field, ()):
                changes.setdefault(excluded, None)
        if "clocked_at" in changes:
            changes["registration_date"] = new_date
        _check_identity({name: changes.get(name, getattr(registration, name))
                         for name in ("inss", "limosa_id", "enterprise_number", "foreign_vat")})

        dependents = dependents_of(session, [registration])  # of the old values
        before = {key: _plain(getattr(registration, key)) for key in changes}
        after = {key: _plain(value) for key, value in changes.items()}
        for key, value in changes.items():
            setattr(registration, key, value)
        registration.lifecycle = str(Lifecycle.EDITED)
        registration.lifecycle_at = now
        registration.validity = str(Validity.PENDING)  # until the checks ran on the new values
        registration.remark_codes = ""
        if "registration_date" in changes:
            _history_follows(session, registration)
        session.add(Revision(registration_id=registration.id, registration_date=registration.registration_date,
                             revised_at=now,
                             actor=caller.sender_id or str(caller.kind), justification=justification.strip(),
                             before=before, after=after))
        audit.record(session, caller, Channel.BACK_OFFICE, "registration.corrected", "registration",
                     [registration.id], now, {"fields": sorted(changes), "requested_on": requested_on.isoformat()})
        enqueue(session, CHECK_JOB, [check_payload([registration.id], "correction", [registration.registration_date])],
                now)
        if dependents:
            enqueue(session, CHECK_JOB, [{"ids": sorted(dependents), "trigger": "correction"}], now)
        session.flush()
        view = PresenceView.from_row(registration)
    return view


def _history_follows(session, registration: Registration) -> None:
    """The registration's history takes its new date. (PostgreSQL's foreign keys carry it there already, moving
    it to the month's partition; SQLite's refer to the id alone.)"""
    session.flush()
    for model in (Validation, Revision):
        session.execute(update(model).where(model.registration_id == registration.id)
                        .values(registration_date=registration.registration_date))


def _parse(correction: Correction) -> dict:
    changes = {}
    for key, parser in _PARSERS.items():
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


def _check_identity(values: dict) -> None:
    """The rule of every registration: a person (INSS/BIS with one enterprise, or a Limosa number alone)."""
    if values["limosa_id"]:
        if values["inss"] or values["enterprise_number"] or values["foreign_vat"]:
            raise InvalidRequest("a registration by Limosa number names no INSS and no enterprise", "limosa_id")
    elif not values["inss"]:
        raise InvalidRequest("a registration names an INSS/BIS number or a Limosa number", "inss")
    elif bool(values["enterprise_number"]) == bool(values["foreign_vat"]):
        raise InvalidRequest("a registration by INSS names one enterprise: an enterprise number or a foreign "
                             "VAT number", "enterprise_number")


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


