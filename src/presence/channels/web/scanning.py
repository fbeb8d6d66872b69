"""Scanning QR codes on a phone: the workplace poster's (`/w/<number>`), which fills in the workplace, and a
Limosa-1 document's, which fills in the posted worker. The page reads the camera with the browser's
BarcodeDetector where it exists, else with ZXing compiled to WebAssembly and served by us (`scan.js`); without a
camera, a photo is sent and decoded here (zxing-cpp); without anything, the code is typed.

A posted worker who scans *his own* Limosa-1 document on a workplace's page registers himself for today without
signing in (`/w/<number>/limosa`), as the official service allows: only that registration, nothing to consult,
rate-limited per address and per Limosa number, recorded with its own sender type."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ... import i18n
from ...clock import belgian_date
from ...domain.channels import Channel
from ...domain.limosa_documents import NotALimosaDocument, is_limosa_url, parse_limosa_qr
from ...domain.registration import Submission
from ...domain.sectors import Regime, Sector
from ...domain.visibility import Caller
from ...services.declarations import declaring
from ...services.registrations import online
from ...services.registrations.registering import Accepted, register_presences
from ..http.ratelimit import Limit, RateLimiter
from . import texts
from .pages import FormExpired, Visitor, form_of, page, redirect, visitor
from .registering import form_page, registrar

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/scan"
MAX_PHOTO = 10 * 1024 * 1024  # bytes: a phone's photo, not a film
MAX_PIXELS = 40_000_000  # Pillow's guard against decompression bombs, tighter than its default
_WORKPLACE_PATH = re.compile(r"^/w/([0-9A-Za-z]{13})/?$")
_NUMBER = re.compile(r"^[0-9A-Za-z]{13}$")
# A posted worker registers himself a few times a day at most; a site's Wi-Fi may carry a whole crew.
SELF_PER_ADDRESS = Limit(30 / 3600, 30)
SELF_PER_DOCUMENT = Limit(4 / 86400, 4)
# The page needs WebAssembly for ZXing (compiling it is what 'wasm-unsafe-eval' allows; nothing else is eval'd).
SCAN_POLICY = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
               "media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
               "base-uri 'none'")


def workplace_in(text: str) -> str | None:
    """The work-declaration number a scanned text names: a poster's URL (ending `/w/<number>`), or the number."""
    text = (text or "").strip()[:500]
    if _NUMBER.match(text):
        return text.upper()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    found = _WORKPLACE_PATH.match(parts.path) if parts.scheme in ("http", "https") else None
    return found.group(1).upper() if found else None


