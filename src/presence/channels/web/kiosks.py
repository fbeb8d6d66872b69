"""An enterprise's gateway kiosks (`/enterprise/kiosks`): those set up for its workplaces, named, with where
their chain of registrations stands, renamed and revoked (a revoked kiosk is refused at once).

A kiosk is set up from its own screen (`presence gateway`): it opens `/enterprise/kiosks/new` with its public key
and the local address to come back to; a declarant or registrar of the declaring contractor signs in here, with
his usual means, chooses the workplace and names the kiosk; the kiosk is enrolled, the person signed out, and the
kiosk's screen takes over (it then asks the registry, with its key, which kiosk it is)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...domain.gateway_entries import fingerprint, key_from_link
from ...domain.visibility import Caller, CallerKind
from ...services.access import sessions
from ...services.errors import InvalidRequest, NotAllowed, NotFound
from ...services.registrations import cancelling, gateway, online
from .pages import Forbidden, Visitor, finished, forget_cookie, form_of, page, person, redirect, visitor

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


def kiosk_address(back: str | None) -> str | None:
    """Where the kiosk's own screen waits: only the page of the kiosk program, on the machine itself."""
    if not back or len(back) > 200:
        return None
    parts = urlsplit(back)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or parts.path != "/enrolled" \
            or parts.username or parts.password or parts.query or parts.fragment:
        return None
    return back


def _enrolling_callers(visitor: Visitor) -> list[tuple[Caller, str]]:
    """The enterprises the signed-in person may set a kiosk up for (as declarant or registrar), as callers."""
    signed_in, _ = person(visitor)
    return [(Caller.enterprise_account(acting.enterprise, acting.roles, sender_id=f"user:{signed_in.user_id}",
                                       user_type="PERSON", inss=signed_in.national_number), acting.name)
            for acting in visitor.acting if acting.roles & gateway.ENROLLING_ROLES]


def _workplaces(visitor: Visitor) -> list[tuple[Caller, str, online.Workplace]]:
    return [(caller, name, workplace) for caller, name in _enrolling_callers(visitor)
            for workplace in online.workplaces_of(visitor.runtime, caller)
            if workplace.declaring_contractor == caller.enterprise]


def _new_page(visitor: Visitor, pem: str | None, back: str | None, errors: dict | None = None,
              status: int = 200) -> Response:
    person(visitor)
    if pem is None or back is None:
        return page(visitor, "message.html", 400, title=i18n.gettext("This link does not set a kiosk up"),
                    message=i18n.gettext("Open it from the kiosk's own screen: it gives its key and where to come "
                                         "back to."))
    return page(visitor, "kiosk_new.html", status, title=i18n.gettext("Set up a kiosk"),
                workplaces=_workplaces(visitor), fingerprint=fingerprint(pem), errors=errors or {},
                key=visitor.request.query_params.get("key", ""), back=back)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH + "/new")
    def new_kiosk(visitor: VisitorDep, key: str = "", back: str = "") -> Response:
        return _new_page(visitor, key_from_link(key[:400]), kiosk_address(back))

    @routes.post(PATH + "/new")
    async def enrol(visitor: VisitorDep, key: str = "", back: str = "") -> Response:
        signed_in, _ = person(visitor)
        form = await form_of(visitor)
        pem, address = key_from_link(key[:400]), kiosk_address(back)
        if pem is None or address is None:
            return await run_in_threadpool(_new_page, visitor, pem, address)
        choices = {w.number: caller for caller, _, w in await run_in_threadpool(_workplaces, visitor)}
        caller = choices.get(form.get("workplace", ""))
        if caller is None:
            return await run_in_threadpool(_new_page, visitor, pem, address,
                                           {"workplace": i18n.gettext("Choose the workplace of this kiosk.")}, 400)
        try:
            device = await run_in_threadpool(gateway.enrol_device, visitor.runtime, caller, form["workplace"],
                                             form.get("name", ""), pem)
        except (InvalidRequest, NotAllowed, NotFound) as refused:
            return await run_in_threadpool(_new_page, visitor, pem, address,
                                           {"workplace": i18n.gettext(str(refused))}, 400)
        # The kiosk stays on the site for everyone: whoever set it up is signed out before it takes over.
        await run_in_threadpool(sessions.end_session, visitor.runtime, signed_in)
        response = RedirectResponse(f"{PATH}/set-up?{urlencode({'kiosk': device.id, 'back': address})}",
                                    status_code=303)
        return forget_cookie(finished(response, visitor), visitor, "presence-session")

    @routes.get(PATH + "/set-up")
    def set_up(visitor: VisitorDep, kiosk: int = 0, back: str = "") -> Response:
        """Back to the kiosk's own screen, which asks the registry which kiosk it is: a page that goes there
        itself (a form's answer may not lead off this site: the pages' form-action policy)."""
        address = kiosk_address(back)
        if address is None or kiosk < 1:
            return page(visitor, "message.html", 400, title=i18n.gettext("This link does not set a kiosk up"),
                        message=i18n.gettext("Open it from the kiosk's own screen: it gives its key and where to "
                                             "come back to."))
        return page(visitor, "kiosk_set_up.html", title=i18n.gettext("The kiosk is set up"),
                    onward=f"{address}?{urlencode({'kiosk': kiosk})}")

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
