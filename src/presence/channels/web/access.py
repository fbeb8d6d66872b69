"""Access management: the access managers of the enterprise a person acts for grant and revoke its roles
(`domain.visibility.Role`) through `services.access.roles`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...domain.identifiers import mask_inss
from ...domain.visibility import GRANTABLE_ROLES, Role, may_grant, may_manage_access
from ...services.access import roles
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from .pages import Forbidden, Visitor, form_of, page, person, redirect, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/enterprise/access"
ROLE_DESCRIPTIONS = {
    Role.ACCESS_MANAGER: i18n.lazy("Grants and revokes the roles below for the enterprise."),
    Role.TECHNICAL_MANAGER: i18n.lazy("Manages the web-service accounts and their certificates."),
    Role.REGISTRAR: i18n.lazy("Registers and cancels presences for the enterprise, and consults them."),
    Role.CONSULTANT: i18n.lazy("Consults the enterprise's registrations, changes nothing."),
    Role.DECLARANT: i18n.lazy("Makes and changes the enterprise's work declarations and declares its "
                              "subcontractors."),
}
DONE = {"granted": i18n.lazy("The role is granted."), "revoked": i18n.lazy("The role is revoked.")}


def _manager(visitor: Visitor):
    """The enterprise whose access the visitor manages now, or a refusal."""
    _, caller = person(visitor)
    enterprise = visitor.enterprise
    if enterprise is None or not may_manage_access(caller, enterprise.enterprise):
        raise Forbidden(visitor, i18n.gettext("Only the access managers of an enterprise manage who acts for it. "
                                              "Choose the enterprise you act for on your account page."))
    return caller, enterprise


def _access_page(visitor: Visitor, errors: dict | None = None, values: dict | None = None,
                 done: str | None = None, status: int = 200) -> Response:
    caller, enterprise = _manager(visitor)
    grants = [
        {"id": grant.id, "person_name": grant.person_name, "masked_number": mask_inss(grant.national_number),
         "role": grant.role, "ends_on": grant.ends_on,
         "revocable": may_grant(caller, enterprise.enterprise, grant.role)}
        for grant in roles.grants_of(visitor.runtime, caller, enterprise.enterprise)]
    events = [{"occurred_at": event.occurred_at, "action": event.action, "role": event.role,
               "person": event.person_name or mask_inss(event.national_number), "actor_name": event.actor_name}
              for event in roles.access_events(visitor.runtime, caller, enterprise.enterprise)]
    grantable = [(role, i18n.gettext(ROLE_DESCRIPTIONS[role])) for role in GRANTABLE_ROLES
                 if may_grant(caller, enterprise.enterprise, role)]
    return page(visitor, "access.html", status, title=i18n.gettext("Access management"), enterprise=enterprise,
                grants=grants, events=events, grantable=grantable, errors=errors or {}, values=values or {},
                done=i18n.gettext(DONE[done]) if done in DONE else None)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH)
    def access(visitor: VisitorDep, done: str | None = None) -> Response:
        return _access_page(visitor, done=done)

    @routes.post(PATH + "/grant")
    async def grant(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form = await form_of(visitor)
        values = {key: form.get(key, "") for key in ("national_number", "role", "ends_on")}
        errors = {}
        ends_on = None
        if values["ends_on"]:
            try:
                ends_on = date.fromisoformat(values["ends_on"])
            except ValueError:
                errors["ends_on"] = i18n.gettext("Enter the last day as a date, for example 31/12/2027.")
        if not values["role"]:
            errors["role"] = i18n.gettext("Choose a role.")
        if not errors:
            try:
                await run_in_threadpool(roles.grant_role, visitor.runtime, caller, enterprise.enterprise,
                                        values["national_number"], values["role"], ends_on)
            except InvalidRequest as refusal:
                errors[refusal.field if refusal.field in values else "national_number"] = str(refusal)
            except NotAllowed as refusal:
                raise Forbidden(visitor, str(refusal)) from None
        if errors:
            return await run_in_threadpool(_access_page, visitor, errors, values, None, 400)
        return redirect(visitor, PATH + "?done=granted")

    @routes.post(PATH + "/revoke")
    async def revoke(visitor: VisitorDep) -> Response:
        caller, enterprise = _manager(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(roles.revoke_grant, visitor.runtime, caller, enterprise.enterprise,
                                    int(form.get("grant") or 0))
        except (NotFound, ValueError):
            pass  # revoked meanwhile (another tab, another manager): the list shows it gone
        except NotAllowed as refusal:
            raise Forbidden(visitor, str(refusal)) from None
        return redirect(visitor, PATH + "?done=revoked")

    return routes
