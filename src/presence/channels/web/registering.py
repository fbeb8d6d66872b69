"""Registering by hand (construction and meat): a person (national number, BIS or Limosa number), the
enterprise he works for (one's own, or a subcontractor under it on the workplace), the workplace, and one or
more days from today up to 35 days ahead. A registrar registers anyone; a person (a self-employed worker)
registers himself only. Formal errors are named on their field, in the same words as the web services'
(translated), and nothing is stored; accepted days get their receipt numbers at once, their remarks seconds later
(`registrations.receipts`). "Register again for today" repeats earlier registrations (`/register/again`), which
a phone offers from its recent ones (`regular.js` keeps only receipt numbers, never a personal number)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...clock import belgian_date
from ...domain.errors import MAX_BATCH
from ...domain.identifiers import InvalidIdentifier, is_belgian_enterprise_number, parse_any_enterprise
from ...domain.registration import Submission
from ...domain.timing import day_window
from ...domain.visibility import Caller, CallerKind, Role
from ...services.errors import NotAllowed
from ...services.registrations import consulting, online
from ...services.registrations.registering import Accepted
from . import texts
from .pages import Forbidden, Visitor, channel_of, form_day, form_of, lists_of, page, person, redirect, visitor
from .registrations import person_number, receipt_numbers, receipts_page

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/register"
FIELDS = ("person", "enterprise", "workplace", "first_day", "last_day", "skip_weekends")


def registrar(visitor: Visitor) -> Caller:
    """The caller, if he may register on these pages: a registrar of his enterprise, or a person for himself."""
    _, caller = person(visitor)
    if caller.kind is CallerKind.PERSON:
        return caller
    if caller.kind is not CallerKind.ENTERPRISE or Role.REGISTRAR not in caller.roles:
        raise Forbidden(visitor, i18n.gettext("Registering for an enterprise needs the registrar role. Its access "
                                              "managers grant it."))
    return caller


def days_between(first: date, last: date, skip_weekends: bool) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [day for day in days if not (skip_weekends and day.weekday() >= 5)]


@dataclass
class Entry:
    """What the form asks to register, checked as far as the page can; `errors` by field otherwise."""

    submissions: list[Submission]
    workplace: str | None
    errors: dict[str, str]


def entry_of(visitor: Visitor, caller: Caller, values: dict[str, str]) -> Entry:
    errors: dict[str, str] = {}
    today = belgian_date(visitor.runtime.clock.now())
    if caller.kind is CallerKind.PERSON:
        inss, limosa = caller.inss, None  # a person registers himself, whatever was typed
    elif not values["person"]:
        inss = limosa = None
        errors["person"] = i18n.gettext("Enter the national number, BIS or Limosa number.")
    else:
        inss, limosa = person_number(values["person"], "person", errors)
    enterprise = None
    if limosa is None:
        if not values["enterprise"]:
            errors["enterprise"] = i18n.gettext("Enter the enterprise the person works for.")
        else:
            try:
                enterprise = parse_any_enterprise(values["enterprise"])
            except InvalidIdentifier as error:
                errors["enterprise"] = i18n.gettext("%(what)s: %(reason)s", what=i18n.gettext(error.field),
                                                    reason=i18n.gettext(error.reason))
    workplace = None
    if not values["workplace"]:
        errors["workplace"] = i18n.gettext("Enter the work-declaration number of the workplace.")
    else:
        try:
            workplace = online.workplace_for(visitor.runtime, caller, _compact(values["workplace"])).number
        except NotAllowed as refused:
            errors["workplace"] = i18n.gettext(str(refused))
    first = form_day(values["first_day"] or today.isoformat(), "first_day", errors)
    last = form_day(values["last_day"], "last_day", errors) if values["last_day"] else first
    days: list[date] = []
    if first and last:
        start, end = day_window(channel_of(visitor), today)
        if last < first:
            errors["last_day"] = i18n.gettext("The last day is before the first.")
        elif not (start <= first and last <= end):
            errors["first_day" if not start <= first <= end else "last_day"] = i18n.gettext(
                "Register from today up to %(days)s days ahead.", days=(end - start).days)
        else:
            days = days_between(first, last, values["skip_weekends"] == "on")
            if not days:
                errors["last_day"] = i18n.gettext("No day left once Saturdays and Sundays are skipped.")
    if errors:
        return Entry([], workplace, errors)
    belgian = enterprise is not None and is_belgian_enterprise_number(enterprise)
    return Entry([Submission(workplace=workplace, inss=inss, limosa_id=limosa,
                             enterprise_number=enterprise if belgian else None,
                             foreign_vat=enterprise if enterprise and not belgian else None, registration_date=day)
                  for day in days], workplace, {})


def _compact(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).upper()[:13]


def form_page(visitor: Visitor, caller: Caller, values: dict, errors: dict, status: int = 200) -> Response:
    today = belgian_date(visitor.runtime.clock.now())
    workplaces = online.workplaces_of(visitor.runtime, caller)
    if caller.kind is CallerKind.PERSON:
        enterprises = online.enterprises_of_person(visitor.runtime, caller.inss, today)
    else:
        enterprises = online.enterprises_below(visitor.runtime, caller, workplaces)
    values.setdefault("first_day", today.isoformat())
    if not values.get("enterprise") and enterprises:
        values["enterprise"] = enterprises[0][0]
    return page(visitor, "register.html", status, title=i18n.gettext("Register"), values=values, errors=errors,
                workplaces=workplaces, enterprises=enterprises, myself=caller.kind is CallerKind.PERSON,
                last_allowed=(today + timedelta(days=35)).isoformat(), today=today.isoformat())


def outcome_page(visitor: Visitor, caller: Caller, entry: Entry, outcomes: list, values: dict) -> Response:
    """The receipts of what was accepted; when nothing was, the form again with each error on its field."""
    accepted = [o.presence for o in outcomes if isinstance(o, Accepted)]
    if not accepted:
        errors: dict[str, str] = {}
        for outcome in outcomes:
            for error in outcome.errors:
                errors.setdefault(texts.FORM_FIELDS.get(error.field, ""), texts.item_error(error))
        return form_page(visitor, caller, values, errors, 400)
    refused = [f"{i18n.format_date(s.registration_date, 'medium')}: "
               + "; ".join(texts.item_error(e) for e in o.errors)
               for s, o in zip(entry.submissions, outcomes, strict=True) if not isinstance(o, Accepted)]
    if not refused and len(accepted) <= 50:  # a short list: its address can be bookmarked and reloaded
        return redirect(visitor, "/registrations/receipts?" + "&".join(f"id={p.id}" for p in accepted))
    return receipts_page(visitor, consulting.presences_by_ids(visitor.runtime, caller, [p.id for p in accepted]),
                         refused)


def _again(visitor: Visitor, caller: Caller, ids: list[int]) -> list[Submission]:
    """Today's registrations of the people of these receipts, on their workplaces: only on workplaces the caller
    may register on, and not twice (a second tap registers nothing more)."""
    today = belgian_date(visitor.runtime.clock.now())
    earlier = consulting.presences_by_ids(visitor.runtime, caller, ids)
    if caller.kind is CallerKind.PERSON:
        earlier = [p for p in earlier if p.inss == caller.inss]
    allowed: dict[str, bool] = {}
    for workplace in {p.workplace for p in earlier}:
        try:
            online.workplace_for(visitor.runtime, caller, workplace)
            allowed[workplace] = True
        except NotAllowed:
            allowed[workplace] = False
    people = {(p.inss, p.limosa_id, p.enterprise_number, p.foreign_vat, p.workplace) for p in earlier
              if allowed[p.workplace]}
    done = set()
    for workplace in {w for *_, w in people}:
        pairs = [(i, e or v) for i, lim, e, v, w in people if w == workplace and i]
        done |= {(i, e, workplace) for i, e, _ in online.registered_days(visitor.runtime, workplace, pairs, today,
                                                                          today)}
    return [Submission(workplace=w, inss=i, limosa_id=lim, enterprise_number=e, foreign_vat=v,
                       registration_date=today)
            for i, lim, e, v, w in sorted(people, key=str) if (i, e or v, w) not in done]


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH)
    def form(visitor: VisitorDep, workplace: str = "") -> Response:
        caller = registrar(visitor)
        return form_page(visitor, caller, {"workplace": _compact(workplace)}, {})

    @routes.post(PATH)
    async def register(visitor: VisitorDep) -> Response:
        caller = registrar(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "").strip()[:100] for name in FIELDS}
        entry = await run_in_threadpool(entry_of, visitor, caller, values)
        if entry.errors:
            return await run_in_threadpool(form_page, visitor, caller, values, entry.errors, 400)
        outcomes = await run_in_threadpool(online.register_many, visitor.runtime, caller, channel_of(visitor),
                                           entry.submissions)
        return await run_in_threadpool(outcome_page, visitor, caller, entry, outcomes, values)

    @routes.post(PATH + "/again")
    async def again(visitor: VisitorDep) -> Response:
        """The same people, enterprises and workplace as these receipts, registered again for today."""
        caller = registrar(visitor)
        form = await lists_of(visitor)
        ids = receipt_numbers(form.get("id", []))[:MAX_BATCH]
        submissions = await run_in_threadpool(_again, visitor, caller, ids)
        if not submissions:
            return redirect(visitor, "/registrations")  # all done already, or nothing one may register
        entry = Entry(submissions, submissions[0].workplace, {})
        outcomes = await run_in_threadpool(online.register_many, visitor.runtime, caller, channel_of(visitor),
                                           submissions)
        return await run_in_threadpool(outcome_page, visitor, caller, entry, outcomes, {})

    return routes
