"""Work declarations in the browser: the list of those one sees (with a search and a CSV export), a
declaration's page (its chain of subcontractors, its history, its QR code and poster), a new declaration, a
subcontractor declared, a declaration cancelled. `services.declarations.declaring` decides and checks all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...domain.sectors import Sector
from ...domain.visibility import CallerKind, may_declare
from ...services.declarations import declaring
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from .downloads import csv_download
from .pages import Forbidden, Visitor, form_day, form_of, page, person, redirect, visitor
from .workplaces import SECTOR_NAMES

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/declarations"
DONE = {"declared": i18n.lazy("The works are declared. Print the poster and hang it on the workplace."),
        "subcontractor": i18n.lazy("The subcontractor is declared."),
        "cancelled": i18n.lazy("The declaration is cancelled."),
        "changed": i18n.lazy("The declaration is changed. Its registrations are checked again."),
        "unchanged": i18n.lazy("Nothing was changed."),
        "ended": i18n.lazy("The subcontract is ended. Its registrations are checked again.")}
FIELDS = ("sector", "client", "client_name", "street", "house_number", "post_code", "municipality", "starts_on",
          "ends_on", "amount", "description", "contact_name", "contact_email", "contact_phone", "position", "latitude",
          "longitude") + tuple(f"{role}_{part}" for role in declaring.ACTOR_ROLES for part in ("name", "enterprise"))
ACTOR_TITLES = {"architect": i18n.lazy("Architect"), "design_coordinator": i18n.lazy("Safety coordinator (design)"),
                "execution_coordinator": i18n.lazy("Safety coordinator (execution)")}


_TERMS_FIELDS = {"starts_on": "terms_starts_on", "ends_on": "terms_ends_on", "amount": "terms_amount"}


def _caller(visitor: Visitor):
    _, caller = person(visitor)
    if caller.kind is CallerKind.PERSON:
        raise Forbidden(visitor, i18n.gettext("Work declarations are an enterprise's. Choose the enterprise you act "
                                              "for on your account page."))
    return caller


def _coordinate(text: str, errors: dict) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        errors["latitude"] = i18n.gettext(
            "Enter the latitude and longitude in degrees, for example 50.8466 and 4.3528.")
        return None


def _actors(values: dict) -> tuple[declaring.Actor, ...]:
    """The actors filled in, in the order of `ACTOR_ROLES` (their errors come back as `actors.<index>...`)."""
    return tuple(declaring.Actor(role, values[f"{role}_name"], values[f"{role}_enterprise"] or None)
                 for role in declaring.ACTOR_ROLES if values[f"{role}_name"] or values[f"{role}_enterprise"])


def _form_errors(problems: dict[str, str], actors: tuple[declaring.Actor, ...]) -> dict[str, str]:
    """The service's problems named after the form's fields."""
    named = {}
    for key, why in problems.items():
        if key.startswith("actors."):
            index, _, part = key.removeprefix("actors.").partition(".")
            key = f"{actors[int(index)].role}_{'enterprise' if part == 'enterprise' else 'name'}"
        named[key] = why
    return named


def _new_form(visitor: Visitor, values: dict, errors: dict, status: int = 200) -> Response:
    return page(visitor, "declaration_new.html", status, title=i18n.gettext("Declare works"), errors=errors,
                values=values, sectors=_sectors(),
                actor_roles=[(role, i18n.gettext(ACTOR_TITLES[role])) for role in declaring.ACTOR_ROLES])


def _sectors() -> list[tuple[int, str]]:
    return [(int(s), i18n.gettext(SECTOR_NAMES[s])) for s in (Sector.CONSTRUCTION, Sector.MEAT, Sector.CLEANING)]


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH)
    def listing(visitor: VisitorDep, q: str = "") -> Response:
        caller = _caller(visitor)
        found = declaring.declarations_of(visitor.runtime, caller, q)
        return page(visitor, "declarations.html", title=i18n.gettext("Work declarations"), declarations=found,
                    q=q, sector_names={int(s): i18n.gettext(n) for s, n in SECTOR_NAMES.items()},
                    may_declare=bool(caller.enterprise and may_declare(caller, caller.enterprise)))

    @routes.get(PATH + ".csv")
    def export(visitor: VisitorDep, q: str = "") -> Response:
        caller = _caller(visitor)
        return csv_download(visitor, "declarations.csv", ["number", "sector", "address", "client", "starts_on",
                                                          "ends_on", "amount_eur", "subject_to_registration", "as"],
                            ([d.number, int(d.sector), d.address, d.client_name, d.starts_on.isoformat(),
                              d.ends_on.isoformat() if d.ends_on else "", f"{d.amount_eur:.2f}",
                              int(d.subject_to_registration), d.as_what]
                             for d in declaring.declarations_of(visitor.runtime, caller, q, limit=100_000)))

    @routes.get(PATH + "/new")
    def new(visitor: VisitorDep) -> Response:
        _caller(visitor)
        return _new_form(visitor, {"sector": "1", "position": "locality"}, {})

    @routes.post(PATH + "/new")
    async def create(visitor: VisitorDep) -> Response:
        caller = _caller(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "").strip() for name in FIELDS}
        errors: dict[str, str] = {}
        starts_on = form_day(values["starts_on"], "starts_on", errors)
        if starts_on is None and "starts_on" not in errors:
            errors["starts_on"] = i18n.gettext("Enter the day the works start.")
        ends_on = form_day(values["ends_on"], "ends_on", errors)
        try:
            sector = Sector(int(values["sector"] or 0))
        except ValueError:
            errors["sector"] = i18n.gettext("Choose the sector.")
        latitude = longitude = None
        if values["position"] == "typed":
            latitude, longitude = (_coordinate(values["latitude"], errors), _coordinate(values["longitude"], errors))
        actors = _actors(values)
        if not errors:
            data = declaring.Declaration(
                sector=sector, client=values["client"], client_name=values["client_name"], street=values["street"],
                house_number=values["house_number"], post_code=values["post_code"],
                municipality=values["municipality"], starts_on=starts_on, ends_on=ends_on,
                amount_eur=values["amount"], description=values["description"], contact_name=values["contact_name"],
                contact_email=values["contact_email"], contact_phone=values["contact_phone"], latitude=latitude,
                longitude=longitude, locate=values["position"] == "locality", actors=actors)
            try:
                number = await run_in_threadpool(declaring.declare, visitor.runtime, caller, data)
            except declaring.DeclarationRefused as refused:
                errors.update(_form_errors(refused.problems, actors))
            except NotAllowed as refusal:
                raise Forbidden(visitor, str(refusal)) from None
        if errors:
            return _new_form(visitor, values, errors, 400)
        return redirect(visitor, f"{PATH}/{number}?done=declared")

    @routes.get(PATH + "/{number}")
    def declaration(visitor: VisitorDep, number: str, done: str | None = None) -> Response:
        return _declaration_page(visitor, number, done=done)

    @routes.post(PATH + "/{number}/subcontractors")
    async def add_subcontractor(visitor: VisitorDep, number: str) -> Response:
        caller = _caller(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "").strip() for name in ("enterprise", "principal", "sub_starts_on",
                                                                 "sub_ends_on", "activities", "sub_amount")}
        errors: dict[str, str] = {}
        starts_on = form_day(values["sub_starts_on"], "sub_starts_on", errors)
        if starts_on is None and "sub_starts_on" not in errors:
            errors["sub_starts_on"] = i18n.gettext("Enter the day the subcontract starts.")
        ends_on = form_day(values["sub_ends_on"], "sub_ends_on", errors)
        if not errors:
            try:
                await run_in_threadpool(declaring.add_subcontractor, visitor.runtime, caller, number,
                                        declaring.Subcontractor(values["enterprise"], values["principal"], starts_on,
                                                                ends_on, values["activities"],
                                                                values["sub_amount"] or None))
            except declaring.DeclarationRefused as refused:
                names = {"starts_on": "sub_starts_on", "ends_on": "sub_ends_on", "amount": "sub_amount"}
                errors.update({names.get(k, k): v for k, v in refused.problems.items()})
            except NotAllowed as refusal:
                raise Forbidden(visitor, str(refusal)) from None
            except (NotFound, InvalidRequest) as refusal:
                errors["enterprise"] = str(refusal)
        if errors:
            return await run_in_threadpool(_declaration_page, visitor, number, errors, values, None, 400)
        return redirect(visitor, f"{PATH}/{number}?done=subcontractor")

    @routes.post(PATH + "/{number}/terms")
    async def change_terms(visitor: VisitorDep, number: str) -> Response:
        caller = _caller(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "").strip() for name in ("terms_starts_on", "terms_ends_on", "terms_amount")}
        errors: dict[str, str] = {}
        starts_on = form_day(values["terms_starts_on"], "terms_starts_on", errors)
        if starts_on is None and "terms_starts_on" not in errors:
            errors["terms_starts_on"] = i18n.gettext("Enter the day the works start.")
        ends_on = form_day(values["terms_ends_on"], "terms_ends_on", errors)
        changes = None
        if not errors:
            try:
                changes = await run_in_threadpool(declaring.change_terms, visitor.runtime, caller, number,
                                                  declaring.Terms(starts_on, ends_on, values["terms_amount"]))
            except declaring.DeclarationRefused as refused:
                errors.update({_TERMS_FIELDS.get(k, "terms_starts_on"): v for k, v in refused.problems.items()})
            except NotAllowed as refusal:
                raise Forbidden(visitor, str(refusal)) from None
        if errors:
            return await run_in_threadpool(_declaration_page, visitor, number, errors, values, None, 400)
        return redirect(visitor, f"{PATH}/{number}?done={'changed' if changes else 'unchanged'}")

    @routes.post(PATH + "/{number}/subcontractors/end")
    async def end_subcontract(visitor: VisitorDep, number: str) -> Response:
        caller = _caller(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "").strip() for name in ("ended", "end_on")}
        errors: dict[str, str] = {}
        ends_on = form_day(values["end_on"], "end_on", errors)
        if ends_on is None and "end_on" not in errors:
            errors["end_on"] = i18n.gettext("Enter the subcontract's last day.")
        if not errors:
            try:
                await run_in_threadpool(declaring.end_subcontractor, visitor.runtime, caller, number,
                                        values["ended"], ends_on)
            except declaring.DeclarationRefused as refused:
                errors["end_on"] = next(iter(refused.problems.values()))
            except NotAllowed as refusal:
                raise Forbidden(visitor, str(refusal)) from None
            except NotFound as refusal:
                errors["ended"] = str(refusal)
        if errors:
            return await run_in_threadpool(_declaration_page, visitor, number, errors, values, None, 400)
        return redirect(visitor, f"{PATH}/{number}?done=ended")

    @routes.post(PATH + "/{number}/cancel")
    async def cancel(visitor: VisitorDep, number: str) -> Response:
        caller = _caller(visitor)
        await form_of(visitor)
        try:
            await run_in_threadpool(declaring.cancel_declaration, visitor.runtime, caller, number)
        except NotAllowed as refusal:
            raise Forbidden(visitor, str(refusal)) from None
        except NotFound:
            pass
        return redirect(visitor, f"{PATH}?done=cancelled")

    return routes


CHANGES = {"declared": i18n.lazy("declared"), "subcontractor_added": i18n.lazy("subcontractor declared"),
           "subcontractor_ended": i18n.lazy("subcontract ended"), "changed": i18n.lazy("changed"),
           "cancelled": i18n.lazy("cancelled")}
TERMS = {"starts_on": i18n.lazy("first day"), "ends_on": i18n.lazy("last day"), "amount": i18n.lazy("amount"),
         "subject_to_registration": i18n.lazy("presence registration required")}


def _shown(name: str, value) -> str:
    """A value of the history's details as the reader reads it."""
    if value is None:
        return i18n.gettext("none")
    if name in ("starts_on", "ends_on"):
        return i18n.format_date(date.fromisoformat(value), "medium")
    if name == "amount":
        return i18n.format_money(Decimal(value))
    if isinstance(value, bool):
        return i18n.gettext("yes") if value else i18n.gettext("no")
    return str(value)


