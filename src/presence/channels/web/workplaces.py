"""A declared workplace's own address on this server, `/w/<number>`, its QR code (SVG, PNG) and its printable
poster (PDF, A4 or A3), which carries them on site. Anyone may open them: they show what the poster shows, and
say what to do to be registered."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from typing import Annotated

import segno
from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ... import i18n
from ...config import get_settings
from ...domain.sectors import Sector
from ...domain.visibility import CallerKind
from ...services.declarations import declaring, posters
from ...services.registrations import clocking
from .checking_in import check_in_page
from .pages import Visitor, finished, page, visitor

VisitorDep = Annotated[Visitor, Depends(visitor)]
PATH = "/w"


def workplace_url(visitor: Visitor, number: str) -> str:
    """The URL the QR code holds: on the public URL when there is one (what a phone on site can reach)."""
    base = (get_settings().public_url or str(visitor.request.base_url)).rstrip("/")
    return f"{base}{PATH}/{number}"


@lru_cache(maxsize=256)
def qr_code(url: str, kind: str) -> bytes:
    """The QR code of `url` as SVG or PNG (medium error correction: a poster gets dirty on site)."""
    code = segno.make(url, error="m", micro=False)
    out = BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=8, border=4, dark="#0b0c0c", light="#ffffff", xmldecl=False,
                  svgns=True, title=url)
    else:
        code.save(out, kind="png", scale=12, border=4)
    return out.getvalue()


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(PATH + "/{number}")
    def workplace(visitor: VisitorDep, number: str) -> Response:
        found = declaring.workplace(visitor.runtime, number)
        if found is None:
            return page(visitor, "message.html", 404, title=i18n.gettext("No such workplace"),
                        message=i18n.gettext("No declared workplace has this number. Check the number on the "
                                             "poster, or ask the site manager."))
        if found.sector is Sector.CLEANING and found.subject_to_registration and visitor.caller is not None \
                and visitor.caller.kind is CallerKind.PERSON:
            place = clocking.cleaning_place(visitor.runtime, found.number)
            if place is not None:
                return check_in_page(visitor, place)
        return page(visitor, "workplace.html", title=found.address, workplace=found,
                    cleaning=found.sector is Sector.CLEANING,
                    sector_name=i18n.gettext(SECTOR_NAMES[found.sector]))

    @routes.get(PATH + "/{number}/qr.{kind}")
    def workplace_qr(visitor: VisitorDep, number: str, kind: str) -> Response:
        found = declaring.workplace(visitor.runtime, number)
        if found is None or kind not in ("svg", "png"):
            return finished(Response(status_code=404), visitor)
        media = "image/svg+xml" if kind == "svg" else "image/png"
        return finished(Response(qr_code(workplace_url(visitor, found.number), kind), media_type=media,
                                 headers={"Content-Disposition": f'inline; filename="{found.number}.{kind}"'}),
                        visitor)

    @routes.get(PATH + "/{number}/poster.pdf")
    def poster(visitor: VisitorDep, number: str, size: str = "A4") -> Response:
        found = declaring.workplace(visitor.runtime, number)
        if found is None or size not in posters.SIZES:
            return finished(Response(status_code=404), visitor)
        pdf = posters.poster_pdf(found, workplace_url(visitor, found.number), size)
        return finished(Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="poster-{found.number}-{size}.pdf"'}), visitor)

    return routes


SECTOR_NAMES = {
    Sector.CONSTRUCTION: i18n.lazy("Construction"),
    Sector.GUARDING: i18n.lazy("Guarding"),
    Sector.MEAT: i18n.lazy("Meat"),
    Sector.CLEANING: i18n.lazy("Cleaning"),
}
