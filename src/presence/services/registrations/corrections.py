"""Errors and their correction (cleaning): a worker reports an error in one of his registrations to his employer
within 30 days; the employer (a self-employed person for himself) asks the back office for a correction within 30
days of the registration, with supporting documents; the back office approves it, which edits the registration
through `correcting.correct_presence` (status `edited`, the original kept in its history, the request named in
the justification), or rejects it with a reason. The requester and the worker see the outcome."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO

from sqlalchemy import or_, select, update

from ...clock import belgian_date
from ...db.models import CorrectionDocument, CorrectionRequest, ErrorReport, Registration
from ...domain.registration import Direction
from ...domain.sectors import Regime
from ...domain.statuses import Lifecycle
from ...domain.texts import N_
from ...domain.timing import may_still_correct
from ...domain.visibility import CONSULTING_ROLES, Caller, CallerKind, Role
from ...sources.models import Mandate
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..runtime import Runtime
from .correcting import Correction, correct_presence

MAX_DOCUMENT = 5 * 1024 * 1024  # bytes: a scanned page or a photo, not a film
MAX_DOCUMENTS = 5
ANSWER_DAYS = 10  # *ours*: the back office answers within 10 days
MAX_TEXT = 2_000


class RequestRefused(InvalidRequest):
    """A report or request that cannot be accepted; `field` names what is wrong, the message is marked for the
    catalogues (the channels translate it). Nothing is stored."""


# --- documents ---------------------------------------------------------------------------------------------

def document_type(content: bytes) -> str | None:
    """The media type of a supporting document, judged by its content (never its name): a PDF that opens, a JPEG
    or PNG image that decodes; None for anything else."""
    # The parsers raise many kinds of errors on broken or hostile files: any of them means "not a document".
    if content.startswith(b"%PDF-"):
        from pypdf import PdfReader

        try:
            return "application/pdf" if len(PdfReader(BytesIO(content)).pages) > 0 else None
        except Exception:  # noqa: BLE001 - whatever the parser found wrong
            return None
    if content.startswith(b"\xff\xd8\xff") or content.startswith(b"\x89PNG\r\n\x1a\n"):
        from PIL import Image

        try:
            with Image.open(BytesIO(content)) as image:
                image.verify()
                return {"JPEG": "image/jpeg", "PNG": "image/png"}.get(image.format)
        except Exception:  # noqa: BLE001 - whatever the decoder found wrong
            return None
    return None


@dataclass(frozen=True)
class Document:
    name: str
    content: bytes


def _checked_documents(documents: list[Document]) -> list[tuple[Document, str]]:
    if not documents:
        raise RequestRefused(N_("Add at least one supporting document (PDF, JPEG or PNG)."), "documents")
    if len(documents) > MAX_DOCUMENTS:
        raise RequestRefused(N_("At most 5 documents."), "documents")
    checked = []
    for document in documents:
        if len(document.content) > MAX_DOCUMENT:
            raise RequestRefused(N_("A document is larger than 5 MB."), "documents")
        media_type = document_type(document.content)
        if media_type is None:
            raise RequestRefused(N_("A document is not a PDF, JPEG or PNG file (whatever its name says)."),
                                 "documents")
        checked.append((document, media_type))
    return checked


# --- the worker's report -------------------------------------------------------------------------------------

def _own_clocking(session, caller: Caller, registration_id: int) -> Registration:
    found = session.get(Registration, registration_id) if registration_id else None
    if (found is None or found.inss != caller.inss or found.regime != str(Regime.CLOCKING)
            or found.lifecycle == str(Lifecycle.CANCELLED)):
        raise NotFound(N_("No registration of yours has this number."))
    return found


def report_error(runtime: Runtime, caller: Caller, registration_id: int, what_is_wrong: str, should_be: str) -> int:
    """A worker's report to his employer that his registration is wrong, within 30 days of it: its number."""
    if caller.kind is not CallerKind.PERSON or not caller.inss:
        raise NotAllowed(N_("Only the worker himself reports an error in his registrations."))
    what_is_wrong, should_be = what_is_wrong.strip()[:MAX_TEXT], should_be.strip()[:MAX_TEXT]
    if not what_is_wrong:
        raise RequestRefused(N_("Say what is wrong."), "what_is_wrong")
    if not should_be:
        raise RequestRefused(N_("Say what it should be."), "should_be")
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        registration = _own_clocking(session, caller, registration_id)
        if not may_still_correct(registration.registration_date, belgian_date(now)):
            raise RequestRefused(N_("Errors are reported within 30 days of the registration."), "registration")
        report = ErrorReport(registration_id=registration.id, registration_date=registration.registration_date,
                             inss=caller.inss, employer=registration.enterprise_number or registration.foreign_vat,
                             what_is_wrong=what_is_wrong, should_be=should_be, reported_at=now)
        session.add(report)
        session.flush()
        audit.record(session, caller, "ONLINE", "error.reported", "registration", [registration.id], now,
                     {"report": report.id})
        return report.id


