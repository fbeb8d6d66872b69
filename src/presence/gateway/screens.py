"""The kiosk's screen: pages served by the kiosk program itself on `127.0.0.1`, for the browser in kiosk mode on
the site PC (a page of the same machine needs no permission to reach a local agent).

One person at a time: he chooses his language by a touch, inserts his eID card or types his national number or
his Limosa number (or scans it: a badge reader that types like a keyboard is read by its key codes, whatever
the keyboard's layout), sees the name found, chooses for whom he works when that is not clear, and registers for
today. The receipt and the green light stay a few seconds; then the screen goes back to the start and the kiosk
forgets him (`FORGET_AFTER`): nothing of him is left on screen, in memory or on disk once his registration has
been sent.

What a person is doing is a *visit*, kept in memory under a random token (never his number in an address)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from .. import i18n
from ..domain.gateway_entries import key_in_link
from ..domain.identifiers import InvalidIdentifier, mask_inss, parse_inss, parse_limosa_id
from ..domain.limosa_documents import NotALimosaDocument, is_limosa_url, parse_limosa_qr
from ..domain.remarks import CATALOGUE, RemarkCode
from ..domain.texts import N_
from .cards import CardSlot
from .kiosk import Found, Kiosk, Outcome
from .link import Refused, Unreachable

HERE = Path(__file__).parent
CLEAR_AFTER = 8  # seconds the result stays on screen
FORGET_AFTER = 10  # seconds after a registration when the kiosk forgets the visit, whatever the screen does
IDLE_AFTER = 90  # seconds a visit left half-way is kept
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # no page of a person kept by the browser, nor shown again by "back"
}


@dataclass
class Visit:
    """One person at the kiosk, from identifying to the result."""

    language: str
    inss: str | None = None
    limosa_id: str | None = None
    name: str | None = None
    found: Found | None = None
    outcome: Outcome | None = None
    registering: bool = False  # a second touch on the button registers nobody twice
    done_at: float | None = None
    touched: float = field(default_factory=time.monotonic)


class Visits:
    """The visit of the person at the kiosk, forgotten `FORGET_AFTER` seconds after his registration, or
    `IDLE_AFTER` seconds after he walked away half-way, whatever the screen does (a thread sweeps them)."""

    def __init__(self, sweep_every: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._visits: dict[str, Visit] = {}
        self._sweeper = threading.Thread(target=self._sweep_now_and_then, args=(sweep_every,), name="visits",
                                         daemon=True)
        self._sweeper.start()

    def _sweep_now_and_then(self, every: float) -> None:
        while True:
            time.sleep(every)
            self.sweep()

    def claim(self, token: str) -> Visit | None:
        """The visit, for registering him: once."""
        with self._lock:
            self._sweep()
            visit = self._visits.get(token)
            if visit is None or visit.registering or visit.outcome is not None:
                return None
            visit.registering = True
            return visit

    def open(self, visit: Visit) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._sweep()
            self._visits = {token: visit}  # one person at a time: a new one ends any other
        return token

    def get(self, token: str) -> Visit | None:
        with self._lock:
            self._sweep()
            visit = self._visits.get(token)
            if visit is not None and visit.done_at is None:
                visit.touched = time.monotonic()
            return visit

    def end(self, token: str) -> None:
        with self._lock:
            self._visits.pop(token, None)

    def _sweep(self) -> None:
        now = time.monotonic()
        self._visits = {t: v for t, v in self._visits.items()
                        if (v.done_at is None and now - v.touched < IDLE_AFTER)
                        or (v.done_at is not None and now - v.done_at < FORGET_AFTER)}

    def sweep(self) -> None:
        with self._lock:
            self._sweep()


def _instant(text: str) -> str:
    """An entry's instant (ISO 8601), in Belgian time in the language of the moment."""
    try:
        return i18n.format_datetime(datetime.fromisoformat(text))
    except ValueError:
        return ""


@cache
def templates() -> Environment:
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                              extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    environment.filters.update(time=i18n.format_time, translate=lambda text: i18n.gettext(text) if text else "",
                               instant=_instant)
    environment.globals.update(languages=i18n.LANGUAGES, language_names=i18n.NAMES)
    return environment


def short_name(given: str, family: str) -> str:
    """What the screen shows of a name: the first name and the surname's initial."""
    return f"{given.split()[0] if given.strip() else ''} {family[:1]}.".strip() if family else given


@dataclass(frozen=True)
class Light:
    """The green light of a registration just made, in words for the screen."""

    colour: str  # green | red | grey
    declaration: bool | None
    employment: bool | None
    remarks: tuple[tuple[str, str], ...]  # (label, explanation) of what does not cover him


def light_of(outcome: Outcome) -> Light:
    coverage = outcome.coverage
    if outcome.refused is not None:
        return Light("red", None, None, ())
    if coverage is None:
        return Light("grey", None, None, ())
    language = i18n.language()
    remarks = tuple((CATALOGUE[RemarkCode(code)].label(language), i18n.gettext(CATALOGUE[RemarkCode(code)].explanation))
                    for code in coverage["remarks"] if code in RemarkCode._value2member_map_)
    return Light("green" if coverage["covered"] else "red", coverage["declaration"], coverage["employment"], remarks)