def decode_photo(data: bytes) -> str | None:
    """The text of the QR code on a photo, or None (no code, or not an image)."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(BytesIO(data)) as image:
                image.thumbnail((2000, 2000))  # a code need not be read at 48 megapixels
                found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        return None
    return next((code.text for code in found if code.valid), None)


async def _photo(visitor: Visitor) -> tuple[dict[str, str], str | None, str | None]:
    """The form of a photo upload (CSRF checked), the code read on it, or why none was."""
    form = await visitor.request.form(max_files=1, max_fields=10)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    if not visitor.csrf_valid(values.get("csrf")):
        raise FormExpired(visitor)
    upload = form.get("photo")
    if not isinstance(upload, UploadFile):
        return values, None, i18n.gettext("Choose a photo of the code.")
    data = await upload.read(MAX_PHOTO + 1)
    await upload.close()
    if len(data) > MAX_PHOTO:
        return values, None, i18n.gettext("The photo is larger than 10 MB: take one of the code alone.")
    text = await run_in_threadpool(decode_photo, data)
    if text is None:
        return values, None, i18n.gettext("No QR code could be read on this photo. Take it again, closer, with "
                                          "the whole code in the picture.")
    return values, text, None


def _scan_page(visitor: Visitor, *, action: str, workplace: str = "", error: str | None = None,
               title: str | None = None, intro: str | None = None, status: int = 200) -> Response:
    answer = page(visitor, "scan.html", status, title=title or i18n.gettext("Scan a QR code"), action=action,
                  workplace=workplace, errors={"code": error} if error else {},
                  intro=intro or i18n.gettext("The poster of the workplace, or the Limosa-1 document of a posted "
                                              "worker."))
    answer.headers["Content-Security-Policy"] = SCAN_POLICY
    return answer


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)
    limits = SelfLimits(RateLimiter(SELF_PER_ADDRESS), RateLimiter(SELF_PER_DOCUMENT))

    @routes.get(PATH)
    def scanner(visitor: VisitorDep, workplace: str = "") -> Response:
        registrar(visitor)
        return _scan_page(visitor, action=PATH, workplace=workplace_in(workplace) or "")

    @routes.post(PATH)
    async def scanned(visitor: VisitorDep) -> Response:
        caller = registrar(visitor)
        form = await form_of(visitor)
        return await run_in_threadpool(_interpret, visitor, caller, form.get("code", ""), form.get("workplace", ""))

    @routes.post(PATH + "/photo")
    async def photo(visitor: VisitorDep) -> Response:
        caller = registrar(visitor)
        values, text, error = await _photo(visitor)
        if error:
            return _scan_page(visitor, action=PATH, workplace=workplace_in(values.get("workplace", "")) or "",
                              error=error, status=400)
        return await run_in_threadpool(_interpret, visitor, caller, text, values.get("workplace", ""))

    @routes.get("/w/{number}/limosa")
    def self_scanner(visitor: VisitorDep, number: str) -> Response:
        found = _day_workplace(visitor, number)
        if found is None:
            return _no_workplace(visitor)
        return _scan_page(visitor, action=f"/w/{found.number}/limosa", workplace=found.number,
                          title=i18n.gettext("Register yourself with your Limosa-1 document"),
                          intro=i18n.gettext("Posted workers: scan the QR code of your own Limosa-1 document to "
                                             "register yourself for today on %(address)s.", address=found.address))

    @routes.post("/w/{number}/limosa")
    async def self_scanned(visitor: VisitorDep, number: str) -> Response:
        form = await form_of(visitor)
        return await run_in_threadpool(_register_myself, visitor, limits, number, form.get("code", ""))

    @routes.post("/w/{number}/limosa/photo")
    async def self_photo(visitor: VisitorDep, number: str) -> Response:
        _, text, error = await _photo(visitor)
        if error:
            found = _day_workplace(visitor, number)
            return _scan_page(visitor, action=f"/w/{number}/limosa", workplace=found.number if found else "",
                              title=i18n.gettext("Register yourself with your Limosa-1 document"), error=error,
                              status=400)
        return await run_in_threadpool(_register_myself, visitor, limits, number, text)

    return routes


def _interpret(visitor: Visitor, caller: Caller, text: str, workplace: str) -> Response:
    """What a registrar scanned: a poster opens the registration form on its workplace; a Limosa-1 document fills
    in its posted worker (on the workplace scanned before, if any)."""
    workplace = workplace_in(workplace) or ""
    number = workplace_in(text)
    if number:
        found = declaring.workplace(visitor.runtime, number)
        if found is not None and found.sector is Sector.CLEANING:
            return redirect(visitor, f"/w/{found.number}")
        return redirect(visitor, f"/register?workplace={number}")
    if is_limosa_url(text):
        try:
            document = parse_limosa_qr(text)
        except NotALimosaDocument as refused:
            return _scan_page(visitor, action=PATH, workplace=workplace, error=i18n.gettext(refused.reason),
                              status=400)
        # Rendered, not redirected: the document's numbers stay out of addresses.
        return form_page(visitor, caller, {"person": document.limosa_id, "workplace": workplace,
                                           "scanned_name": document.name}, {})
    return _scan_page(visitor, action=PATH, workplace=workplace, status=400,
                      error=i18n.gettext("This code is neither a workplace poster nor a Limosa-1 document."))


def _day_workplace(visitor: Visitor, number: str) -> declaring.Workplace | None:
    """A workplace in force where presence is registered per day (construction, meat), or None."""
    found = declaring.workplace(visitor.runtime, number)
    return found if found is not None and found.sector is not Sector.CLEANING else None


def _no_workplace(visitor: Visitor) -> Response:
    return page(visitor, "message.html", 404, title=i18n.gettext("No such workplace"),
                message=i18n.gettext("No declared workplace has this number. Check the number on the poster, or "
                                     "ask the site manager."))


def _too_many(visitor: Visitor, wait: int) -> Response:
    return page(visitor, "message.html", 429, title=i18n.gettext("Too many registrations"),
                message=i18n.gettext("Too many registrations were made from here. Try again in %(minutes)s "
                                     "minutes, or ask the site manager to register you.",
                                     minutes=max(1, wait // 60)))


@dataclass(frozen=True)
class SelfLimits:
    per_address: RateLimiter
    per_document: RateLimiter


def _register_myself(visitor: Visitor, limits: SelfLimits, number: str, text: str) -> Response:
    """A posted worker's own registration for today, from the QR code of his Limosa-1 document."""
    found = _day_workplace(visitor, number)
    if found is None:
        return _no_workplace(visitor)
    action, title = f"/w/{found.number}/limosa", i18n.gettext("Register yourself with your Limosa-1 document")
    address = visitor.request.client.host if visitor.request.client else "unknown"
    wait = limits.per_address.retry_after(address)
    if wait is not None:
        return _too_many(visitor, wait)
    try:
        document = parse_limosa_qr(text)
    except NotALimosaDocument as refused:
        return _scan_page(visitor, action=action, workplace=found.number, title=title, status=400,
                          error=i18n.gettext(refused.reason))
    wait = limits.per_document.retry_after(document.limosa_id)
    if wait is not None:
        return _too_many(visitor, wait)
    today = belgian_date(visitor.runtime.clock.now())
    refusal = online.posting_on(visitor.runtime, document.limosa_id, found.number, today)
    if refusal is not None:
        return _scan_page(visitor, action=action, workplace=found.number, title=title, status=400,
                          error=i18n.gettext(refusal))
    [outcome] = register_presences(visitor.runtime, Caller.posted_worker(document.limosa_id), Channel.MOBILE,
                                   Regime.DAY, [Submission(workplace=found.number, limosa_id=document.limosa_id,
                                                           registration_date=today)])
    if not isinstance(outcome, Accepted):
        return _scan_page(visitor, action=action, workplace=found.number, title=title, status=400,
                          error="; ".join(texts.item_error(e) for e in outcome.errors))
    return page(visitor, "self_registered.html", title=i18n.gettext("You are registered"), workplace=found,
                presence=outcome.presence, name=document.name)
