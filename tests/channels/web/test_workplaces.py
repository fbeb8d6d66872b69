"""A declared workplace's address on this server (`/w/<number>`), as a worker on site opens it from the poster,
and its QR code, decoded as a phone would (zxing-cpp) back to that address."""

from __future__ import annotations

from io import BytesIO

import httpx
import pytest
import zxingcpp
from PIL import Image

from presence.sources.simulation import PUBLIC_CLEANING_WORKPLACE, PUBLIC_WORKPLACE

from ...helpers import qr_in_pdf
from .browser import look


def decoded(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_a_workplace_page_names_the_workplace_and_says_what_to_do(page, language):
    page.goto(f"/language/{language}?next=/w/{PUBLIC_WORKPLACE}")
    assert page.locator("h1").inner_text().endswith("1000 Bruxelles")
    assert "Immo Exemplum NV" in page.locator("main").inner_text()
    assert "Exemplum Construct SA" in page.locator("main").inner_text()
    look(page, f"workplace-{language}")
    page.goto(f"/w/{PUBLIC_CLEANING_WORKPLACE}")
    assert {"fr": "Pointer à l'arrivée et au départ ici", "nl": "Hier in- en uitchecken"}[language] == \
        page.locator("h2").inner_text()
    look(page, f"workplace-cleaning-{language}")


def test_the_qr_code_holds_the_workplaces_address(site):
    png = httpx.get(f"{site}/w/{PUBLIC_WORKPLACE}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decoded(png.content) == f"{site}/w/{PUBLIC_WORKPLACE}"
    svg = httpx.get(f"{site}/w/{PUBLIC_WORKPLACE}/qr.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")


def test_an_unknown_workplace_is_a_clear_404(site, page):
    response = page.goto("/w/1Y1000000ZZZZ")
    assert response.status == 404 and page.locator("h1").inner_text() == "No such workplace"
    assert httpx.get(f"{site}/w/1Y1000000ZZZZ/qr.png").status_code == 404


def test_the_poster_printed_from_the_page_leads_back_to_it(site, page):
    """From the workplace's page, its poster (A4); the poster's QR code holds this page's address."""
    page.goto(f"/language/en?next=/w/{PUBLIC_WORKPLACE}")
    href = page.get_by_role("link", name="Poster to print (A4, PDF)").get_attribute("href")
    pdf = httpx.get(site + href)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    url = qr_in_pdf(pdf.content)
    assert url == f"{site}/w/{PUBLIC_WORKPLACE}"
    page.goto(url)
    assert page.locator("h1").inner_text() == "Rue de la Loi 1, 1000 Bruxelles"
    assert httpx.get(f"{site}/w/{PUBLIC_WORKPLACE}/poster.pdf?size=A5").status_code == 404
