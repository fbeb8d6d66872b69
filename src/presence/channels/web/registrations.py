"""Registrations in the browser: the search of those one may see (by period, workplace, person, enterprise,
status and remark; CSV and XLSX), a registration's page (its validation history, its remarks explained, its
cancellation), the receipts of what one just registered, and their status as the checks progress (`live.js`
asks `/registrations/status` until none is being checked). `services.registrations` decides who sees what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...clock import belgian_date
from ...domain.cancellation import CancellationReason
from ...domain.identifiers import (
    InvalidIdentifier,
    mask_inss,
    parse_any_enterprise,
    parse_inss,
    parse_limosa_id,
    parse_work_declaration_number,
)
from ...domain.remarks import CATALOGUE, RemarkCode
from ...domain.statuses import SoapStatus
from ...domain.visibility import consultation_visibility
from ...services.errors import InvalidRequest
from ...services.registrations import cancelling, consulting
from ...services.registrations.consulting import Page, SearchCriteria, Sort, SortKey
from ...services.registrations.views import PresenceView
from . import texts
from .downloads import csv_download, spreadsheet, xlsx_download
from .pages import (
    Forbidden,
    Visitor,
    channel_of,
    finished,
    form_day,
    form_of,
    lists_of,
    page,
    person,
    redirect,
    visitor,
)

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/registrations"
PAGE_SIZE = 50
MAX_EXPORT = 10_000
MAX_PERIOD_DAYS = 366


@dataclass
class Search:
    """The search form, as typed, and what it means (`criteria`), or its errors."""

    values: dict[str, str]
    criteria: SearchCriteria | None
    errors: dict[str, str]


def _identifier(text: str, parse, field: str, errors: dict) -> str | None:
    if not text:
        return None
    try:
        return parse(text)
    except InvalidIdentifier as error:
        errors[field] = i18n.gettext("%(what)s: %(reason)s", what=i18n.gettext(error.field),
                                     reason=i18n.gettext(error.reason))
        return None


def person_number(text: str, field: str, errors: dict) -> tuple[str | None, str | None]:
    """(INSS, Limosa number) of what was typed in a person field: a Limosa number has 17 digits."""
    digits = "".join(c for c in text if "0" <= c <= "9")
    if len(digits) == 17:
        return None, _identifier(text, parse_limosa_id, field, errors)
    return _identifier(text, parse_inss, field, errors), None


def receipt_numbers(values: list[str]) -> list[int]:
    """The receipt numbers of a form or an address, each checked (anything else is left out)."""
    return [number for number in map(cancelling.parse_registration_id, values[:consulting.MAX_BY_IDS])
            if number is not None]


def search_of(visitor: Visitor, query: dict[str, str]) -> Search:
    today = belgian_date(visitor.runtime.clock.now())
    values = {"from": query.get("from") or (today - timedelta(days=7)).isoformat(),
              "to": query.get("to") or (today + timedelta(days=7)).isoformat(),
              **{name: (query.get(name) or "").strip()[:100]
                 for name in ("workplace", "person", "enterprise", "status", "remark")}}
    errors: dict[str, str] = {}
    first, last = form_day(values["from"], "from", errors), form_day(values["to"], "to", errors)
    if first and last and not 0 <= (last - first).days < MAX_PERIOD_DAYS:
        errors["to"] = i18n.gettext("Choose a period of at most a year, its end after its start.")
    inss, limosa = person_number(values["person"], "person", errors) if values["person"] else (None, None)
    enterprise = _identifier(values["enterprise"], parse_any_enterprise, "enterprise", errors)
    workplace = _identifier(values["workplace"], parse_work_declaration_number, "workplace", errors)
    statuses = [texts.STATUS_CODES[values["status"]]] if values["status"] in texts.STATUS_CODES else []
    remarks = [code for code in RemarkCode if str(code) == values["remark"]]
    if errors:
        return Search(values, None, errors)
    criteria = SearchCriteria(periods=[(first, last)], inss=inss, limosa_id=limosa, workplace=workplace,
                              statuses=statuses, remarks=remarks)
    if enterprise and enterprise.isdigit():
        criteria.enterprise_number = enterprise
    elif enterprise:
        criteria.foreign_vat = enterprise
    return Search(values, criteria, errors)


@dataclass(frozen=True)
class Row:
    """A registration as a list shows it."""

    presence: PresenceView
    person: str  # the name when one may see it, and the number masked
    enterprise: str
    status: str
    tag: str
    remarks: list[texts.RemarkText]


def person_label(presence: PresenceView) -> str:
    """The person of a registration in a list: his name when one may see it, and his number masked."""
    number = mask_inss(presence.inss) if presence.inss else presence.limosa_id or ""
    name = f"{presence.worker.family_name} {presence.worker.given_name}" if presence.worker else ""
    return f"{name} ({number})" if name else number


def row_of(presence: PresenceView) -> Row:
    return Row(presence, person_label(presence),
               presence.enterprise_number or presence.foreign_vat or "", texts.status_name(presence.status),
               texts.STATUS_TAGS[presence.status], [texts.remark(code) for code in presence.remarks])


def consultant(visitor: Visitor):
    """The caller, if he may consult registrations (a role of the enterprise that sees them, or a person for
    himself); else the refusal page."""
    _, caller = person(visitor)
    if consultation_visibility(caller) is None:
        raise Forbidden(visitor, i18n.gettext("Seeing an enterprise's registrations needs the role of registrar or "
                                              "consultant. Its access managers grant them."))
    return caller


def _search_page(visitor: Visitor, query: dict[str, str]) -> Response:
    caller = consultant(visitor)
    search = search_of(visitor, query)
    found, number = None, 1
    if search.criteria is not None:
        text = str(query.get("page") or "1")
        number = min(int(text), 1_000_000) if text.isascii() and text.isdigit() and len(text) < 8 else 1
        number = max(1, number)
        found = consulting.search_presences(visitor.runtime, caller, search.criteria,
                                            Page((number - 1) * PAGE_SIZE, PAGE_SIZE), Sort(SortKey.ID, True))
    pages = (found.total + PAGE_SIZE - 1) // PAGE_SIZE if found else 0
    return page(visitor, "registrations.html", 400 if search.errors else 200,
                title=i18n.gettext("Registrations"), errors=search.errors, values=search.values,
                rows=[row_of(p) for p in found.items] if found else [], total=found.total if found else 0,
                page_number=number, pages=pages,
                statuses=[(code, texts.status_name(s)) for code, s in texts.STATUS_CODES.items()],
                remarks=[(str(code), f"{code} · {r.label(visitor.language)}") for code, r in CATALOGUE.items()],
                query={k: v for k, v in search.values.items() if v and k != "person"},
                criteria={k: v for k, v in search.values.items() if v})


def _all(visitor: Visitor, query: dict[str, str]) -> list[Row] | Search:
    """Every registration of the search, up to `MAX_EXPORT`, or the search with its errors."""
    caller = consultant(visitor)
    search = search_of(visitor, query)
    if search.criteria is None:
        return search
    rows, first = [], 0
    while first < MAX_EXPORT:
        found = consulting.search_presences(visitor.runtime, caller, search.criteria,
                                            Page(first, consulting.MAX_RESULTS), Sort(SortKey.ID))
        rows.extend(row_of(p) for p in found.items)
        first += consulting.MAX_RESULTS
        if first >= found.total:
            break
    return rows[:MAX_EXPORT]


EXPORT_COLUMNS = ("receipt", "registration_date", "person", "enterprise", "workplace", "status", "remarks",
                  "channel", "created_at")


def _export_row(row: Row) -> list:
    p = row.presence
    return [p.id, p.registration_date.isoformat(), row.person, row.enterprise, p.workplace, str(p.status),
            " ".join(str(code) for code in p.remarks), p.channel, p.created_at.isoformat()]


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    # A search may name a person: its criteria travel in the body of a POST (pages, exports), never in an
    # address. Without a person, a GET with the same criteria works too (links, bookmarks).
    @routes.get(PATH)
    def search(visitor: VisitorDep) -> Response:
        return _search_page(visitor, _public(visitor.request.query_params))

    @routes.post(PATH)
    async def search_posted(visitor: VisitorDep) -> Response:
        form = await form_of(visitor)
        return await run_in_threadpool(_search_page, visitor, form)

    @routes.post(PATH + ".csv")
    async def export_csv(visitor: VisitorDep) -> Response:
        form = await form_of(visitor)
        rows = await run_in_threadpool(_all, visitor, form)
        if isinstance(rows, Search):
            return await run_in_threadpool(_search_page, visitor, form)
        return csv_download(visitor, "registrations.csv", EXPORT_COLUMNS, map(_export_row, rows))

    @routes.post(PATH + ".xlsx")
    async def export_xlsx(visitor: VisitorDep) -> Response:
        form = await form_of(visitor)
        rows = await run_in_threadpool(_all, visitor, form)
        if isinstance(rows, Search):
            return await run_in_threadpool(_search_page, visitor, form)
        content = await run_in_threadpool(spreadsheet, i18n.gettext("Registrations"), EXPORT_COLUMNS,
                                          [_export_row(row) for row in rows], True)
        return xlsx_download(visitor, "registrations.xlsx", content)

    @routes.post(PATH + "/receipts.csv")
    async def receipts_csv(visitor: VisitorDep) -> Response:
        caller = consultant(visitor)
        form = await lists_of(visitor, max_fields=consulting.MAX_BY_IDS + 10)
        ids = receipt_numbers(form.get("id", []))
        found = await run_in_threadpool(consulting.presences_by_ids, visitor.runtime, caller, ids)
        return csv_download(visitor, "receipts.csv", EXPORT_COLUMNS, (_export_row(row_of(p)) for p in found))

    @routes.get(PATH + "/receipts")
    def receipts(visitor: VisitorDep, id: Annotated[list[str], Query()] = []) -> Response:  # noqa: B006
        """The receipts of what one just registered, their status updated as the checks progress."""
        caller = consultant(visitor)
        return receipts_page(visitor, consulting.presences_by_ids(visitor.runtime, caller, receipt_numbers(id)), [])

    @routes.get(PATH + "/status")
    def status(visitor: VisitorDep, id: Annotated[list[str], Query()] = []) -> Response:  # noqa: B006
        """Each registration's status cell, rendered, for `live.js`; `pending`: those still being checked."""
        caller = consultant(visitor)
        found = consulting.presences_by_ids(visitor.runtime, caller, receipt_numbers(id))
        cells = {}
        with i18n.using(visitor.language):
            template = page_template("status_cell.html")
            for presence in found:
                cells[str(presence.id)] = template.render(row=row_of(presence))
        pending = [p.id for p in found if p.status is SoapStatus.SUCCESSFULLY_REGISTERED]
        return finished(JSONResponse({"cells": cells, "pending": pending},
                                     headers={"Cache-Control": "no-store"}), visitor)

    @routes.get(PATH + "/{registration_id}")
    def registration(visitor: VisitorDep, registration_id: str) -> Response:
        return _registration_page(visitor, registration_id)

    @routes.post(PATH + "/{registration_id}/cancel")
    async def cancel(visitor: VisitorDep, registration_id: str) -> Response:
        caller = consultant(visitor)
        form = await form_of(visitor)
        reason = form.get("reason", "")
        if reason not in CancellationReason.__members__:
            return await run_in_threadpool(_registration_page, visitor, registration_id,
                                           {"reason": i18n.gettext("Choose why the registration is cancelled.")})
        [outcome] = await run_in_threadpool(cancelling.cancel_presences, visitor.runtime, caller,
                                            channel_of(visitor), [cancelling.CancelRequest(registration_id, reason)])
        if isinstance(outcome, cancelling.NotCancelled):
            return await run_in_threadpool(_registration_page, visitor, registration_id,
                                           {"reason": texts.item_error(outcome.errors[0])})
        return redirect(visitor, f"{PATH}/{registration_id}?done=cancelled")

    return routes