@dataclass(frozen=True)
class Report:
    id: int
    registration_id: int
    registration_date: date
    inss: str
    employer: str
    what_is_wrong: str
    should_be: str
    reported_at: datetime
    request_id: int | None


def reports_for(runtime: Runtime, caller: Caller, limit: int = 200) -> list[Report]:
    """The error reports an employer received (its registrars see them), or a worker made, newest first."""
    query = select(ErrorReport).order_by(ErrorReport.id.desc()).limit(limit)
    if caller.kind is CallerKind.PERSON and caller.inss:
        query = query.where(ErrorReport.inss == caller.inss)
    elif caller.kind is CallerKind.ENTERPRISE and caller.enterprise and Role.REGISTRAR in caller.roles:
        query = query.where(ErrorReport.employer == caller.enterprise)
    else:
        return []
    with runtime.db.reading() as session:
        return [Report(r.id, r.registration_id, r.registration_date, r.inss, r.employer, r.what_is_wrong,
                       r.should_be, r.reported_at, r.request_id) for r in session.scalars(query)]


# --- the employer's request ----------------------------------------------------------------------------------

def _may_request(session, caller: Caller, registration: Registration) -> bool:
    """The registration's employer (its registrars), or a self-employed person for his own registration with
    his own enterprise (an employee reports to his employer instead)."""
    employer = registration.enterprise_number or registration.foreign_vat
    if caller.kind is CallerKind.ENTERPRISE:
        return caller.enterprise == employer and Role.REGISTRAR in caller.roles
    if caller.kind is not CallerKind.PERSON or caller.inss != registration.inss:
        return False
    day = registration.registration_date
    return session.scalar(select(Mandate.id).where(
        Mandate.inss == caller.inss, Mandate.enterprise == employer, Mandate.starts_on <= day,
        or_(Mandate.ends_on.is_(None), Mandate.ends_on >= day)).limit(1)) is not None


@dataclass(frozen=True)
class Requested:
    """What the requester asks: the instant and direction the registration should have."""

    clocked_at: datetime | None
    direction: str | None
    reason: str


