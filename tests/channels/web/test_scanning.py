"""Scanning on a phone, in a real browser with chromium's fake camera playing a QR code: the workplace poster's
code fills in the workplace, a Limosa-1 document's code fills in the posted worker; the same by photo upload
(decoded on the server) and by typing. A tampered Limosa-1 code is refused. A posted worker registers himself
with his own document, without signing in. (Chromium on Linux has no BarcodeDetector: the camera is read with
the ZXing WebAssembly this server vendors.)"""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from sqlalchemy import select

from presence.db.models import Registration
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_BIS, PUBLIC_ENTERPRISE, PUBLIC_LIMOSA, PUBLIC_WORKPLACE

from ...conftest import TODAY
from ...helpers import count
from .browser import act_for, error_summary, look, sign_in
from .camera import qr_image, y4m_of
from .conftest import CHROMIUM, FLAGS, PHONE

LIMOSA_CODE = (f"http://limosa.be/q.html?id={PUBLIC_LIMOSA}&1=010113311299&2={PUBLIC_BIS}&3=Kowalski&4=Piotr"
               f"&6=DE813046570&7={quote('Beispiel Bau GmbH')}&9=403019261")
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 "
               "Mobile Safari/537.36")


@pytest.fixture
def camera(chromium, site, tmp_path):
    """A phone whose camera sees the QR code of a text: `camera(text)` gives a page of a fresh browser."""
    opened = []

    def phone(text: str):
        video = y4m_of(qr_image(text), tmp_path / f"code-{len(opened)}.y4m")
        browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
            *FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        opened.append(browser)
        context = browser.new_context(base_url=site, viewport=PHONE, user_agent=PHONE_AGENT, locale="fr-BE",
                                      is_mobile=True, has_touch=True)
        context.set_default_timeout(20_000)
        return context.new_page()

    yield phone
    for browser in opened:
        browser.close()


def test_the_camera_reads_a_poster_then_a_limosa_document_and_the_posted_worker_is_registered(
        camera, site, people_runtime, clock):
    page = camera(f"{site}/w/{PUBLIC_WORKPLACE}")
    sign_in(page, persona("registrar"), clock, language="fr")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/scan")
    look(page, "scan-fr")
    page.locator("#scan-start").click()
    page.wait_for_url(f"**/register?workplace={PUBLIC_WORKPLACE}")
    assert page.locator("#workplace").input_value() == PUBLIC_WORKPLACE
    scan_limosa = camera(LIMOSA_CODE)  # the same registrar, another document in front of the camera
    scan_limosa.context.add_cookies(page.context.cookies())
    scan_limosa.goto(f"/scan?workplace={PUBLIC_WORKPLACE}")
    scan_limosa.locator("#scan-start").click()
    scan_limosa.locator("#person").wait_for()
    assert scan_limosa.locator("#person").input_value() == PUBLIC_LIMOSA
    assert scan_limosa.locator("#workplace").input_value() == PUBLIC_WORKPLACE
    assert "Piotr Kowalski" in scan_limosa.locator("main").inner_text()
    scan_limosa.locator("form[action='/register'] button[type=submit]").click()
    receipt = int(scan_limosa.locator("a.receipt").first.inner_text())
    with people_runtime.db.reading() as session:
        stored = session.get(Registration, receipt)
        assert (stored.limosa_id, stored.inss, stored.channel) == (PUBLIC_LIMOSA, None, "MOBILE")


