"""Check In and Out at Work on a phone, in a real browser (cleaning): the cleaning worker persona scans the
poster's code (opens `/w/<number>`), signs in, checks in, takes a break and checks out, and sees each time and
receipt; his employer sees the shift with its break and worked time; the REST service shows the same presence.
Late, doubled and orphan clockings get the rule's message or remark in the worker's language."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from presence.db.models import Registration
from presence.domain import scopes
from presence.domain.remarks import CATALOGUE, RemarkCode, decode_codes
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_CLEANING_WORKPLACE, PUBLIC_ENTERPRISE

from ...helpers import run_checks
from ..rest.test_token_endpoint import make_client
from .browser import act_for, look, sign_in
from .conftest import PHONE

PLACE = f"/w/{PUBLIC_CLEANING_WORKPLACE}"


def later(page, clock, minutes: int) -> None:
    """Time passes on the phone (the page is looked at now and then, which keeps the session open)."""
    for _ in range(minutes // 20):
        clock.advance(timedelta(minutes=20))
        page.reload()
    clock.advance(timedelta(minutes=minutes % 20))
    page.reload()


def tap(page, label: str) -> str:
    """Tap the button, and the receipt number the page then shows."""
    page.get_by_role("button", name=label).click()
    return page.locator(".confirmation__number").inner_text()


@pytest.fixture
def phone(browser):
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    return page


def test_a_cleaner_checks_in_takes_a_break_and_checks_out_and_his_employer_sees_the_shift(
        phone, site, people_runtime, clock):
    page = phone
    page.goto(f"/language/fr?next={PLACE}")
    assert page.locator("h1").inner_text()  # the workplace, before signing in
    page.get_by_role("link", name="Se connecter pour pointer").click()
    cleaner = persona("cleaner")
    page.locator("#identifier").fill(cleaner.email)
    page.locator("#password").fill(cleaner.password)
    page.locator("#code").fill(cleaner.code(clock.now()))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url(f"**{PLACE}")
    look(page, "check-in-fr")
    started = clock.now()
    receipts = [tap(page, "Pointer l'entrée")]
    assert page.locator(".confirmation h1").inner_text().startswith("Entrée enregistrée à ")
    look(page, "checked-in-fr")
    later(page, clock, 120)
    receipts.append(tap(page, "Commencer une pause"))
    look(page, "on-break-fr")
    later(page, clock, 30)
    receipts.append(tap(page, "Finir la pause"))
    later(page, clock, 120)
    receipts.append(tap(page, "Pointer la sortie"))
    look(page, "checked-out-fr")
    run_checks(people_runtime)
    with people_runtime.db.reading() as session:
        stored = session.scalars(select(Registration).where(Registration.id.in_([int(r) for r in receipts]))
                                 .order_by(Registration.id)).all()
    assert [(r.direction, r.channel, r.enterprise_number, r.validity) for r in stored] == [
        ("in", "ONLINE", PUBLIC_ENTERPRISE, "valid"), ("out", "ONLINE", PUBLIC_ENTERPRISE, "valid"),
        ("in", "ONLINE", PUBLIC_ENTERPRISE, "valid"), ("out", "ONLINE", PUBLIC_ENTERPRISE, "valid")]
    assert abs(stored[0].clocked_at - started) < timedelta(seconds=30)  # when he tapped

    # The employer sees the shift: 2 h, a break of 30 min, 2 h.
    page.context.clear_cookies()
    sign_in(page, persona("manager"), clock, language="nl")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto(f"/staff?week={started.date().isoformat()}")
    row = page.locator("tbody tr").filter(has_text=receipts[0])
    assert row.locator("td[data-label='Gewerkt']").inner_text() == "4:00"
    assert row.locator("td[data-label='Pauzes']").inner_text().count("–") == 1
    look(page, "staff-nl")
    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden (CSV)").click()
    exported = download.value.path().read_text()
    assert exported.splitlines()[0].startswith("day,person,workplace") and ",4:00," in exported

    # The same presence through the REST service, for the employer's software.
    client = make_client(site, people_runtime, clock, "ec", scope=[scopes.REST_ENTERPRISE],
                         enterprise=PUBLIC_ENTERPRISE)
    token = client.request().json()["access_token"]
    answer = httpx.get(f"{site}/REST/presenceRegistration/v1/presenceRegistrations/{receipts[0]}",
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["type"] == "in"


def test_late_doubled_and_orphan_clockings_are_told_in_the_workers_language(browser, phone, people_runtime, clock):
    page = phone
    sign_in(page, persona("cleaner"), clock, language="fr")
    page.goto(PLACE)
    clock.advance(timedelta(minutes=11))  # the phone had no network: sent 11 minutes after the tap
    page.get_by_role("button", name="Pointer l'entrée").click()
    assert "il y a plus de 10 minutes : l'enregistrement se fait en temps réel" in page.locator(
        ".error-summary").inner_text()
    look(page, "check-in-late-fr")

    def another_phone():
        other = browser.new_page()
        other.set_viewport_size(PHONE)
        other.goto(PLACE)
        return other

    stale = another_phone()  # opened earlier: it still offers to check in, and says when it was tapped
    clock.advance(timedelta(minutes=3))
    page.goto(PLACE)
    first = tap(page, "Pointer l'entrée")
    second = tap(stale, "Pointer l'entrée")  # tapped 3 minutes before: the two ins, one after the other
    stale = another_phone()  # opened while checked in: it offers to check out
    clock.advance(timedelta(minutes=3))
    page.goto(PLACE)
    third = tap(page, "Pointer la sortie")
    fourth = tap(stale, "Pointer la sortie")
    run_checks(people_runtime)
    with people_runtime.db.reading() as session:
        found = {receipt: decode_codes(session.get(Registration, int(receipt)).remark_codes)
                 for receipt in (first, second, third, fourth)}
    assert sorted(code for codes in found.values() for code in codes) == [RemarkCode.OUT_WITHOUT_IN,
                                                                        RemarkCode.SECOND_IN]
    orphan = next(receipt for receipt, codes in found.items() if RemarkCode.OUT_WITHOUT_IN in codes)
    shown = page if orphan == third else stale  # the page that sent it shows the remark, without reloading
    remark = shown.locator(".confirmation details.remark")
    remark.wait_for()
    assert CATALOGUE[RemarkCode.OUT_WITHOUT_IN].label("fr") in remark.inner_text()
    look(shown, "check-out-remark-fr")
