"""The assistant for mass registration (construction and meat): choose a workplace of one's chain; it proposes
the people with a Dimona at one's enterprise (or a mandate in it) and, under a contractor, its subcontractors'
workers registered there before; tick people and choose days (weekends and days already registered skipped);
review the table; register everything in one submission (batched under the hood) and get each line's receipt
number or error, and a CSV of the receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...clock import belgian_date
from ...domain.identifiers import (
    InvalidIdentifier,
    is_belgian_enterprise_number,
    mask_inss,
    parse_any_enterprise,
    parse_inss,
)
from ...domain.registration import Submission
from ...domain.timing import day_window
from ...domain.visibility import Caller, CallerKind
from ...services.errors import NotAllowed
from ...services.registrations import cancelling, consulting, online
from ...services.registrations.registering import Accepted
from . import texts
from .pages import Forbidden, Visitor, channel_of, lists_of, page, redirect, visitor
from .registering import days_between, registrar
from .registrations import receipts_page

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/assistant"
MAX_PEOPLE = 200
MAX_ITEMS = 1_000  # 200 people for 5 working days: each receipt shown on one page


def _enterprise_registrar(visitor: Visitor) -> Caller:
    caller = registrar(visitor)
    if caller.kind is not CallerKind.ENTERPRISE:
        raise Forbidden(visitor, i18n.gettext("The assistant registers an enterprise's workers: choose the "
                                              "enterprise you act for on your account page."))
    return caller


def _workplace(visitor: Visitor, caller: Caller, number: str) -> online.Workplace:
    try:
        return online.workplace_for(visitor.runtime, caller, "".join(c for c in number if c.isalnum())[:13].upper())
    except NotAllowed as refused:
        raise Forbidden(visitor, i18n.gettext(str(refused))) from None


@dataclass
class Period:
    first: date
    last: date
    skip_weekends: bool
    errors: dict[str, str]

    @property
    def days(self) -> list[date]:
        return days_between(self.first, self.last, self.skip_weekends) if not self.errors else []


def _period(visitor: Visitor, first: str, last: str, skip_weekends: bool) -> Period:
    today = belgian_date(visitor.runtime.clock.now())
    start, end = day_window(channel_of(visitor), today)
    errors: dict[str, str] = {}
    days = []
    for name, text, default in (("first", first, today), ("last", last, today)):
        try:
            days.append(date.fromisoformat(text) if text else default)
        except ValueError:
            errors[name] = i18n.gettext("Enter a date, for example 31/12/2027.")
            days.append(default)
    period = Period(days[0], days[1], skip_weekends, errors)
    if not errors:
        if period.last < period.first:
            errors["last"] = i18n.gettext("The last day is before the first.")
        elif not (start <= period.first and period.last <= end):
            errors["last"] = i18n.gettext("Register from today up to %(days)s days ahead.", days=(end - start).days)
        elif not period.days:
            errors["last"] = i18n.gettext("No day left once Saturdays and Sundays are skipped.")
    return period


@dataclass(frozen=True)
class Line:
    """One person × one day of the review."""

    inss: str
    enterprise: str
    day: date
    registered: bool  # already registered: skipped


def _people(visitor: Visitor, caller: Caller, workplace: str, values: list[str],
            errors: dict) -> list[tuple[str, str]]:
    """The ticked people as (INSS, enterprise), checked (a form can be forged): one's own staff by their numbers,
    a subcontractor's worker by a receipt of his that the caller may see, on this workplace."""
    people, receipts = [], []
    for value in values[:MAX_PEOPLE + 1]:
        if value.startswith("r"):
            number = cancelling.parse_registration_id(value[1:])
            if number is None:
                errors["people"] = i18n.gettext("A ticked person's numbers are not valid: choose the people again.")
            else:
                receipts.append(number)
            continue
        inss, _, enterprise = value.partition("|")
        try:
            people.append((parse_inss(inss), parse_any_enterprise(enterprise)))
        except InvalidIdentifier:
            errors["people"] = i18n.gettext("A ticked person's numbers are not valid: choose the people again.")
    for earlier in consulting.presences_by_ids(visitor.runtime, caller, receipts):
        if earlier.workplace == workplace and earlier.inss:
            people.append((earlier.inss, earlier.enterprise_number or earlier.foreign_vat))
    if len(values) > MAX_PEOPLE:
        errors["people"] = i18n.gettext("At most %(count)s people at a time.", count=MAX_PEOPLE)
    elif not people and "people" not in errors:
        errors["people"] = i18n.gettext("Tick at least one person.")
    return list(dict.fromkeys(people))