def test_a_photo_is_read_on_the_server_and_a_tampered_code_is_refused(page, people_runtime, clock):
    sign_in(page, persona("registrar"), clock)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/scan")
    picture = io.BytesIO()
    qr_image(LIMOSA_CODE).save(picture, format="JPEG", quality=85)
    page.locator("#photo").set_input_files({"name": "code.jpg", "mimeType": "image/jpeg",
                                            "buffer": picture.getvalue()})
    page.locator("form[action='/scan/photo'] button").click()
    assert page.locator("#person").input_value() == PUBLIC_LIMOSA

    before = count(people_runtime.db, Registration)
    page.goto("/scan")
    page.locator("#code").fill(LIMOSA_CODE.replace(PUBLIC_LIMOSA, PUBLIC_LIMOSA[:-1] + "1"))  # one digit changed
    page.locator("#scanned button").click()
    assert error_summary(page) == ["The code of this Limosa-1 document is damaged or was changed: a number in it "
                                   "fails its check."]
    page.locator("#photo").set_input_files({"name": "code.pdf", "mimeType": "application/pdf",
                                            "buffer": b"%PDF-1.7 not a photo"})
    page.locator("form[action='/scan/photo'] button").click()
    assert error_summary(page) == ["No QR code could be read on this photo. Take it again, closer, with the whole "
                                   "code in the picture."]
    look(page, "scan-errors-en")
    page.locator("#photo").set_input_files({"name": "big.jpg", "mimeType": "image/jpeg",
                                            "buffer": b"\xff\xd8\xff" + bytes(11 * 1024 * 1024)})
    page.locator("form[action='/scan/photo'] button").click()
    assert page.locator("h1").inner_text().startswith("Too large")  # refused before it is stored anywhere
    assert count(people_runtime.db, Registration) == before


def test_a_posted_worker_registers_himself_with_his_own_document_without_signing_in(page, people_runtime):
    page.goto(f"/w/{PUBLIC_WORKPLACE}")
    page.locator(f"a[href='/w/{PUBLIC_WORKPLACE}/limosa']").click()
    look(page, "self-scan-en")
    page.locator("#code").fill(LIMOSA_CODE)
    page.locator("#scanned button").click()
    number = int(page.locator(".confirmation__number").inner_text())
    look(page, "self-registered-en")
    with people_runtime.db.reading() as session:
        stored = session.get(Registration, number)
        assert (stored.limosa_id, stored.workplace, stored.registration_date, stored.channel,
                stored.sender_user_type, stored.sender_id) == (PUBLIC_LIMOSA, PUBLIC_WORKPLACE, TODAY, "MOBILE",
                                                              "LIMOSA_QR", None)
    assert page.goto("/registrations").url.endswith("/sign-in?next=/registrations")  # nothing to consult
    # A made-up number with good check digits is not a posting the registry knows: refused, nothing stored.
    made_up = "249" + "1" * 12
    made_up += f"{98 - int(made_up + '00') % 97:02d}"
    before = count(people_runtime.db, Registration)
    page.goto(f"/w/{PUBLIC_WORKPLACE}/limosa")
    page.locator("#code").fill(LIMOSA_CODE.replace(PUBLIC_LIMOSA, made_up))
    page.locator("#scanned button").click()
    assert error_summary(page) == ["No Limosa declaration in force today has this number. Ask the site manager to "
                                   "register you."]
    assert count(people_runtime.db, Registration) == before
    # Four a day per document, then the page says to wait; nothing more is stored.
    for _ in range(3):
        page.goto(f"/w/{PUBLIC_WORKPLACE}/limosa")
        page.locator("#code").fill(LIMOSA_CODE)
        page.locator("#scanned button").click()
    before = count(people_runtime.db, Registration)
    page.goto(f"/w/{PUBLIC_WORKPLACE}/limosa")
    page.locator("#code").fill(LIMOSA_CODE)
    page.locator("#scanned button").click()
    assert page.locator("h1").inner_text() == "Too many registrations"
    assert count(people_runtime.db, Registration) == before
    with people_runtime.db.reading() as session:
        assert session.scalar(select(Registration.id).where(Registration.limosa_id == PUBLIC_LIMOSA,
                                                            Registration.sender_user_type == "LIMOSA_QR")
                              .order_by(Registration.id.desc()).limit(1)) is not None
