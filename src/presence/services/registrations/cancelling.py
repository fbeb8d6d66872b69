"""Cancel registrations: per item, reason, id, visibility, right to cancel, state and cut-off."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...db.locking import for_update
from ...db.models import Registration
from ...domain.cancellation import parse_reason
from ...domain.channels import Channel
from ...domain.errors import ErrorCode, ItemError, check_batch_size
from ...domain.statuses import Lifecycle
from ...domain.texts import N_
from ...domain.timing import may_still_cancel
from ...domain.visibility import Caller, Parties, consultation_visibility, may_cancel
from ...jobs.queue import enqueue
from ...sources.models import LimosaDeclaration, WorkDeclaration
from .. import audit
from ..access import replays
from ..runtime import Runtime
from .checking import dependents_of
from .registering import CHECK_JOB
from .views import PresenceView
from .visibility_filter import visibility_filter

MAX_ID_DIGITS = 15  # SOAP: PresenceRegistrationId is a long of at most 15 digits


@dataclass(frozen=True)
class CancelRequest:
    registration_id: str | int
    reason: str | None


@dataclass(frozen=True)
class Cancelled:
    presence: PresenceView


@dataclass(frozen=True)
class NotCancelled:
    errors: tuple[ItemError, ...]


def _error(code: ErrorCode, message: str, field: str = "registration_id") -> NotCancelled:
    return NotCancelled((ItemError.of(code, field, message),))


def parse_registration_id(value: str | int) -> int | None:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS or int(text) <= 0:
        return None
    return int(text)


def cancellable(runtime: Runtime, caller: Caller, registration_id: int) -> bool:
    """Whether the caller may cancel this registration now (what `cancel_presences` would decide)."""
    with runtime.db.reading() as session:
        row = session.execute(
            select(Registration, WorkDeclaration.declaring_contractor, LimosaDeclaration.employer.label("posting"))
            .outerjoin(WorkDeclaration, WorkDeclaration.number == Registration.workplace)
            .outerjoin(LimosaDeclaration, LimosaDeclaration.number == Registration.limosa_id)
            .where(Registration.id == registration_id,
                   visibility_filter(session, consultation_visibility(caller)))).first()
    if row is None:
        return False
    return _refusal(caller, row, runtime.clock.now()) is None


def _refusal(caller: Caller, row, now) -> NotCancelled | None:
    """Why this registration (a row of `Registration`, its declaring contractor, its posting employer) may not
    be cancelled by the caller now; None when it may."""
    registration = row.Registration
    parties = Parties(registration.inss, registration.limosa_id,
                      registration.enterprise_number or registration.foreign_vat or row.posting,
                      registration.sender_enterprise, row.declaring_contractor)
    if not may_cancel(caller, parties):
        return _error(ErrorCode.NOT_ALLOWED, N_("you may consult this registration, not cancel it"))
    if registration.lifecycle == Lifecycle.CANCELLED:
        return _error(ErrorCode.ALREADY_CANCELLED, N_("registration already cancelled"))
    if not may_still_cancel(registration.registration_date, now):
        return _error(ErrorCode.TOO_LATE_TO_CANCEL,
                      N_("too late: a registration can be cancelled until the end of the day after its date"))
    return None


def cancel_presences(runtime: Runtime, caller: Caller, channel: Channel, requests: list[CancelRequest],
                     message: replays.SignedMessage | None = None) -> list[Cancelled | NotCancelled]:
    """One outcome per request, in the same order. `message`: the signed message that asks for this, recorded
    with the cancellations (`AlreadyReceived`, and nothing changed, when it was before)."""
    check_batch_size(len(requests))
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        if message is not None:
            replays.record(session, message, now)
        highest = session.scalar(select(func.max(Registration.id))) or 0
        ids = {i for i in (parse_registration_id(r.registration_id) for r in requests) if i}
        query = (
            select(Registration, WorkDeclaration.declaring_contractor, LimosaDeclaration.employer.label("posting"))
            .outerjoin(WorkDeclaration, WorkDeclaration.number == Registration.workplace)
            .outerjoin(LimosaDeclaration, LimosaDeclaration.number == Registration.limosa_id)
            .where(Registration.id.in_(ids), visibility_filter(session, consultation_visibility(caller)))
        )
        query = for_update(session, query, of=Registration)
        visible = {row.Registration.id: row for row in session.execute(query)} if ids else {}

        results: list[Cancelled | NotCancelled] = []
        cancelled_rows: list[Registration] = []
        for request in requests:
            reason = parse_reason(request.reason)
            registration_id = parse_registration_id(request.registration_id)
            if reason is None:
                results.append(_error(ErrorCode.CANCELLATION_REASON_INVALID,
                                      N_("cancellation reason: HOLIDAY, DISEASE, PLANNING or C32A"), "reason"))
            elif registration_id is None or registration_id > highest:
                results.append(_error(ErrorCode.REGISTRATION_ID_UNKNOWN,
                                      N_("registration id: not a number this registry issued")))
            elif registration_id not in visible:
                results.append(_error(ErrorCode.REGISTRATION_NOT_FOUND,
                                      N_("registration id: no such registration among those you may consult")))
            else:
                row = visible[registration_id]
                registration = row.Registration
                refusal = _refusal(caller, row, now)
                if refusal is not None:
                    results.append(refusal)
                else:
                    registration.lifecycle = str(Lifecycle.CANCELLED)
                    registration.lifecycle_at = now
                    registration.cancellation_reason = str(reason)
                    cancelled_rows.append(registration)
                    results.append(registration)
        if cancelled_rows:
            session.flush()
            cancelled_ids = [r.id for r in cancelled_rows]
            audit.record(session, caller, channel, "registration.cancelled", "registration", cancelled_ids, now,
                         {"reasons": {str(r.id): r.cancellation_reason for r in cancelled_rows}})
            affected = dependents_of(session, cancelled_rows)
            if affected:
                enqueue(session, CHECK_JOB, [{"ids": sorted(affected), "trigger": "cancellation"}], now)
        results = [Cancelled(PresenceView.from_row(r)) if isinstance(r, Registration) else r for r in results]
    return results