def request_correction(runtime: Runtime, caller: Caller, registration_id: int, requested: Requested,
                       documents: list[Document], report_id: int | None = None) -> int:
    """A correction request to the back office, within 30 days of the registration: its number. Refused
    (`RequestRefused`, `NotFound`) with nothing stored, documents included."""
    reason = requested.reason.strip()[:MAX_TEXT]
    if not reason:
        raise RequestRefused(N_("Say why the registration must be corrected."), "reason")
    if requested.clocked_at is None and requested.direction is None:
        raise RequestRefused(N_("Give the time or the kind (in or out) it should have."), "clocked_at")
    if requested.direction is not None and requested.direction not in Direction.ALL:
        raise RequestRefused(N_("Give the time or the kind (in or out) it should have."), "direction")
    if requested.clocked_at is not None and requested.clocked_at > runtime.clock.now():
        raise RequestRefused(N_("The corrected time cannot be in the future."), "clocked_at")
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        registration = session.get(Registration, registration_id) if registration_id else None
        if registration is None or not _may_request(session, caller, registration):
            raise NotFound(N_("No registration you may have corrected has this number."))
        checked = _checked_documents(documents)
        if registration.regime != str(Regime.CLOCKING) or registration.lifecycle == str(Lifecycle.CANCELLED):
            raise RequestRefused(N_("Only a check-in or check-out in force is corrected here."), "registration")
        if not may_still_correct(registration.registration_date, belgian_date(now)):
            raise RequestRefused(N_("Corrections are requested within 30 days of the registration."),
                                 "registration")
        if requested.clocked_at is not None and abs(requested.clocked_at - registration.clocked_at) > timedelta(
                days=1):
            raise RequestRefused(N_("The corrected time is more than a day away from the registration's."),
                                 "clocked_at")
        request = CorrectionRequest(
            registration_id=registration.id, registration_date=registration.registration_date,
            requester_enterprise=caller.enterprise, requester_inss=caller.inss if caller.kind is CallerKind.PERSON
            else None, requester_id=caller.sender_id or str(caller.kind), corrected_at=requested.clocked_at,
            corrected_direction=requested.direction, reason=reason, requested_at=now,
            answer_by=belgian_date(now) + timedelta(days=ANSWER_DAYS), status="pending", error_report_id=report_id)
        session.add(request)
        session.flush()
        for document, media_type in checked:
            session.add(CorrectionDocument(request_id=request.id, name=document.name[:200] or "document",
                                           media_type=media_type, size=len(document.content),
                                           sha256=hashlib.sha256(document.content).hexdigest(),
                                           content=document.content))
        if report_id is not None:
            report = session.get(ErrorReport, report_id)
            if report is not None and report.registration_id == registration.id:
                report.request_id = request.id
        audit.record(session, caller, "ONLINE", "correction.requested", "registration", [registration.id], now,
                     {"request": request.id, "documents": len(checked)})
        return request.id


# --- what each sees ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestView:
    id: int
    registration_id: int
    registration_date: date
    requester: str
    corrected_at: datetime | None
    corrected_direction: str | None
    reason: str
    requested_at: datetime
    answer_by: date
    status: str
    decided_at: datetime | None
    decision_reason: str | None
    documents: tuple[tuple[int, str, str, int], ...]  # id, name, media type, size


def _view(session, request: CorrectionRequest) -> RequestView:
    documents = tuple((d.id, d.name, d.media_type, d.size) for d in session.execute(
        select(CorrectionDocument.id, CorrectionDocument.name, CorrectionDocument.media_type,
               CorrectionDocument.size).where(CorrectionDocument.request_id == request.id)
        .order_by(CorrectionDocument.id)))
    return RequestView(request.id, request.registration_id, request.registration_date,
                       request.requester_enterprise or "", request.corrected_at, request.corrected_direction,
                       request.reason, request.requested_at, request.answer_by, request.status, request.decided_at,
                       request.decision_reason, documents)


def _staff(caller: Caller) -> bool:
    return caller.kind in (CallerKind.BACK_OFFICE, CallerKind.OPERATOR)


def requests_for(runtime: Runtime, caller: Caller, limit: int = 200) -> list[RequestView]:
    """The back office's queue (pending, oldest first); an employer's or a worker's requests, newest first."""
    with runtime.db.reading() as session:
        if _staff(caller):
            query = select(CorrectionRequest).where(CorrectionRequest.status == "pending").order_by(
                CorrectionRequest.requested_at, CorrectionRequest.id)
        elif caller.kind is CallerKind.ENTERPRISE and caller.enterprise and caller.roles & CONSULTING_ROLES:
            query = select(CorrectionRequest).where(CorrectionRequest.requester_enterprise == caller.enterprise) \
                .order_by(CorrectionRequest.id.desc())
        elif caller.kind is CallerKind.PERSON and caller.inss:
            mine = select(Registration.id).where(Registration.inss == caller.inss)
            query = select(CorrectionRequest).where(or_(CorrectionRequest.requester_inss == caller.inss,
                                                        CorrectionRequest.registration_id.in_(mine))) \
                .order_by(CorrectionRequest.id.desc())
        else:
            return []
        return [_view(session, r) for r in session.scalars(query.limit(limit))]