def receipts_page(visitor: Visitor, found: list[PresenceView], refused: list[str]) -> Response:
    """What was just registered: its receipts, and the lines refused. One workplace's receipts are remembered on
    the device as a regular registration (`regular.js`)."""
    workplaces = {p.workplace for p in found}
    return page(visitor, "receipts.html", title=i18n.gettext("Registered"), rows=[row_of(p) for p in found],
                refused=refused, workplace=workplaces.pop() if len(workplaces) == 1 else None,
                people=len({p.inss or p.limosa_id for p in found}))


def _public(query) -> dict[str, str]:
    """The criteria of a search's address: all but the person's number, which never travels in an address."""
    return {key: value for key, value in query.items() if key != "person"}


def page_template(name: str):
    from .pages import templates

    return templates().get_template(name)


def _registration_page(visitor: Visitor, registration_id: str, errors: dict | None = None) -> Response:
    caller = consultant(visitor)
    number = cancelling.parse_registration_id(registration_id)
    try:
        found = consulting.get_presence(visitor.runtime, caller, number) if number is not None else None
    except InvalidRequest:
        found = None
    if found is None:
        return page(visitor, "message.html", 404, title=i18n.gettext("No such registration"),
                    message=i18n.gettext("No registration you may see has this receipt number."))
    cancellable = cancelling.cancellable(visitor.runtime, caller, found.id)
    history = [(v.validated_at, v.validity, [texts.remark(code) for code in v.remarks]) for v in found.history]
    done = visitor.request.query_params.get("done")
    return page(visitor, "registration.html", 400 if errors else 200,
                title=i18n.gettext("Registration %(number)s", number=found.id), row=row_of(found),
                presence=found, history=history, cancellable=cancellable, errors=errors or {},
                reasons=[(r.value, i18n.gettext(texts.REASON_NAMES[r.value])) for r in CancellationReason],
                done=i18n.gettext("The registration is cancelled.") if done == "cancelled" else None)
