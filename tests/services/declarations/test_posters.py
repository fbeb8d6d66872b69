"""A workplace's poster, read back as a person and a phone would: its text (pypdf) in the four languages, and
its QR code (the page drawn by pypdfium2, decoded by zxing-cpp) holding the workplace's address."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader

from presence.services.declarations import declaring, posters
from presence.sources.simulation import PUBLIC_CLEANING_WORKPLACE, PUBLIC_WORKPLACE

from ...helpers import qr_in_pdf

URL = "https://registry.example/w/"


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_the_poster_names_the_workplace_and_its_qr_code_leads_there(runtime, size):
    workplace = declaring.workplace(runtime, PUBLIC_WORKPLACE)
    pdf = posters.poster_pdf(workplace, URL + PUBLIC_WORKPLACE, size)
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == {"A4": (210, 297), "A3": (297, 420)}[size]
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in (PUBLIC_WORKPLACE, "Rue de la Loi 1, 1000 Bruxelles", "Immo Exemplum NV", "Exemplum Construct SA",
                     "Soyez enregistré avant de commencer", "Laat u registreren voordat u begint",
                     "Lassen Sie sich vor Arbeitsbeginn registrieren", "Be registered before you start"):
        assert expected in text, expected
    assert qr_in_pdf(pdf) == URL + PUBLIC_WORKPLACE


def test_a_cleaning_poster_says_to_check_in_and_out(runtime):
    workplace = declaring.workplace(runtime, PUBLIC_CLEANING_WORKPLACE)
    text = PdfReader(BytesIO(posters.poster_pdf(workplace, URL + PUBLIC_CLEANING_WORKPLACE))).pages[0].extract_text()
    assert "Hier in- en uitchecken" in " ".join(text.split())
