"""Small helpers shared by the service tests."""

from __future__ import annotations

from io import BytesIO

from sqlalchemy import func, select

from presence.domain.channels import Channel
from presence.domain.registration import Submission
from presence.domain.sectors import Regime
from presence.domain.visibility import Caller
from presence.services.background import make_worker
from presence.services.registrations.registering import Accepted, register_presences

EMPLOYER = "0448181966"  # the public example: employs WORKER, declared both workplaces
WORKER = "78012340961"
CONSTRUCTION_SITE = "1Y1000003EQCZ"
CLEANING_SITE = "1Y1003SQ5VSSZ"
POSTED = "24910158641968060"  # Limosa: posted on CONSTRUCTION_SITE
CLIENT = "0403019261"  # client of CONSTRUCTION_SITE

EMPLOYER_ACCOUNT = Caller.enterprise_account(EMPLOYER, sender_id="self_service_expeditor_1")


def count(db, model) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def register(runtime, *submissions, caller=EMPLOYER_ACCOUNT, channel=Channel.WEB_SERVICE, regime=Regime.DAY):
    return register_presences(runtime, caller, channel, regime, list(submissions))


def register_one(runtime, submission, **options) -> int:
    [outcome] = register(runtime, submission, **options)
    assert isinstance(outcome, Accepted), outcome
    return outcome.presence.id


def employee_today(**values) -> Submission:
    values.setdefault("workplace", CONSTRUCTION_SITE)
    values.setdefault("inss", WORKER)
    values.setdefault("enterprise_number", EMPLOYER)
    return Submission(**values)


def run_checks(runtime) -> int:
    return make_worker(runtime).run_until_idle()


def qr_in_pdf(pdf: bytes) -> str:
    """What the QR code on a PDF's first page holds: the page drawn (pypdfium2), the code read as a phone would
    (zxing-cpp)."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=2).to_pil()
    document.close()
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


def a_pdf() -> bytes:
    """A real one-page PDF, as a scanned supporting document would be."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
