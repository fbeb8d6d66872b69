"""Correction requests in the browser: an employer (a self-employed person for himself) asks the back office to
correct a check-in or check-out within 30 days, with supporting documents (PDF, JPEG, PNG, judged by their
content); a request's page with its outcome; the back office's queue (oldest first, with the day to answer by), a
request's page with the registration, its history, the change asked and the documents, and its decision.
`services.registrations.corrections` decides."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ... import i18n
from ...clock import BRUSSELS
from ...domain.visibility import CallerKind
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from ...services.registrations import cancelling, consulting, corrections
from .pages import Forbidden, FormExpired, Visitor, finished, form_of, page, person, redirect, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
DONE = {"requested": i18n.lazy("The request is sent to the back office. You will see its outcome here."),
        "approved": i18n.lazy("The correction is applied: the registration is edited and checked again."),
        "rejected": i18n.lazy("The request is rejected; the requester sees why.")}
STATUS = {"pending": i18n.lazy("Waiting for the back office"), "approved": i18n.lazy("Approved"),
          "rejected": i18n.lazy("Rejected")}


def _number(text: str) -> int:
    return cancelling.parse_registration_id(text) or 0


def _back_office(visitor: Visitor):
    _, caller = person(visitor)
    if caller.kind not in (CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        raise Forbidden(visitor, i18n.gettext("Correction requests are handled by the service's back office."))
    return caller


def _instant(text: str) -> datetime | None:
    """A `datetime-local` field's value, in Belgian time; None when it is no such time, or one that exists twice
    (the hour repeated when the clocks go back) or not at all (the hour skipped in spring)."""
    try:
        local = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if local is None or local.tzinfo is not None:
        return None
    first, second = local.replace(tzinfo=BRUSSELS, fold=0), local.replace(tzinfo=BRUSSELS, fold=1)
    if first.utcoffset() != second.utcoffset():
        return None  # ambiguous or non-existent in Belgium
    return first


def _not_found(visitor: Visitor, message: str) -> Response:
    return page(visitor, "message.html", 404, title=i18n.gettext("Not found"), message=i18n.gettext(message))


def _registration(visitor: Visitor, caller, registration_id: int):
    try:
        return consulting.get_presence(visitor.runtime, caller, registration_id) if registration_id else None
    except NotAllowed:  # a role that sees no registration
        return None


def _form_page(visitor: Visitor, registration_id: str, values: dict, errors: dict, status: int = 200) -> Response:
    _, caller = person(visitor)
    presence = _registration(visitor, caller, _number(registration_id))
    if presence is None or presence.clocked_at is None:
        return _not_found(visitor, "No registration you may have corrected has this number.")
    return page(visitor, "correction_new.html", status, title=i18n.gettext("Ask for a correction"),
                presence=presence, values=values, errors=errors,
                clocked_local=presence.clocked_at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M"))


def _request_page(visitor: Visitor, caller, request: corrections.RequestView, template: str,
                  done: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    try:  # the back office sees every registration; a requester may no longer (a role revoked, say)
        presence = consulting.get_presence(visitor.runtime, caller, request.registration_id)
    except NotAllowed:
        presence = None
    return page(visitor, template, status, title=i18n.gettext("Correction request %(number)s", number=request.id),
                correction=request, presence=presence, status_name=i18n.gettext(STATUS[request.status]),
                done=i18n.gettext(DONE[done]) if done in DONE else None, errors=errors or {})


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/registrations/{registration_id}/correction")
    def new(visitor: VisitorDep, registration_id: str, report: str = "") -> Response:
        return _form_page(visitor, registration_id, {"report": report[:15]}, {})

    @routes.post("/registrations/{registration_id}/correction")
    async def create(visitor: VisitorDep, registration_id: str) -> Response:
        _, caller = person(visitor)
        form = await visitor.request.form(max_files=corrections.MAX_DOCUMENTS + 1, max_fields=20)
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        if not visitor.csrf_valid(values.get("csrf")):
            raise FormExpired(visitor)
        documents = []
        for upload in form.getlist("documents"):
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(corrections.MAX_DOCUMENT + 1)
                documents.append(corrections.Document(upload.filename, content))
                await upload.close()
        errors: dict[str, str] = {}
        # The form shows the registration's own time: only a time changed is asked for.
        typed = values.get("clocked_at", "") if values.get("clocked_at") != values.get("shown_at") else ""
        clocked_at = _instant(typed)
        if typed and clocked_at is None:
            errors["clocked_at"] = i18n.gettext("Enter a day and a time that exists once on that day in Belgium.")
        direction = values.get("direction") or None
        if not errors:
            report = cancelling.parse_registration_id(values.get("report", ""))
            try:
                number = await run_in_threadpool(
                    corrections.request_correction, visitor.runtime, caller, _number(registration_id),
                    corrections.Requested(clocked_at, direction, values.get("reason", "")), documents, report)
            except corrections.RequestRefused as refused:
                errors[refused.field or "reason"] = i18n.gettext(str(refused))
            except NotFound as missing:
                return _not_found(visitor, str(missing))
        if errors:
            return await run_in_threadpool(_form_page, visitor, registration_id, values, errors, 400)
        return redirect(visitor, f"/corrections/{number}?done=requested")

    @routes.get("/corrections/{request_id}")
    def request(visitor: VisitorDep, request_id: str, done: str | None = None) -> Response:
        _, caller = person(visitor)
        try:
            found = corrections.request_of(visitor.runtime, caller, _number(request_id))
        except NotFound as missing:
            return _not_found(visitor, str(missing))
        return _request_page(visitor, caller, found, "correction.html", done)

    @routes.get("/corrections/{request_id}/documents/{document_id}")
    def document(visitor: VisitorDep, request_id: str, document_id: str) -> Response:
        _, caller = person(visitor)
        try:
            name, media_type, content = corrections.document_of(visitor.runtime, caller, _number(request_id),
                                                                _number(document_id))
        except NotFound as missing:
            return _not_found(visitor, str(missing))
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "document"
        return finished(Response(content, media_type=media_type, headers={
            "Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"}), visitor)

    @routes.get("/back-office/corrections")
    def queue(visitor: VisitorDep) -> Response:
        caller = _back_office(visitor)
        return page(visitor, "correction_queue.html", title=i18n.gettext("Correction requests"),
                    requests=corrections.requests_for(visitor.runtime, caller),
                    done=i18n.gettext(DONE[visitor.request.query_params.get("done", "")])
                    if visitor.request.query_params.get("done") in DONE else None)

    @routes.get("/back-office/corrections/{request_id}")
    def decide_page(visitor: VisitorDep, request_id: str) -> Response:
        caller = _back_office(visitor)
        try:
            found = corrections.request_of(visitor.runtime, caller, _number(request_id))
        except NotFound as missing:
            return _not_found(visitor, str(missing))
        return _request_page(visitor, caller, found, "correction_decide.html")

    @routes.post("/back-office/corrections/{request_id}/approve")
    async def approve(visitor: VisitorDep, request_id: str) -> Response:
        caller = _back_office(visitor)
        await form_of(visitor)
        try:
            await run_in_threadpool(corrections.approve, visitor.runtime, caller, _number(request_id))
        except NotFound as missing:
            return _not_found(visitor, str(missing))
        except InvalidRequest as refused:  # the registration can no longer be corrected as asked
            found = corrections.request_of(visitor.runtime, caller, _number(request_id))
            return _request_page(visitor, caller, found, "correction_decide.html",
                                 errors={"decision_reason": i18n.gettext(str(refused))}, status=400)
        return redirect(visitor, "/back-office/corrections?done=approved")

    @routes.post("/back-office/corrections/{request_id}/reject")
    async def reject(visitor: VisitorDep, request_id: str) -> Response:
        caller = _back_office(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(corrections.reject, visitor.runtime, caller, _number(request_id),
                                    form.get("decision_reason", ""))
        except NotFound as missing:
            return _not_found(visitor, str(missing))
        except corrections.RequestRefused as refused:
            found = corrections.request_of(visitor.runtime, caller, _number(request_id))
            return _request_page(visitor, caller, found, "correction_decide.html",
                                 errors={"decision_reason": i18n.gettext(str(refused))}, status=400)
        return redirect(visitor, "/back-office/corrections?done=rejected")

    return routes