def create_kiosk_app(kiosk: Kiosk, slot: CardSlot, language: str = "fr") -> FastAPI:
    """The kiosk's screen for `kiosk`, with the card reader `slot`; `language` the screen's own between people."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    visits = Visits()
    app.state.visits = visits
    home_language = i18n.supported(language) or i18n.DEFAULT_LANGUAGE

    def language_of(request: Request, visit: Visit | None = None) -> str:
        chosen = i18n.supported(request.query_params.get("lang"))
        if visit is not None:
            if chosen:
                visit.language = chosen
            return visit.language
        return chosen or home_language

    def show(request: Request, template: str, lang: str, status: int = 200, here: str | None = None,
             **context) -> HTMLResponse:
        """A screen in `lang`; `here`: the address that shows it again (in another language), when it is not
        the request's own (the answer to a form)."""
        status_now = kiosk.status()
        here = here or request.url.path
        with i18n.using(lang):
            html = templates().get_template(template).render(
                lang=lang, enrolment=kiosk.enrolment, status=status_now, here=here,
                joiner="&" if "?" in here else "?", idle_after=IDLE_AFTER, **context)
        response = HTMLResponse(html, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Content-Language"] = lang
        return response

    def go(to: str) -> Response:
        response = RedirectResponse(to, status_code=303)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.middleware("http")
    async def only_this_machine(request: Request, call_next):
        """Only the kiosk's own page: addressed to this machine by name (no other site's name resolved here), and
        forms sent from the kiosk's page only (no other page in the browser can make it register anyone)."""
        host = urlsplit(f"//{request.headers.get('host', '')}").hostname
        if host not in ("127.0.0.1", "localhost"):
            return Response("Not here.", status_code=421)
        if request.method == "POST":
            origin = request.headers.get("origin")
            site = request.headers.get("sec-fetch-site")
            if (origin and origin != f"{request.url.scheme}://{request.headers['host']}") \
                    or site not in (None, "same-origin"):
                return Response("Forms are sent from the kiosk's own page only.", status_code=403)
        return await call_next(request)

    # --- setting up ----------------------------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request) -> Response:
        lang = language_of(request)
        enrolment = kiosk.enrolment
        if enrolment is None:
            back = f"{str(request.base_url).rstrip('/')}/enrolled"
            set_up = f"{kiosk.server}/enterprise/kiosks/new?" + urlencode(
                {"key": key_in_link(kiosk.store.key.public_key()), "back": back})
            return show(request, "kiosk_setup.html", lang, set_up=set_up, fingerprint=kiosk.store.fingerprint,
                        server=kiosk.server)
        if enrolment.revoked:
            return show(request, "kiosk_revoked.html", lang)
        return show(request, "kiosk_home.html", lang, unreadable=slot.unreadable(), reader=slot.reader is not None)

    @app.get("/enrolled")
    def enrolled(request: Request) -> Response:
        lang = language_of(request)
        number = request.query_params.get("kiosk", "")
        if not number.isdigit() or kiosk.enrolment is not None:
            return go("/")
        try:
            kiosk.enrol(int(number))
        except Unreachable:
            return show(request, "kiosk_message.html", lang, 502,
                        title=i18n.gettext("The registry cannot be reached"),
                        message=i18n.gettext("Check the connection, then set the kiosk up again."))
        except Refused:
            return show(request, "kiosk_message.html", lang, 403,
                        title=i18n.gettext("The registry did not set this kiosk up"),
                        message=i18n.gettext("Set the kiosk up again."))
        return go("/")

    @app.post("/start-again")
    def start_again(request: Request) -> Response:
        enrolment = kiosk.enrolment
        if enrolment is not None and enrolment.revoked:
            kiosk.store.start_again(kiosk.clock.now())
        return go("/")

    # --- identifying ---------------------------------------------------------------------------------------------

    def visit_of(visit: Visit) -> Response:
        token = visits.open(visit)
        return go(f"/visit/{token}")

    @app.get("/card")
    def card() -> JSONResponse:
        """Asked by the start page a few times a second: a card just read opens a visit."""
        holder = slot.take()
        if holder is not None and kiosk.enrolment is not None and not kiosk.enrolment.revoked:
            token = visits.open(Visit(home_language, inss=holder.national_number,
                                      name=short_name(holder.first_names, holder.surname)))
            return JSONResponse({"visit": f"/visit/{token}"}, headers={"Cache-Control": "no-store"})
        return JSONResponse({"visit": None, "unreadable": slot.unreadable()}, headers={"Cache-Control": "no-store"})

    @app.get("/status")
    def status() -> JSONResponse:
        now = kiosk.status()
        return JSONResponse({"online": now.online, "waiting": now.waiting, "refused": now.refused},
                            headers={"Cache-Control": "no-store"})

    def number_page(request: Request, kind: str, lang: str, error: str | None = None, status: int = 200):
        return show(request, "kiosk_number.html", lang, status, kind=kind, error=error)

    @app.get("/number")
    def number_form(request: Request) -> Response:
        return number_page(request, "inss", language_of(request))

    @app.get("/limosa")
    def limosa_form(request: Request) -> Response:
        return number_page(request, "limosa", language_of(request))

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form(max_files=0, max_fields=10)
        return {key: value for key, value in form.items() if isinstance(value, str) and len(value) <= 2000}

    def national_number(text: str) -> Visit:
        return Visit(i18n.language(), inss=parse_inss(text))

    def limosa_number(text: str) -> Visit:
        text = text.strip()
        return Visit(i18n.language(), limosa_id=parse_limosa_qr(text).limosa_id if is_limosa_url(text)
                     else parse_limosa_id(text))

    # What each way of typing a number reads, and says when it is none.
    WAYS = {"inss": (national_number, N_("This is not a national number: 11 digits, as on the back of your eID "
                                         "card.")),
            "limosa": (limosa_number, N_("This is not a Limosa number: 17 digits starting with 249, as on your "
                                         "Limosa-1 document."))}

    async def typed(request: Request, kind: str) -> Response:
        form = await form_of(request)
        lang = i18n.supported(form.get("lang")) or home_language
        if kiosk.enrolment is None or kiosk.enrolment.revoked:
            return go("/")
        read, wrong = WAYS[kind]
        with i18n.using(lang):
            try:
                visit = read(form.get("number", ""))
            except (InvalidIdentifier, NotALimosaDocument):
                return number_page(request, kind, lang, i18n.gettext(wrong), 400)
        return visit_of(visit)

    @app.post("/number")
    async def number(request: Request) -> Response:
        return await typed(request, "inss")

    @app.post("/limosa")
    async def limosa(request: Request) -> Response:
        return await typed(request, "limosa")

    # --- one person's visit --------------------------------------------------------------------------------------

    def person_page(request: Request, token: str, visit: Visit, error: str | None = None, status: int = 200,
                    typing: bool = False) -> Response:
        lang = language_of(request, visit)
        if visit.found is None:
            visit.found = kiosk.find(visit.inss, visit.limosa_id)
            if visit.name is None and visit.found.name:
                visit.name = visit.found.name
        found = visit.found
        chain = [(e["number"], e["name"]) for e in kiosk.enrolment.chain]
        offered = list(found.enterprises) or ([] if typing else chain)
        return show(request, "kiosk_person.html", lang, status, here=f"/visit/{token}" + ("?other=1" if typing else ""),
                    token=token, visit=visit, found=found, offered=offered, typing=typing or not offered,
                    error=error, masked=mask_inss(visit.inss) if visit.inss else None)

    def visit_or_home(token: str) -> Visit | None:
        visit = visits.get(token)
        return visit if visit is not None and visit.outcome is None else None

    @app.get("/visit/{token}")
    def person(request: Request, token: str) -> Response:
        visit = visit_or_home(token)
        if visit is None or kiosk.enrolment is None:
            return go("/")
        response = person_page(request, token, visit, typing=request.query_params.get("other") == "1")
        if kiosk.enrolment.revoked:  # the registry just said so: nobody registers here any more
            visits.end(token)
            return go("/")
        return response

    @app.post("/visit/{token}/register")
    async def register(request: Request, token: str) -> Response:
        form = await form_of(request)
        visit = visit_or_home(token)
        if visit is None or kiosk.enrolment is None or kiosk.enrolment.revoked:
            return go("/")
        enterprise = None
        if visit.inss:
            with i18n.using(visit.language):
                try:
                    enterprise = kiosk.enterprise_number(form.get("enterprise", ""))
                except ValueError as wrong:
                    return await run_in_threadpool(person_page, request, token, visit, i18n.gettext(str(wrong)),
                                                   400, form.get("typed") == "1")
        visit = visits.claim(token)
        if visit is None:  # registered already (a second touch), or forgotten meanwhile
            return go(f"/visit/{token}/done")
        visit.outcome = await run_in_threadpool(kiosk.register, visit.inss, visit.limosa_id, enterprise)
        visit.done_at = time.monotonic()
        return go(f"/visit/{token}/done")

    @app.post("/visit/{token}/cancel")
    def cancel(token: str) -> Response:
        visits.end(token)
        return go("/")

    @app.get("/visit/{token}/done")
    def done(request: Request, token: str) -> Response:
        visit = visits.get(token)
        if visit is None or visit.outcome is None:
            return go("/")
        lang = language_of(request, visit)
        with i18n.using(lang):
            light = light_of(visit.outcome)
        left = max(1, round(CLEAR_AFTER - (time.monotonic() - visit.done_at)))
        return show(request, "kiosk_done.html", lang, token=token, visit=visit, outcome=visit.outcome, light=light,
                    made_at=visit.outcome.entry.instant(), clear_in=left)

    # --- for the site manager ------------------------------------------------------------------------------------

    @app.get("/refused")
    def refused(request: Request) -> Response:
        return show(request, "kiosk_refused.html", language_of(request), refusals=kiosk.store.refusals())

    @app.post("/refused/seen")
    def refusals_seen() -> Response:
        kiosk.store.clear_refusals()
        return go("/")

    return app

