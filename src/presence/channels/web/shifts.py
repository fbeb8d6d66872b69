"""Shifts in cleaning, from the check-ins and check-outs: a worker's own for the last weeks (with "report an
error" to his employer), and an employer's staff by day or week, per worker and workplace, with their breaks,
worked time, open check-ins and remarks (CSV and XLSX), the errors its workers reported, and its correction
requests with their outcome. What each sees is what `services.registrations` lets him consult."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...clock import belgian_date
from ...domain.sectors import Sector
from ...domain.shifts import Shift
from ...domain.visibility import CallerKind, Role, may_manage_access
from ...services.errors import NotFound
from ...services.registrations import cancelling, clocking, consulting, corrections
from ...services.registrations.consulting import Page, SearchCriteria
from ...services.registrations.views import PresenceView
from . import texts
from .checking_in import worker
from .downloads import csv_download, spreadsheet, xlsx_download
from .pages import Forbidden, Visitor, form_of, page, person, redirect, visitor
from .registrations import person_label

VisitorDep = Annotated[Visitor, Depends(visitor)]
OWN_DAYS = 28
MAX_ROWS = 5_000


@dataclass
class ShiftRow:
    """One shift of one person on one workplace."""

    person: str
    workplace: str
    day: date
    start: datetime | None
    end: datetime | None
    breaks: list[tuple[datetime, datetime]]
    worked: timedelta
    open: bool
    forgotten_out: bool
    presences: list[PresenceView] = field(default_factory=list)

    @property
    def remarks(self) -> list[texts.RemarkText]:
        return [texts.remark(code) for p in self.presences for code in p.remarks]

    @property
    def worked_text(self) -> str:
        minutes = round(self.worked.total_seconds() / 60)  # to the nearest minute, as the times are shown
        return f"{minutes // 60}:{minutes % 60:02d}"


def shift_rows(visitor: Visitor, caller, presences: list[PresenceView], first: date | None = None,
               last: date | None = None) -> list[ShiftRow]:
    """The shifts these clockings make, newest first; a clocking outside any shift (cancelled) is left out.
    With `first` and `last`, only the shifts that start on those days (a night shift is counted once: in the
    week it starts)."""
    found = consulting.shifts_of(visitor.runtime, caller, presences)
    rows: dict[int, ShiftRow] = {}
    for presence in presences:
        shift: Shift | None = found.get(presence.id)
        if shift is None:
            continue
        row = rows.get(id(shift))
        if row is None:
            row = rows[id(shift)] = ShiftRow(person_label(presence), presence.workplace, belgian_date(shift.start),
                                             shift.start, shift.end, shift.breaks, shift.worked, shift.open,
                                             shift.forgotten_out)
        row.presences.append(presence)
    for row in rows.values():
        row.presences.sort(key=lambda p: (p.clocked_at, p.id))
    kept = [r for r in rows.values() if first is None or first <= r.day <= last]
    return sorted(kept, key=lambda r: (r.day, r.person, r.start or datetime.min), reverse=True)


def _clockings(visitor: Visitor, caller, first: date, last: date, inss: str | None = None,
               workplace: str | None = None) -> list[PresenceView]:
    criteria = SearchCriteria(periods=[(first, last)], sector=int(Sector.CLEANING), inss=inss, workplace=workplace)
    items, start = [], 0
    while start < MAX_ROWS:
        found = consulting.search_presences(visitor.runtime, caller, criteria, Page(start, consulting.MAX_RESULTS))
        items.extend(found.items)
        start += consulting.MAX_RESULTS
        if start >= found.total:
            break
    return items


def _week(visitor: Visitor, text: str, one_day: bool = False) -> tuple[date, date]:
    """The week of the day `text` names (today's by default), or that day alone."""
    today = belgian_date(visitor.runtime.clock.now())
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        day = today
    if not date(2000, 1, 3) <= day <= date(2999, 12, 25):  # weeks around it must exist
        day = today
    if one_day:
        return day, day
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _workplace(text: str) -> str | None:
    compact = "".join(c for c in text if c.isascii() and c.isalnum()).upper()
    return compact if len(compact) == 13 else None


def employer(visitor: Visitor):
    _, caller = person(visitor)
    if caller.kind is not CallerKind.ENTERPRISE or not (caller.roles & {Role.REGISTRAR, Role.CONSULTANT,
                                                                         Role.MAIN_ACCESS_MANAGER}):
        raise Forbidden(visitor, i18n.gettext("The staff's check-ins are an enterprise's: act for it with the "
                                              "role of registrar or consultant."))
    return caller


EXPORT = ("day", "person", "workplace", "start", "end", "breaks", "worked", "open", "remarks", "receipts")


def _export_rows(rows: list[ShiftRow]) -> list[list]:
    return [[r.day.isoformat(), r.person, r.workplace, i18n.format_time(r.start) if r.start else "",
             i18n.format_time(r.end) if r.end else "",
             " ".join(f"{i18n.format_time(a)}-{i18n.format_time(b)}" for a, b in r.breaks), r.worked_text,
             int(r.open), " ".join(sorted({x.code for x in r.remarks})), " ".join(str(p.id) for p in r.presences)]
            for r in rows]


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/my/registrations")
    def mine(visitor: VisitorDep) -> Response:
        caller = worker(visitor)
        today = belgian_date(visitor.runtime.clock.now())
        presences = _clockings(visitor, caller, today - timedelta(days=OWN_DAYS), today, caller.inss)
        # A self-employed person asks the back office himself for his own enterprise's registrations.
        own = {e.number for e in clocking.employers_of(visitor.runtime, caller.inss, today) if e.why == "own"}
        return page(visitor, "my_registrations.html", title=i18n.gettext("Your registrations"), own=own,
                    rows=shift_rows(visitor, caller, presences),
                    reports=corrections.reports_for(visitor.runtime, caller),
                    requests=corrections.requests_for(visitor.runtime, caller), cutoff=today - timedelta(days=30))

    @routes.get("/my/registrations/{registration_id}/report")
    def report_form(visitor: VisitorDep, registration_id: str) -> Response:
        caller = worker(visitor)
        return _report_page(visitor, caller, registration_id, {}, {})

    @routes.post("/my/registrations/{registration_id}/report")
    async def report(visitor: VisitorDep, registration_id: str) -> Response:
        caller = worker(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "") for name in ("what_is_wrong", "should_be")}
        number = cancelling.parse_registration_id(registration_id) or 0
        try:
            await run_in_threadpool(corrections.report_error, visitor.runtime, caller, number,
                                    values["what_is_wrong"], values["should_be"])
        except corrections.RequestRefused as refused:
            return await run_in_threadpool(_report_page, visitor, caller, registration_id, values,
                                           {refused.field or "what_is_wrong": i18n.gettext(str(refused))}, 400)
        except NotFound as missing:
            return page(visitor, "message.html", 404, title=i18n.gettext("No such registration"),
                        message=i18n.gettext(str(missing)))
        return redirect(visitor, "/my/registrations?done=reported")

    @routes.get("/staff")
    def staff(visitor: VisitorDep, week: str = "", day: str = "", workplace: str = "") -> Response:
        caller = employer(visitor)
        first, last = _week(visitor, day or week, one_day=bool(day))
        place = _workplace(workplace)
        return page(visitor, "staff.html", title=i18n.gettext("Staff check-ins"),
                    rows=_staff_rows(visitor, caller, first, last, place), first=first, last=last,
                    previous=(first - timedelta(days=7)).isoformat(), next=(first + timedelta(days=7)).isoformat(),
                    reports=corrections.reports_for(visitor.runtime, caller),
                    requests=corrections.requests_for(visitor.runtime, caller),
                    keeps_positions=_keeps(visitor, caller.enterprise),
                    may_set=may_manage_access(caller, caller.enterprise),
                    may_request=Role.REGISTRAR in caller.roles, one_day=bool(day), workplace=place or "",
                    today=belgian_date(visitor.runtime.clock.now()).isoformat())

    @routes.get("/staff.csv")
    def staff_csv(visitor: VisitorDep, week: str = "") -> Response:
        caller = employer(visitor)
        first, last = _week(visitor, week)
        return csv_download(visitor, f"shifts-{first.isoformat()}.csv", EXPORT,
                            _export_rows(_staff_rows(visitor, caller, first, last)))

    @routes.get("/staff.xlsx")
    def staff_xlsx(visitor: VisitorDep, week: str = "") -> Response:
        caller = employer(visitor)
        first, last = _week(visitor, week)
        rows = _export_rows(_staff_rows(visitor, caller, first, last))
        return xlsx_download(visitor, f"shifts-{first.isoformat()}.xlsx", spreadsheet(first.isoformat(), EXPORT, rows))

    @routes.post("/staff/settings")
    async def settings(visitor: VisitorDep) -> Response:
        caller = employer(visitor)
        form = await form_of(visitor)
        if not may_manage_access(caller, caller.enterprise):
            raise Forbidden(visitor)
        await run_in_threadpool(clocking.set_keep_positions, visitor.runtime, caller, form.get("keep") == "on")
        return redirect(visitor, "/staff?done=settings")

    return routes


def _staff_rows(visitor: Visitor, caller, first: date, last: date, workplace: str | None = None) -> list[ShiftRow]:
    """The shifts that start between `first` and `last` (the day after is read too: a night shift ends then)."""
    clockings = _clockings(visitor, caller, first, last + timedelta(days=1), workplace=workplace)
    return shift_rows(visitor, caller, clockings, first, last)


def _keeps(visitor: Visitor, enterprise: str) -> bool:
    return clocking.keeps_positions(visitor.runtime, enterprise)


def _report_page(visitor: Visitor, caller, registration_id: str, values: dict, errors: dict,
                 status: int = 200) -> Response:
    number = cancelling.parse_registration_id(registration_id)
    found = consulting.presences_by_ids(visitor.runtime, caller, [number]) if number else []
    if not found or found[0].inss != caller.inss:
        return page(visitor, "message.html", 404, title=i18n.gettext("No such registration"),
                    message=i18n.gettext("No registration of yours has this number."))
    return page(visitor, "report_error.html", status, title=i18n.gettext("Report an error"), presence=found[0],
                values=values, errors=errors)
