"""A person's own account: who he is, for which enterprise he acts, his password, his one-time codes, signing
out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...domain.identifiers import mask_inss
from ...services.access import passkeys, sessions, users
from ...services.errors import InvalidRequest
from .pages import Forbidden, Visitor, form_of, page, person, redirect, signed_out, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
DONE = {  # what the page confirms after a change
    "password": i18n.lazy("Your password is changed."),
    "acting": i18n.lazy("You now act for the enterprise you chose."),
    "myself": i18n.lazy("You now act for yourself."),
    "passkey-added": i18n.lazy("The passkey is added: next time, sign in with it."),
    "passkey-removed": i18n.lazy("The passkey is removed."),
}


def _account_page(visitor: Visitor, errors: dict | None = None, done: str | None = None,
                  status: int = 200) -> Response:
    session, _ = person(visitor)
    user = users.user_by_id(visitor.runtime, session.user_id)
    return page(visitor, "account.html", status, title=i18n.gettext("Your account"), user=user,
                passkeys=passkeys.passkeys_of(visitor.runtime, session.user_id),
                masked_number=mask_inss(user.national_number), errors=errors or {},
                done=i18n.gettext(DONE[done]) if done in DONE else None)


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get("/account")
    def account(visitor: VisitorDep, done: str | None = None) -> Response:
        return _account_page(visitor, done=done)

    @routes.post("/account/acting")
    async def act_for(visitor: VisitorDep) -> Response:
        session, _ = person(visitor)
        form = await form_of(visitor)
        chosen = form.get("enterprise") or None
        if chosen is not None and chosen not in {acting.enterprise for acting in visitor.acting}:
            raise Forbidden(visitor, i18n.gettext("You hold no role for this enterprise."))
        await run_in_threadpool(sessions.act_for, visitor.runtime, session, chosen)
        return redirect(visitor, "/account?done=" + ("acting" if chosen else "myself"))

    @routes.post("/account/password")
    async def change_password(visitor: VisitorDep) -> Response:
        session, _ = person(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(users.change_password, visitor.runtime, session.user_id,
                                    form.get("current_password", ""), form.get("new_password", ""))
        except InvalidRequest as refusal:
            field = "current_password" if refusal.field == "current_password" else "new_password"
            return await run_in_threadpool(_account_page, visitor, {field: str(refusal)}, None, 400)
        return redirect(visitor, "/account?done=password")

    @routes.post("/account/sign-out-everywhere")
    async def sign_out_everywhere(visitor: VisitorDep) -> Response:
        session, _ = person(visitor)
        await form_of(visitor)
        await run_in_threadpool(sessions.end_every_session, visitor.runtime, session.user_id)
        return signed_out(visitor)

    return routes
