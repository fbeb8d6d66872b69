"""Passkeys in the browser: signing in with one, adding and removing them on the account page. The ceremonies
need the browser's WebAuthn API, so `static/passkeys.js` drives them (the buttons show only where a browser can);
removing one is a plain form. `services.access.passkeys` checks everything."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...config import get_settings
from ...services.access import passkeys
from ...services.errors import InvalidRequest, NotFound
from . import sign_in, sign_in_limits
from .pages import FormExpired, Visitor, finished, form_of, person, redirect, safe_next, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
MAX_BODY = 64 * 1024


def party(visitor: Visitor) -> passkeys.Party:
    """This registry as the browser sees it: the public URL's host, else the one the request reached."""
    url = urlsplit(get_settings().public_url or str(visitor.request.base_url))
    return passkeys.Party(rp_id=url.hostname or "localhost", origin=f"{url.scheme}://{url.netloc}")


async def _json_of(visitor: Visitor) -> dict:
    """A ceremony's JSON body, once its CSRF token is checked."""
    body = await visitor.request.body()
    try:
        data = json.loads(body) if len(body) <= MAX_BODY else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not visitor.csrf_valid(data.get("csrf")):
        raise FormExpired(visitor)
    return data


def _answer(visitor: Visitor, content: dict | str, status: int = 200) -> Response:
    if isinstance(content, str):  # options, already JSON
        return finished(Response(content, status_code=status, media_type="application/json"), visitor)
    return finished(JSONResponse(content, status_code=status), visitor)


def router(limits: sign_in_limits.SignInLimits) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.post(sign_in.SIGN_IN_PATH + "/passkey/options")
    async def sign_in_options(visitor: VisitorDep) -> Response:
        await _json_of(visitor)
        return _answer(visitor, await run_in_threadpool(passkeys.sign_in_options, visitor.runtime, party(visitor)))

    @routes.post(sign_in.SIGN_IN_PATH + "/passkey")
    async def sign_in_with_passkey(visitor: VisitorDep) -> Response:
        data = await _json_of(visitor)
        address = sign_in.address_of(visitor)
        wait = limits.addresses.retry_after(address)
        if wait is not None:
            return _answer(visitor, {"error": i18n.gettext("Too many failed sign-ins. Try again later.")}, 429)
        try:
            authenticated = await run_in_threadpool(passkeys.sign_in_with_passkey, visitor.runtime,
                                                    data.get("credential") or {}, party(visitor))
        except InvalidRequest as refusal:
            limits.addresses.failed(address)
            return _answer(visitor, {"error": str(refusal)}, 400)
        next_path = safe_next(data.get("next"))
        started = await run_in_threadpool(sign_in.start_session, visitor, authenticated, next_path)
        return _answer(visitor, {"redirect": started.headers["location"]})

    @routes.post("/account/passkeys/options")
    async def add_options(visitor: VisitorDep) -> Response:
        session, _ = person(visitor)
        await _json_of(visitor)
        return _answer(visitor, await run_in_threadpool(passkeys.registration_options, visitor.runtime,
                                                        session.user_id, party(visitor)))

    @routes.post("/account/passkeys")
    async def add(visitor: VisitorDep) -> Response:
        session, _ = person(visitor)
        data = await _json_of(visitor)
        try:
            await run_in_threadpool(passkeys.add_passkey, visitor.runtime, session.user_id,
                                    data.get("credential") or {}, str(data.get("name") or ""), party(visitor))
        except InvalidRequest as refusal:
            return _answer(visitor, {"error": str(refusal)}, 400)
        return _answer(visitor, {"redirect": "/account?done=passkey-added"})

    @routes.post("/account/passkeys/remove")
    async def remove(visitor: VisitorDep) -> Response:
        session, _ = person(visitor)
        form = await form_of(visitor)
        try:
            await run_in_threadpool(passkeys.remove_passkey, visitor.runtime, session.user_id,
                                    int(form.get("passkey") or 0))
        except (NotFound, ValueError):
            pass  # removed meanwhile: the list shows it gone
        return redirect(visitor, "/account?done=passkey-removed")

    return routes
