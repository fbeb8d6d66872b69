"""A declared workplace's poster: the printable PDF (A4 or A3, WeasyPrint) hung on site, with the QR code of the
workplace's address on this server, the address in plain text, the declaration number, the client and the
declaring contractor, and what to do, in French, Dutch, German and English, readable from two metres."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ... import i18n
from ...domain.sectors import Sector
from ..errors import InvalidRequest
from .declaring import Workplace

SIZES = ("A4", "A3")
TEMPLATES = Path(__file__).parent / "templates"


@cache
def _templates() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                              extensions=["jinja2.ext.i18n"])
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    return environment


def _instructions(workplace: Workplace) -> list[tuple[str, str, str]]:
    """(language, heading, text) in each of the four languages."""
    cleaning = workplace.sector is Sector.CLEANING
    blocks = []
    for language in i18n.LANGUAGES:
        with i18n.using(language):
            if cleaning:
                heading = i18n.gettext("Check in and check out here")
                text = i18n.gettext("Everyone who cleans here registers himself, in real time: when he starts, at "
                                    "each break, and when he leaves. Scan the code with your phone.")
            else:
                heading = i18n.gettext("Be registered before you start")
                text = i18n.gettext("Everyone who works here is registered for each day of work, before starting: "
                                    "by the employer, or by yourself when you are self-employed. Scan the code "
                                    "with your phone.")
            blocks.append((language, heading, text))
    return blocks


def poster_pdf(workplace: Workplace, url: str, size: str = "A4") -> bytes:
    """The poster of `workplace`, whose QR code holds `url` (its `/w/<number>` address)."""
    if size not in SIZES:
        raise InvalidRequest(f"size: one of {', '.join(SIZES)}", field="size")
    from weasyprint import HTML  # heavy: loaded by the first poster, not by every process

    qr = segno.make(url, error="m").svg_inline(scale=10, border=2, dark="#000000", light="#ffffff", omitsize=True)
    html = _templates().get_template("poster.html").render(
        workplace=workplace, url=url, qr=qr, size=size, instructions=_instructions(workplace))
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
