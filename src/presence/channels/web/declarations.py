"""Work declarations in the browser: the list of those one sees (with a search and a CSV export), a
declaration's page (its chain of subcontractors, its history, its QR code and poster), a new declaration, a
subcontractor declared, a declaration cancelled. `services.declarations.declaring` decides and checks all."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...domain.sectors import Sector
from ...domain.visibility import CallerKind, may_declare
from ...services.declarations import declaring
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from .pages import Forbidden, Visitor, finished, form_of, page, person, redirect, visitor
from .workplaces import SECTOR_NAMES

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/declarations"
DONE = {"declared": i18n.lazy("The works are declared. Print the poster and hang it on the workplace."),
        "subcontractor": i18n.lazy("The subcontractor is declared."),
        "cancelled": i18n.lazy("The declaration is cancelled.")}
FIELDS = ("sector", "client", "client_name", "street", "house_number", "post_code", "municipality", "starts_on",
          "ends_on", "amount", "description", "contact_name", "contact_email", "contact_phone")


def _caller(visitor: Visitor):
    _, caller = person(visitor)
    if caller.kind is CallerKind.PERSON:
        raise Forbidden(visitor, i18n.gettext("Work declarations are an enterprise's. Choose the enterprise you act "
                                              "for on your account page."))
    return caller


def _day(text: str | None, field: str, errors: dict) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = i18n.gettext("Enter a date, for example 31/12/2027.")
        return None


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
        out = StringIO()
        writer = csv.writer(out)
        writer.writerow(["number", "sector", "address", "client", "starts_on", "ends_on", "amount_eur",
                         "subject_to_registration", "as"])
        for d in declaring.declarations_of(visitor.runtime, caller, q, limit=100_000):
            writer.writerow([d.number, int(d.sector), d.address, d.client_name, d.starts_on.isoformat(),
                             d.ends_on.isoformat() if d.ends_on else "", f"{d.amount_eur:.2f}",
                             int(d.subject_to_registration), d.as_what])
        return finished(Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="declarations.csv"'}), visitor)

    @routes.get(PATH + "/new")
    def new(visitor: VisitorDep) -> Response:
        _caller(visitor)
        return page(visitor, "declaration_new.html", title=i18n.gettext("Declare works"), errors={},
                    values={"sector": "1"}, sectors=_sectors())

    @routes.post(PATH + "/new")
    async def create(visitor: VisitorDep) -> Response:
        caller = _caller(visitor)
        form = await form_of(visitor)
        values = {name: form.get(name, "").strip() for name in FIELDS}
        errors: dict[str, str] = {}
        starts_on = _day(values["starts_on"], "starts_on", errors)
        if starts_on is None and "starts_on" not in errors:
            errors["starts_on"] = i18n.gettext("Enter the day the works start.")
        ends_on = _day(values["ends_on"], "ends_on", errors)
        try:
            sector = Sector(int(values["sector"] or 0))
        except ValueError:
            errors["sector"] = i18n.gettext("Choose the sector.")
        if not errors:
            data = declaring.Declaration(
                sector=sector, client=values["client"], client_name=values["client_name"], street=values["street"],
                house_number=values["house_number"], post_code=values["post_code"],
                municipality=values["municipality"], starts_on=starts_on, ends_on=ends_on,
                amount_eur=values["amount"], description=values["description"], contact_name=values["contact_name"],
                contact_email=values["contact_email"], contact_phone=values["contact_phone"])
            try:
                number = await run_in_threadpool(declaring.declare, visitor.runtime, caller, data)
            except declaring.DeclarationRefused as refused:
                errors.update(refused.problems)
            except NotAllowed as refusal:
                raise Forbidden(visitor, str(refusal)) from None
        if errors:
            return page(visitor, "declaration_new.html", 400, title=i18n.gettext("Declare works"), errors=errors,
                        values=values, sectors=_sectors())
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
        starts_on = _day(values["sub_starts_on"], "sub_starts_on", errors)
        if starts_on is None and "sub_starts_on" not in errors:
            errors["sub_starts_on"] = i18n.gettext("Enter the day the subcontract starts.")
        ends_on = _day(values["sub_ends_on"], "sub_ends_on", errors)
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
    return page(visitor, "declaration.html", status, title=i18n.gettext("Work declaration %(number)s",
                                                                        number=found.number),
                declaration=found, sector_name=i18n.gettext(SECTOR_NAMES[found.sector]), principals=principals,
                may_cancel=may_declare(caller, found.declaring_contractor) and not found.cancelled,
                errors=errors or {}, values=values or {}, done=i18n.gettext(DONE[done]) if done in DONE else None)
