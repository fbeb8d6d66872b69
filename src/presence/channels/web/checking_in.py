"""Checking in and out on one's own phone (cleaning): the workplace's page (`/w/<number>`, where the poster's QR
code leads) shows a signed-in worker one big button for what comes next (check in; start a break or check out;
end the break) and, after each, the time recorded to the minute in Belgian time and the receipt number. Without
the QR code he types the declaration number (`/check-in`). `services.registrations.clocking` decides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...clock import belgian_date
from ...domain.identifiers import InvalidIdentifier, parse_any_enterprise
from ...domain.visibility import CallerKind
from ...services.registrations import cancelling, clocking, consulting
from ...services.registrations.registering import Accepted
from . import texts
from .pages import Forbidden, Visitor, channel_of, form_of, page, person, redirect, visitor
from .registrations import row_of

VisitorDep = Annotated[Visitor, Depends(visitor)]
MAX_TAP_AGE = timedelta(hours=1)  # a tap older than this is not believed: the instant of sending is taken
MOMENT_DONE = {"in": i18n.lazy("Checked in at %(time)s"), "break": i18n.lazy("Break started at %(time)s"),
               "back": i18n.lazy("Break ended at %(time)s"), "out": i18n.lazy("Checked out at %(time)s")}


def worker(visitor: Visitor):
    _, caller = person(visitor)
    if caller.kind is not CallerKind.PERSON:
        raise Forbidden(visitor, i18n.gettext("Workers check in and out for themselves: choose “Myself” on your "
                                              "account page."))
    return caller


def check_in_page(visitor: Visitor, place: clocking.Place, errors: dict | None = None, status: int = 200
                  ) -> Response:
    """The workplace's page for a signed-in worker: where he stands, what he can tap, and what he just did (the
    time recorded and its receipt, whose checks' result comes in without reloading)."""
    caller = worker(visitor)
    done = None
    query = visitor.request.query_params
    receipt = cancelling.parse_registration_id(query.get("receipt", ""))
    if receipt is not None and query.get("done") in MOMENT_DONE:
        found = consulting.presences_by_ids(visitor.runtime, caller, [receipt])
        if found and found[0].clocked_at is not None:
            done = {"what": i18n.gettext(MOMENT_DONE[query["done"]], time=i18n.format_time(found[0].clocked_at)),
                    "row": row_of(found[0])}
    state = clocking.state_of(visitor.runtime, caller, place.number)
    now = visitor.runtime.clock.now()
    employers = clocking.employers_of(visitor.runtime, caller.inss, belgian_date(now))
    if state.checked_in:
        moments = [("break", i18n.gettext("Start a break")), ("out", i18n.gettext("Check out"))]
    elif state.on_break:
        moments = [("back", i18n.gettext("End the break")), ("out", i18n.gettext("I have finished"))]
    else:
        moments = [("in", i18n.gettext("Check in"))]
    keeps = any(clocking.keeps_positions(visitor.runtime, e.number) for e in employers)
    return page(visitor, "check_in.html", status, title=place.address, place=place, state=state,
                moments=moments, employers=employers, errors=errors or {}, done=done, keeps_positions=keeps,
                opened_at=now.isoformat(), last_employer=state.last_employer)


def _tapped_at(text: str, now: datetime) -> datetime:
    """The instant the worker tapped, as the page measured it; the instant of sending when it cannot be
    believed. The rules of the channel then judge it (at most 10 minutes late, never ahead)."""
    try:
        tapped = datetime.fromisoformat(text)
    except ValueError:
        return now
    if tapped.tzinfo is None or abs(now - tapped) > MAX_TAP_AGE:
        return now
    return tapped


def _position(values: dict[str, str]) -> clocking.Position | None:
    if values.get("consent") != "on":
        return None
    try:
        latitude, longitude = float(values.get("latitude", "")), float(values.get("longitude", ""))
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return clocking.Position(latitude, longitude)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/check-in")
    def find(visitor: VisitorDep, number: str = "") -> Response:
        """Without the QR code: the declaration number typed."""
        worker(visitor)
        errors = {}
        if number:
            place = clocking.cleaning_place(visitor.runtime, "".join(c for c in number if c.isalnum()))
            if place is not None:
                return redirect(visitor, f"/w/{place.number}")
            errors["number"] = i18n.gettext("No cleaning workplace in force has this number. Check it on the "
                                            "poster.")
        return page(visitor, "check_in_find.html", 400 if errors else 200, title=i18n.gettext("Check in"),
                    errors=errors, number=number[:20])

    @routes.post("/w/{number}/clock")
    async def clock(visitor: VisitorDep, number: str) -> Response:
        caller = worker(visitor)
        form = await form_of(visitor)
        return await run_in_threadpool(_clock, visitor, caller, number, form)

    return routes


def _clock(visitor: Visitor, caller, number: str, form: dict[str, str]) -> Response:
    place = clocking.cleaning_place(visitor.runtime, number)
    if place is None:
        return page(visitor, "message.html", 404, title=i18n.gettext("No such workplace"),
                    message=i18n.gettext("No declared workplace has this number. Check the number on the "
                                         "poster, or ask the site manager."))
    moment = form.get("moment", "")
    if moment not in clocking.MOMENTS:
        return check_in_page(visitor, place, {"moment": i18n.gettext("Choose what you do.")}, status=400)
    now = visitor.runtime.clock.now()
    employers = clocking.employers_of(visitor.runtime, caller.inss, belgian_date(now))
    chosen = form.get("employer", "").strip()
    if not chosen and len(employers) == 1:
        chosen = employers[0].number
    if employers and chosen not in {e.number for e in employers}:
        chosen = ""  # one of those he works for, as the sources say: not any enterprise's staff page
    try:
        employer = parse_any_enterprise(chosen) if chosen else None
    except InvalidIdentifier as error:
        return check_in_page(visitor, place, {"employer": i18n.gettext(
            "%(what)s: %(reason)s", what=i18n.gettext(error.field), reason=i18n.gettext(error.reason))}, status=400)
    if employer is None:
        return check_in_page(visitor, place, {"employer": i18n.gettext("Choose for whom you work today.")},
                             status=400)
    outcome = clocking.clock(visitor.runtime, caller, channel_of(visitor), place, moment, employer,
                             _tapped_at(form.get("tapped_at", ""), now), _position(form))
    if not isinstance(outcome, Accepted):
        return check_in_page(visitor, place, {"moment": "; ".join(texts.item_error(e) for e in outcome.errors)},
                             status=400)
    # See the answer's page (a reload must not check in twice).
    return redirect(visitor, f"/w/{place.number}?done={moment}&receipt={outcome.presence.id}")