def _history(found: declaring.DeclarationView) -> list[tuple]:
    """(when, what happened, its details, by whom) of each revision, in the reader's language."""
    lines = []
    for revision in found.revisions:
        what = i18n.gettext(CHANGES[revision.change]) if revision.change in CHANGES else revision.change
        details = revision.details
        if revision.change == "changed":
            said = "; ".join(i18n.gettext("%(what)s: %(before)s → %(after)s", what=i18n.gettext(TERMS[k]),
                                          before=_shown(k, v[0]), after=_shown(k, v[1]))
                             for k, v in details.items() if k in TERMS)
        elif revision.change == "subcontractor_ended":
            said = f"{found.names.get(details['enterprise'], details['enterprise'])}, " + i18n.gettext(
                "last day %(day)s", day=_shown("ends_on", details["ends_on"]))
        elif details.get("enterprise"):
            said = found.names.get(details["enterprise"], details["enterprise"])
        else:
            said = ""
        lines.append((revision.changed_at, what, said, revision.actor))
    return lines


def _declaration_page(visitor: Visitor, number: str, errors: dict | None = None, values: dict | None = None,
                      done: str | None = None, status: int = 200) -> Response:
    caller = _caller(visitor)
    try:
        found = declaring.declaration_of(visitor.runtime, caller, number)
    except NotFound:
        return page(visitor, "message.html", 404, title=i18n.gettext("No such declaration"),
                    message=i18n.gettext("No work declaration you may see has this number."))
    in_chain = [found.declaring_contractor] + [s.enterprise for s in found.subcontractors]
    principals = in_chain if may_declare(caller, found.declaring_contractor) else (
        [caller.enterprise] if caller.enterprise in in_chain and may_declare(caller, caller.enterprise) else [])
    declarant = may_declare(caller, found.declaring_contractor) and not found.cancelled
    endable = [s for s in found.subcontractors if declarant or (s.principal == caller.enterprise and principals)]
    values = values or {}
    if declarant and "terms_starts_on" not in values:
        values.update(terms_starts_on=found.starts_on.isoformat(),
                      terms_ends_on=found.ends_on.isoformat() if found.ends_on else "",
                      terms_amount=f"{found.amount_eur:.2f}")
    return page(visitor, "declaration.html", status, title=i18n.gettext("Work declaration %(number)s",
                                                                        number=found.number),
                declaration=found, sector_name=i18n.gettext(SECTOR_NAMES[found.sector]), principals=principals,
                may_cancel=declarant, may_change=declarant, endable=endable, history=_history(found),
                actor_titles={role: i18n.gettext(title) for role, title in ACTOR_TITLES.items()},
                errors=errors or {}, values=values, done=i18n.gettext(DONE[done]) if done in DONE else None)
