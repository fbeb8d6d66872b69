"""An enterprise's gateway kiosks (`/enterprise/kiosks`): those set up for its workplaces, named, with where
their chain of registrations stands, renamed and revoked (a revoked kiosk is refused at once). Kiosks are set up
from their own screen by a declarant or registrar of the declaring contractor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...domain.visibility import CallerKind
from ...services.errors import InvalidRequest, NotFound
from ...services.registrations import cancelling, gateway
from .pages import Forbidden, Visitor, form_of, page, person, redirect, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/enterprise/kiosks"
DONE = {"renamed": i18n.lazy("The kiosk is renamed."), "revoked": i18n.lazy("The kiosk is revoked: what it sends "
                                                                            "is refused from now on.")}


def _contractor(visitor: Visitor):
    _, caller = person(visitor)
    if caller.kind is not CallerKind.ENTERPRISE or not caller.roles & gateway.ENROLLING_ROLES:
        raise Forbidden(visitor, i18n.gettext("An enterprise's kiosks are its declarants' and registrars'."))
    return caller


def _page(visitor: Visitor, errors: dict | None = None, status: int = 200) -> Response:
    caller = _contractor(visitor)
    done = visitor.request.query_params.get("done")
    return page(visitor, "kiosks.html", status, title=i18n.gettext("Kiosks"),
                kiosks=gateway.devices_of(visitor.runtime, caller), errors=errors or {},
                done=i18n.gettext(DONE[done]) if done in DONE else None)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH)
    def kiosks(visitor: VisitorDep) -> Response:
        return _page(visitor)

    @routes.post(PATH + "/{kiosk}/rename")
    async def rename(visitor: VisitorDep, kiosk: str) -> Response:
        caller = _contractor(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(gateway.rename_device, visitor.runtime, caller,
                                    cancelling.parse_registration_id(kiosk) or 0, form.get("name", ""))
        except (InvalidRequest, NotFound) as refused:
            return await run_in_threadpool(_page, visitor, {f"name-{kiosk[:15]}": i18n.gettext(str(refused))}, 400)
        return redirect(visitor, PATH + "?done=renamed")

    @routes.post(PATH + "/{kiosk}/revoke")
    async def revoke(visitor: VisitorDep, kiosk: str) -> Response:
        caller = _contractor(visitor)
        await form_of(visitor)
        try:
            await run_in_threadpool(gateway.revoke_device, visitor.runtime, caller,
                                    cancelling.parse_registration_id(kiosk) or 0)
        except NotFound as missing:
            return await run_in_threadpool(_page, visitor, {"": i18n.gettext(str(missing))}, 404)
        return redirect(visitor, PATH + "?done=revoked")

    return routes
