"""The online service's pages (server-rendered, Jinja2; README, "The online service"): the start page, signing in,
one's account, access management, web-service accounts. `mount` adds them to the application with their static
files and the answers to the refusals every page shares (sign in first, not allowed, expired form)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ... import i18n
from ...services.runtime import Runtime
from ..http.bodies import BodyTooLarge
from . import (
    access,
    account,
    assistant,
    checking_in,
    corrections,
    declarations,
    kiosks,
    passkeys,
    registering,
    registrations,
    scanning,
    shifts,
    sign_in,
    sign_in_limits,
    web_services,
    workplaces,
)
from .bodies import TOO_LARGE, PageBodies
from .pages import HERE, STATIC_PATH, Forbidden, FormExpired, NeedsSignIn, page, redirect, sign_in_url


def mount(app: FastAPI, runtime: Runtime) -> None:
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="static")
    limits = sign_in_limits.SignInLimits()  # one budget for every way of signing in
    app.include_router(sign_in.router(limits))
    app.include_router(passkeys.router(limits))
    app.include_router(account.router())
    app.include_router(access.router())
    app.include_router(web_services.router())
    app.include_router(workplaces.router())
    app.include_router(declarations.router())
    app.include_router(registering.router())
    app.include_router(assistant.router())
    app.include_router(scanning.router())
    app.include_router(checking_in.router())
    app.include_router(shifts.router())
    app.include_router(corrections.router())
    app.include_router(kiosks.router())
    app.include_router(registrations.router())

    app.add_middleware(PageBodies)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, refusal: BodyTooLarge):
        return HTMLResponse(TOO_LARGE, status_code=413)

    @app.exception_handler(NeedsSignIn)
    async def needs_sign_in(request: Request, refusal: NeedsSignIn):
        visitor = refusal.visitor
        if visitor.signed_in is not None and visitor.signed_in.enrolling:
            return redirect(visitor, sign_in.ENROL_PATH)
        back = "/"
        if request.method == "GET":  # back to the same page, with its query (never one naming a person)
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "person"]
            back = request.url.path + ("?" + urlencode(query) if query else "")
        return redirect(visitor, sign_in_url(back, expired=visitor.session_ended))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, refusal: Forbidden):
        with i18n.using(refusal.visitor.language):
            return page(refusal.visitor, "message.html", 403, title=i18n.gettext("You cannot do this"),
                        message=refusal.message or i18n.gettext("You have no role that allows it."))

    @app.exception_handler(FormExpired)
    async def form_expired(request: Request, refusal: FormExpired):
        visitor = refusal.visitor
        if visitor.session_ended:
            return redirect(visitor, sign_in_url("/", expired=True))
        with i18n.using(visitor.language):
            return page(visitor, "message.html", 403, title=i18n.gettext("The form has expired"),
                        message=i18n.gettext("For your safety, the form was not sent: it was opened too long ago "
                                             "or in another session. Nothing was changed. Go back, reload the "
                                             "page and try again."))