def request_of(runtime: Runtime, caller: Caller, request_id: int) -> RequestView:
    """A request, for the back office, its requester, or the worker whose registration it is."""
    with runtime.db.reading() as session:
        request = session.get(CorrectionRequest, request_id) if request_id else None
        if request is None:
            raise NotFound(N_("No correction request has this number."))
        registration = session.get(Registration, request.registration_id)
        allowed = (_staff(caller) or (caller.kind is CallerKind.ENTERPRISE
                                      and caller.enterprise == request.requester_enterprise
                                      and bool(caller.roles & CONSULTING_ROLES))
                   or (caller.kind is CallerKind.PERSON and registration is not None
                       and caller.inss == registration.inss))
        if not allowed:
            raise NotFound(N_("No correction request has this number."))
        return _view(session, request)


def document_of(runtime: Runtime, caller: Caller, request_id: int, document_id: int) -> tuple[str, str, bytes]:
    """A supporting document (name, media type, content), for those who may see its request."""
    request_of(runtime, caller, request_id)
    with runtime.db.reading() as session:
        found = session.get(CorrectionDocument, document_id)
        if found is None or found.request_id != request_id:
            raise NotFound(N_("No such document."))
        return found.name, found.media_type, found.content


# --- the back office's decision ---------------------------------------------------------------------------------

def approve(runtime: Runtime, caller: Caller, request_id: int) -> None:
    """Apply the requested correction: the registration is edited (its original kept in its history) and checked
    again; the request names the edit, the edit names the request. The request is taken first (pending to
    approved, in one statement), so that two decisions at once apply nothing twice; if the correction cannot be
    applied after all, it is pending again."""
    if not _staff(caller):
        raise NotAllowed(N_("Only the service's back office decides on correction requests."))
    request = _take(runtime, caller, request_id, "approved", None)
    try:
        correct_presence(runtime, caller, request.registration_id,
                         Correction(clocked_at=request.corrected_at, direction=request.corrected_direction),
                         f"correction request {request.id}: {request.reason}", belgian_date(request.requested_at))
    except Exception:
        with runtime.db.writing() as session:
            session.execute(update(CorrectionRequest).where(CorrectionRequest.id == request.id).values(
                status="pending", decided_at=None, decided_by=None))
        raise


def reject(runtime: Runtime, caller: Caller, request_id: int, reason: str) -> None:
    if not _staff(caller):
        raise NotAllowed(N_("Only the service's back office decides on correction requests."))
    if not reason.strip():
        raise RequestRefused(N_("Say why the request is rejected."), "decision_reason")
    _take(runtime, caller, request_id, "rejected", reason.strip()[:MAX_TEXT])


def _take(runtime: Runtime, caller: Caller, request_id: int, status: str, reason: str | None) -> CorrectionRequest:
    """Decide a pending request, in one statement that only a pending request passes: the request as it was."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        taken = session.execute(
            update(CorrectionRequest).where(CorrectionRequest.id == request_id, CorrectionRequest.status == "pending")
            .values(status=status, decided_at=now, decided_by=caller.sender_id or str(caller.kind),
                    decision_reason=reason)).rowcount
        if not taken:
            raise NotFound(N_("No pending correction request has this number."))
        request = session.get(CorrectionRequest, request_id)
        audit.record(session, caller, "BACKOFFICE", f"correction.{status}", "registration",
                     [request.registration_id], now, {"request": request.id})
        session.flush()
        session.expunge(request)
        return request
