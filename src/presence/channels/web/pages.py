"""What every page shares: who is looking (`Visitor`: language, session, caller, CSRF token), the templates
(Jinja2, in the visitor's language), the cookies, and the answers (a page, a redirect, a refusal).

Cookies: the session's token, the anonymous CSRF token of the sign-in form, and the chosen language. The first
two are `__Host-` cookies (Secure, HttpOnly, SameSite=Lax), except in the simulation environment on plain HTTP,
where a browser would refuse a Secure cookie; the language cookie is a preference, readable by nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from ... import __version__, i18n
from ...config import Environment as Deployment
from ...domain.channels import Channel
from ...domain.visibility import Caller, CallerKind, Role, consultation_visibility
from ...services.access import roles, sessions
from ...services.access.roles import Acting
from ...services.access.sessions import SignedIn
from ...services.runtime import Runtime

HERE = Path(__file__).parent
STATIC_PATH = "/static"
LANGUAGE_COOKIE = "presence-language"
SIGN_IN_PATH = "/sign-in"
# A strict policy: nothing inline, nothing from elsewhere; the QR codes are inline SVG markup (not images).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
ROLE_NAMES = {  # translated where shown
    Role.MAIN_ACCESS_MANAGER: i18n.lazy("Main access manager"),
    Role.ACCESS_MANAGER: i18n.lazy("Access manager"),
    Role.TECHNICAL_MANAGER: i18n.lazy("Technical manager"),
    Role.REGISTRAR: i18n.lazy("Registrar"),
    Role.CONSULTANT: i18n.lazy("Consultant"),
    Role.DECLARANT: i18n.lazy("Declarant of works"),
}


def secure_cookies(request: Request, runtime: Runtime) -> bool:
    return not (runtime.environment is Deployment.SIMULATION and request.url.scheme == "http")


def cookie_name(base: str, secure: bool) -> str:
    return f"__Host-{base}" if secure else base


@dataclass
class Visitor:
    """Who is looking at a page, as far as the page needs to know."""

    request: Request
    runtime: Runtime
    language: str
    signed_in: SignedIn | None
    caller: Caller | None  # None: not signed in
    acting: list[Acting]  # the enterprises he may act for
    session_ended: bool  # a session cookie came, but its session is over
    secure: bool
    anonymous_csrf: str | None = None  # the sign-in form's token (no session yet)
    set_cookies: dict[str, str] = field(default_factory=dict)

    @property
    def csrf_token(self) -> str:
        if self.signed_in:
            return self.signed_in.csrf_token
        if self.anonymous_csrf is None:
            self.anonymous_csrf = secrets.token_urlsafe(24)
            self.set_cookies[cookie_name("presence-csrf", self.secure)] = self.anonymous_csrf
        return self.anonymous_csrf

    def csrf_valid(self, submitted: str | None) -> bool:
        expected = self.signed_in.csrf_token if self.signed_in else self.anonymous_csrf
        return bool(expected and submitted) and hmac.compare_digest(expected.encode(), (submitted or "").encode())

    @property
    def may_consult(self) -> bool:
        """Whether he may see registrations (the menu offers them)."""
        return self.caller is not None and consultation_visibility(self.caller) is not None

    @property
    def enterprise(self) -> Acting | None:
        """The enterprise he acts for now, with today's roles (None: for himself)."""
        if self.caller is None or self.caller.kind is not CallerKind.ENTERPRISE:
            return None
        return next((acting for acting in self.acting if acting.enterprise == self.caller.enterprise), None)


async def visitor(request: Request) -> Visitor:
    """The `Visitor` of a request (a dependency). Also sets the language of the moment for the request, so that
    the services' messages come in it too."""
    runtime: Runtime = request.app.state.runtime
    secure = secure_cookies(request, runtime)
    token = request.cookies.get(cookie_name("presence-session", secure))
    signed_in = await run_in_threadpool(sessions.session_of, runtime, token) if token else None
    caller, acting = None, []
    if signed_in and not signed_in.enrolling:
        if signed_in.staff is None:
            acting = await run_in_threadpool(roles.enterprises_of, runtime, signed_in.national_number)
        caller = roles.caller_acting(signed_in, acting)
    language = (i18n.supported(request.query_params.get("lang"))
                or (signed_in.language if signed_in else None)
                or i18n.supported(request.cookies.get(LANGUAGE_COOKIE))
                or i18n.negotiate(request.headers.get("accept-language"))
                or i18n.DEFAULT_LANGUAGE)
    i18n.speak(language)  # this request's task, and the threads it runs, speak it
    return Visitor(request, runtime, language, signed_in, caller, acting, session_ended=bool(token and not signed_in),
                   secure=secure, anonymous_csrf=request.cookies.get(cookie_name("presence-csrf", secure)))


@cache
def templates() -> Environment:
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                              extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    environment.filters.update(date=i18n.format_date, datetime=i18n.format_datetime, time=i18n.format_time,
                               number=i18n.format_number, money=i18n.format_money,
                               role=lambda role: i18n.gettext(ROLE_NAMES[Role(role)]))
    environment.globals.update(static=static_url, languages=i18n.LANGUAGES, language_names=i18n.NAMES,
                               version=__version__)
    return environment