def _lines(visitor: Visitor, workplace: str, people: list[tuple[str, str]], period: Period) -> list[Line]:
    done = online.registered_days(visitor.runtime, workplace, people, period.first, period.last)
    return [Line(inss, enterprise, day, (inss, enterprise, day) in done)
            for inss, enterprise in people for day in period.days]


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH)
    def choose(visitor: VisitorDep) -> Response:
        caller = _enterprise_registrar(visitor)
        return page(visitor, "assistant.html", title=i18n.gettext("Assistant"),
                    workplaces=online.workplaces_of(visitor.runtime, caller))

    @routes.get(PATH + "/go")
    def go(visitor: VisitorDep, number: str = "") -> Response:
        """The workplace typed on the first step."""
        caller = _enterprise_registrar(visitor)
        return redirect(visitor, f"{PATH}/{_workplace(visitor, caller, number).number}")

    @routes.get(PATH + "/{number}")
    def people(visitor: VisitorDep, number: str, first: str = "", last: str = "",
               skip_weekends: str = "on") -> Response:
        caller = _enterprise_registrar(visitor)
        workplace = _workplace(visitor, caller, number)
        period = _period(visitor, first, last, skip_weekends == "on")
        found = online.candidates(visitor.runtime, caller, workplace, period.first, period.last)
        return _people_page(visitor, workplace, period, found, set(), {}, 400 if period.errors else 200)

    @routes.post(PATH + "/{number}/review")
    async def review(visitor: VisitorDep, number: str) -> Response:
        caller = _enterprise_registrar(visitor)
        form = await lists_of(visitor, max_fields=online.MAX_CANDIDATES + 20)
        return await run_in_threadpool(_review, visitor, caller, number, form)

    @routes.post(PATH + "/{number}/register")
    async def register(visitor: VisitorDep, number: str) -> Response:
        caller = _enterprise_registrar(visitor)
        form = await lists_of(visitor, max_fields=online.MAX_CANDIDATES + 20)
        return await run_in_threadpool(_register, visitor, caller, number, form)

    return routes


def _chosen(visitor: Visitor, caller: Caller, workplace: online.Workplace, form: dict[str, list[str]]
            ) -> tuple[Period, list[tuple[str, str]], dict[str, str]]:
    """The period and the people of a submitted step, and what is wrong with them."""
    period = _period(visitor, _one(form, "first"), _one(form, "last"), _one(form, "skip_weekends") == "on")
    errors = dict(period.errors)
    chosen = _people(visitor, caller, workplace.number, form.get("person", []), errors)
    if not errors and len(chosen) * len(period.days) > MAX_ITEMS:
        errors["last"] = i18n.gettext("At most %(count)s registrations at a time: fewer people or fewer days.",
                                      count=MAX_ITEMS)
    return period, chosen, errors


def _review(visitor: Visitor, caller: Caller, number: str, form: dict[str, list[str]]) -> Response:
    workplace = _workplace(visitor, caller, number)
    period, chosen, errors = _chosen(visitor, caller, workplace, form)
    found = online.candidates(visitor.runtime, caller, workplace, period.first, period.last)
    if errors:
        return _people_page(visitor, workplace, period, found, set(form.get("person", [])), errors, 400)
    lines = _lines(visitor, workplace.number, chosen, period)
    names = {c.inss: c.name for c in found}
    return page(visitor, "assistant_review.html", title=i18n.gettext("Check before registering"),
                workplace=workplace, period=period, lines=lines, keys=form.get("person", []), names=names,
                masked=mask_inss, to_register=sum(1 for line in lines if not line.registered))


def _register(visitor: Visitor, caller: Caller, number: str, form: dict[str, list[str]]) -> Response:
    workplace = _workplace(visitor, caller, number)
    period, chosen, errors = _chosen(visitor, caller, workplace, form)
    if errors:  # the review went stale (past midnight, say): the choice again, with why
        found = online.candidates(visitor.runtime, caller, workplace, period.first, period.last)
        return _people_page(visitor, workplace, period, found, set(form.get("person", [])), errors, 400)
    # The days registered meanwhile are skipped too: sending the same form twice registers nothing twice.
    lines = [line for line in _lines(visitor, workplace.number, chosen, period) if not line.registered]
    submissions = [Submission(workplace=workplace.number, inss=line.inss,
                              enterprise_number=line.enterprise if is_belgian_enterprise_number(line.enterprise)
                              else None,
                              foreign_vat=None if is_belgian_enterprise_number(line.enterprise) else line.enterprise,
                              registration_date=line.day) for line in lines]
    outcomes = online.register_many(visitor.runtime, caller, channel_of(visitor), submissions) if submissions else []
    refused = [f"{mask_inss(line.inss)}, {i18n.format_date(line.day, 'medium')}: "
               + "; ".join(texts.item_error(e) for e in outcome.errors)
               for line, outcome in zip(lines, outcomes, strict=True) if not isinstance(outcome, Accepted)]
    accepted = [o.presence.id for o in outcomes if isinstance(o, Accepted)]
    return receipts_page(visitor, consulting.presences_by_ids(visitor.runtime, caller, accepted), refused)


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()[:20]


def _people_page(visitor: Visitor, workplace: online.Workplace, period: Period, found: list[online.Candidate],
                 ticked: set[str], errors: dict, status: int = 200) -> Response:
    today = belgian_date(visitor.runtime.clock.now())
    return page(visitor, "assistant_people.html", status, title=i18n.gettext("Assistant"), workplace=workplace,
                period=period, candidates=found, ticked=ticked, errors=errors, masked=mask_inss,
                today=today.isoformat(), last_allowed=(today + timedelta(days=35)).isoformat())
