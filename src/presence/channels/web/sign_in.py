"""Signing in and out: the password and a one-time code on one page; the enrolment of an authenticator app
(QR code, then recovery codes shown once); an enrolment link's first password; the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ... import i18n
from ...auth import one_time_codes, openid_connect
from ...config import get_settings
from ...services.access import sessions, users
from ...services.access.users import SignedInWith
from ...services.errors import InvalidRequest, NotFound
from . import sign_in_limits
from .pages import (
    LANGUAGE_COOKIE,
    SIGN_IN_PATH,
    Visitor,
    cookie_name,
    forget_cookie,
    form_of,
    page,
    redirect,
    safe_next,
    signed_in,
    signed_out,
    visitor,
)

VisitorDep = Annotated[Visitor, Depends(visitor)]
DEVICE_COOKIE = "presence-device"
OPENID_COOKIE = "presence-openid"  # the state, nonce and PKCE verifier of a sign-in at the provider
ENROL_PATH = "/sign-in/one-time-codes"
OPENID_PATH = "/sign-in/openid"


def address_of(visitor: Visitor) -> str:
    return visitor.request.client.host if visitor.request.client else "unknown"


def start_session(visitor: Visitor, authenticated: users.Authenticated, next_path: str) -> Response:
    token = sessions.open_session(visitor.runtime, authenticated.user, authenticated.method)
    visitor.set_cookies[cookie_name("presence-session", visitor.secure)] = token
    # The language he chose with the switch before signing in, or at his first sign-in the one he used, becomes
    # his preference (which then outweighs the cookie and the browser's).
    chosen = i18n.supported(visitor.request.cookies.get(LANGUAGE_COOKIE))
    if (chosen and chosen != authenticated.user.language) or authenticated.user.language is None:
        users.set_language(visitor.runtime, authenticated.user.id, chosen or visitor.language)
    if authenticated.method is SignedInWith.ENROLMENT:
        return redirect(visitor, f"{ENROL_PATH}?next={next_path}")
    return redirect(visitor, next_path)


def router(limits: sign_in_limits.SignInLimits | None = None) -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    limits = limits or sign_in_limits.SignInLimits()

    @routes.get(SIGN_IN_PATH)
    def sign_in_form(visitor: VisitorDep, next: str = "/", expired: str | None = None) -> Response:
        if visitor.signed_in and not visitor.signed_in.enrolling:
            return redirect(visitor, safe_next(next))
        notice = i18n.gettext("Your session has ended. Sign in again to go on.") if expired else None
        return _sign_in_page(visitor, {}, {}, safe_next(next), notice=notice)

    @routes.post(SIGN_IN_PATH)
    async def sign_in(visitor: VisitorDep) -> Response:
        form = await form_of(visitor)
        next_path = safe_next(form.get("next"))
        identifier, password, code = (form.get(name, "") for name in ("identifier", "password", "code"))
        values = {"identifier": identifier}
        errors = {}
        if not identifier.strip():
            errors["identifier"] = i18n.gettext("Enter your national number or e-mail address.")
        if not password:
            errors["password"] = i18n.gettext("Enter your password.")
        if errors:
            return _sign_in_page(visitor, errors, values, next_path, 400)
        address = address_of(visitor)
        user_key = await run_in_threadpool(users.user_key, visitor.runtime, identifier)
        device = sign_in_limits.known_device(visitor.request.cookies.get(cookie_name(DEVICE_COOKIE, visitor.secure)),
                                             user_key)
        wait = limits.wait(address, user_key, device)
        if wait is not None:
            minutes = max(1, round(wait / 60))
            message = i18n.ngettext("Too many failed sign-ins. Wait %(num)s minute and try again, or sign in from "
                                    "a device you used before.", "Too many failed sign-ins. Wait %(num)s minutes and "
                                    "try again, or sign in from a device you used before.", minutes)
            return _sign_in_page(visitor, {"": message}, values, next_path, 429)
        try:
            authenticated = await run_in_threadpool(users.authenticate, visitor.runtime, identifier, password, code)
        except users.SignInFailed as failure:
            limits.failed(address, user_key, device)
            return _sign_in_page(visitor, {"identifier": str(failure)}, values, next_path, 400)
        if authenticated.method is not SignedInWith.ENROLMENT:
            visitor.set_cookies[cookie_name(DEVICE_COOKIE, visitor.secure)] = \
                sign_in_limits.device_cookie(authenticated.user.id)
        return await run_in_threadpool(start_session, visitor, authenticated, next_path)

    @routes.get(OPENID_PATH)
    def sign_in_with_openid(visitor: VisitorDep, next: str = "/") -> Response:
        settings = get_settings()
        if not openid_connect.configured(settings):
            return _sign_in_page(visitor, {}, {}, safe_next(next), 404)
        try:
            url, pending = openid_connect.start(settings, _callback_url(visitor))
        except openid_connect.OpenIdError as failure:
            return _sign_in_page(visitor, {"": str(failure)}, {}, safe_next(next), 502)
        visitor.set_cookies[cookie_name(OPENID_COOKIE, visitor.secure)] = \
            f"{pending.as_cookie()}|{quote(safe_next(next), safe='/')}"
        return redirect(visitor, url)

    @routes.get(OPENID_PATH + "/callback")
    def openid_callback(visitor: VisitorDep) -> Response:
        settings = get_settings()
        kept = visitor.request.cookies.get(cookie_name(OPENID_COOKIE, visitor.secure), "")
        pending_text, _, next_path = kept.partition("|")
        next_path = safe_next(unquote(next_path))
        try:
            identity = openid_connect.finish(settings, openid_connect.Pending.from_cookie(pending_text),
                                             dict(visitor.request.query_params), _callback_url(visitor))
            authenticated = users.sign_in_with_identity(visitor.runtime, identity.national_number, identity.name,
                                                        identity.email, identity.language)
        except (openid_connect.OpenIdError, InvalidRequest) as failure:
            return _sign_in_page(visitor, {"": str(failure)}, {}, next_path, 400)
        return forget_cookie(start_session(visitor, authenticated, next_path), visitor, OPENID_COOKIE)

    @routes.post("/sign-out")
    async def sign_out(visitor: VisitorDep) -> Response:
        if visitor.signed_in is None:  # already over: nothing to end
            return redirect(visitor, "/")
        await form_of(visitor)
        await run_in_threadpool(sessions.end_session, visitor.runtime, visitor.signed_in)
        return signed_out(visitor)

    @routes.get(ENROL_PATH)
    def enrolment(visitor: VisitorDep, next: str = "/") -> Response:
        session = signed_in(visitor)
        return _enrolment_page(visitor, session, one_time_codes.new_secret(), {}, safe_next(next))

    @routes.post(ENROL_PATH)
    async def confirm_enrolment(visitor: VisitorDep) -> Response:
        session = signed_in(visitor)
        form = await form_of(visitor)
        next_path = safe_next(form.get("next"))
        secret = form.get("secret", "")
        try:
            codes = await run_in_threadpool(users.confirm_one_time_codes, visitor.runtime, session.user_id, secret,
                                            form.get("code", ""))
        except InvalidRequest as refusal:
            return _enrolment_page(visitor, session, secret if len(secret) == 32 else one_time_codes.new_secret(),
                                   {"code": str(refusal)}, next_path, status=400)
        if session.enrolling:  # the password-only session gives way to a full one
            await run_in_threadpool(sessions.end_session, visitor.runtime, session)
            user = await run_in_threadpool(users.user_by_id, visitor.runtime, session.user_id)
            token = await run_in_threadpool(sessions.open_session, visitor.runtime, user,
                                            SignedInWith.PASSWORD_AND_CODE)
            visitor.set_cookies[cookie_name("presence-session", visitor.secure)] = token
            visitor.set_cookies[cookie_name(DEVICE_COOKIE, visitor.secure)] = sign_in_limits.device_cookie(user.id)
            visitor.signed_in = await run_in_threadpool(sessions.session_of, visitor.runtime, token)
        return page(visitor, "recovery_codes.html", title=i18n.gettext("Your recovery codes"), codes=codes,
                    next=next_path)

    @routes.get("/enrol/{token}")
    def enrolment_link(visitor: VisitorDep, token: str) -> Response:
        user = users.enrolment_user(visitor.runtime, token)
        if user is None:
            return page(visitor, "message.html", 404, title=i18n.gettext("This link has expired"),
                        message=i18n.gettext("This enrolment link has expired or was already used. Ask for a new "
                                             "one."))
        return page(visitor, "first_password.html", title=i18n.gettext("Choose your password"), errors={},
                    user=user, token=token)

    @routes.post("/enrol/{token}")
    async def first_password(visitor: VisitorDep, token: str) -> Response:
        form = await form_of(visitor)
        password, again = form.get("password", ""), form.get("password_again", "")
        user = await run_in_threadpool(users.enrolment_user, visitor.runtime, token)
        if user is None:
            return page(visitor, "message.html", 404, title=i18n.gettext("This link has expired"),
                        message=i18n.gettext("This enrolment link has expired or was already used. Ask for a new "
                                             "one."))
        errors = {}
        if password != again:
            errors["password_again"] = i18n.gettext("The two passwords are not the same.")
        else:
            try:
                user = await run_in_threadpool(users.set_first_password, visitor.runtime, token, password)
            except (InvalidRequest, NotFound) as refusal:
                errors["password"] = str(refusal)
        if errors:
            return page(visitor, "first_password.html", 400, title=i18n.gettext("Choose your password"),
                        errors=errors, user=user, token=token)
        return await run_in_threadpool(start_session, visitor, users.Authenticated(user, SignedInWith.ENROLMENT), "/")

    @routes.get("/language/{code}")
    def switch_language(visitor: VisitorDep, code: str, next: str = "/") -> Response:
        language = i18n.supported(code) or visitor.language
        visitor.set_cookies[LANGUAGE_COOKIE] = language
        if visitor.signed_in:
            users.set_language(visitor.runtime, visitor.signed_in.user_id, language)
        return redirect(visitor, safe_next(next))

    return routes


def _sign_in_page(visitor: Visitor, errors: dict, values: dict, next_path: str, status: int = 200,
                  notice: str | None = None) -> Response:
    settings = get_settings()
    openid = (settings.oidc_display_name or i18n.gettext("a digital key (itsme, eID)")) \
        if openid_connect.configured(settings) else None
    return page(visitor, "sign_in.html", status, title=i18n.gettext("Sign in"), errors=errors, values=values,
                next=next_path, notice=notice, openid=openid, openid_path=OPENID_PATH)


def _callback_url(visitor: Visitor) -> str:
    base = (get_settings().public_url or str(visitor.request.base_url)).rstrip("/")
    return base + OPENID_PATH + "/callback"


def _enrolment_page(visitor: Visitor, session, secret: str, errors: dict, next_path: str,
                    status: int = 200) -> Response:
    user = users.user_by_id(visitor.runtime, session.user_id)
    account_name = user.email or user.name
    return page(visitor, "one_time_codes.html", status, title=i18n.gettext("Set up one-time codes"), errors=errors,
                secret=secret, qr=one_time_codes.enrolment_qr_svg(secret, account_name), user=user, next=next_path,
                grouped_secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))