@cache
def _static_digest(name: str) -> str:
    return hashlib.sha256((HERE / "static" / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A static file's URL, with its content's digest so that browsers may keep it until it changes."""
    return f"{STATIC_PATH}/{name}?v={_static_digest(name)}"


def finished(response: Response, visitor: Visitor) -> Response:
    """Any answer to the visitor: with the cookies the request set, and the pages' security headers."""
    for name, value in visitor.set_cookies.items():
        response.set_cookie(name, value, httponly=True, secure=visitor.secure, samesite="lax", path="/")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Content-Language"] = visitor.language
    return response


def owner_of(visitor: Visitor) -> str:
    """An opaque name for what the visitor keeps on his device (regular registrations): one per person and per
    enterprise he acts for, which says neither."""
    caller = visitor.caller
    who = f"{caller.sender_id if caller else ''}|{caller.enterprise if caller else ''}"
    return hashlib.sha256(who.encode()).hexdigest()[:16]


def channel_of(visitor: Visitor) -> Channel:
    """The channel of what a person does on these pages: MOBILE from a phone or a tablet (their browsers say
    "Mobi" in their User-Agent, as MDN advises to test), ONLINE from a desktop."""
    return Channel.MOBILE if "Mobi" in visitor.request.headers.get("user-agent", "") else Channel.ONLINE


def page(visitor: Visitor, template: str, status: int = 200, **context) -> HTMLResponse:
    """A page in the visitor's language."""
    with i18n.using(visitor.language):
        html = templates().get_template(template).render(
            visitor=visitor, lang=visitor.language, request=visitor.request,
            simulation=visitor.runtime.environment is Deployment.SIMULATION,
            path=visitor.request.url.path, owner=owner_of(visitor), **context)
    return finished(HTMLResponse(html, status_code=status), visitor)


def redirect(visitor: Visitor, to: str) -> Response:
    """After a form: see `to` (POST, then GET)."""
    return finished(RedirectResponse(to, status_code=303), visitor)


def forget_cookie(response: Response, visitor: Visitor, base: str) -> Response:
    """Tell the browser to drop one of our cookies (`base`: its name without the `__Host-` prefix)."""
    response.delete_cookie(cookie_name(base, visitor.secure), path="/", secure=visitor.secure, httponly=True,
                           samesite="lax")
    return response


def signed_out(visitor: Visitor) -> Response:
    """After signing out: the start page says so, and the browser forgets the session's cookie."""
    return forget_cookie(redirect(visitor, "/?signed_out=1"), visitor, "presence-session")


def safe_next(target: str | None, default: str = "/") -> str:
    """A place to go back to, only on this site (a path, never `//elsewhere` nor a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def sign_in_url(next_path: str, expired: bool = False) -> str:
    return f"{SIGN_IN_PATH}?next={quote(next_path, safe='/')}" + ("&expired=1" if expired else "")


class NeedsSignIn(Exception):
    """Raised by a page that needs a signed-in person: the visitor is sent to sign in, then back."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor


class Forbidden(Exception):
    """The visitor may not see or do this: a page says so, and nothing changed."""

    def __init__(self, visitor: Visitor, message: str | None = None) -> None:
        self.visitor = visitor
        self.message = message


class FormExpired(Exception):
    """A form came without its CSRF token, or with another session's: nothing changed."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor = visitor


def signed_in(visitor: Visitor) -> SignedIn:
    """The visitor's session, even one only to enrol one-time codes; else off to sign in."""
    if visitor.signed_in is None:
        raise NeedsSignIn(visitor)
    return visitor.signed_in


def person(visitor: Visitor) -> tuple[SignedIn, Caller]:
    """The visitor's full session and the caller it acts as; else off to sign in (or to enrol one-time codes
    first, when he has not yet)."""
    if visitor.signed_in is None or visitor.caller is None:
        raise NeedsSignIn(visitor)
    return visitor.signed_in, visitor.caller


def form_day(text: str | None, field: str, errors: dict) -> date | None:
    """A date field's value (ISO, as browsers send it); None when empty, or when it is no date (the error noted
    for the field)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = i18n.gettext("Enter a date, for example 31/12/2027.")
        return None


async def form_of(visitor: Visitor) -> dict[str, str]:
    """The submitted form (single values), once its CSRF token is checked."""
    data = await visitor.request.form()
    values = {key: value for key, value in data.items() if isinstance(value, str)}
    if not visitor.csrf_valid(values.get("csrf")):
        raise FormExpired(visitor)
    return values


async def lists_of(visitor: Visitor, max_fields: int = 1000) -> dict[str, list[str]]:
    """The submitted form with every value of each field (ticked boxes), once its CSRF token is checked."""
    data = await visitor.request.form(max_fields=max_fields, max_files=0)
    values: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    if not visitor.csrf_valid((values.get("csrf") or [""])[0]):
        raise FormExpired(visitor)
    return values
