"""The assistant in a real browser: the registrar persona of Exemplum Construct SA registers 50 of its workers
for 3 days on the public workplace in one go, downloads the receipts, and the same again skips every day already
registered; 200 people × 5 days go through in one submission."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from presence.db.models import Registration
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_ENTERPRISE, PUBLIC_WORKPLACE, make_inss

from ...conftest import TODAY
from ...helpers import count
from .browser import act_for, look, sign_in


def test_the_assistant_registers_50_people_for_3_days_and_skips_what_is_done(page, people_runtime, clock):
    sign_in(page, persona("registrar"), clock, language="nl")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/assistant")
    look(page, "assistant-nl")
    page.locator(f"a[href='/assistant/{PUBLIC_WORKPLACE}']").click()
    proposed = page.locator("input[name=person]")
    assert proposed.count() >= 60  # the crew, with a Dimona at Exemplum Construct SA
    look(page, "assistant-people-nl")
    last = TODAY + timedelta(days=2)
    review(page, last, 50)
    look(page, "assistant-review-nl")
    before = count(people_runtime.db, Registration)
    page.locator("form[action$='/register'] button").click()
    assert count(people_runtime.db, Registration) == before + 150
    receipts = page.locator("a.receipt")
    assert receipts.count() == 150
    with page.expect_download() as download:
        page.locator("form[action='/registrations/receipts.csv'] button").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert sorted(int(r["receipt"]) for r in rows) == sorted(int(t) for t in receipts.all_inner_texts())
    assert {r["registration_date"] for r in rows} == {(TODAY + timedelta(days=n)).isoformat() for n in range(3)}
    look(page, "assistant-done-nl")

    # The same people and days again: every day is registered already, nothing can be sent twice.
    page.goto(f"/assistant/{PUBLIC_WORKPLACE}")
    review(page, last, 50)
    assert page.locator("form[action$='/register'] button").is_disabled()
    assert page.locator("tbody .tag--grey").count() == 150


def review(page, last: date, people: int) -> None:
    """Days from today to `last`, the first `people` proposed ticked, and on to the review."""
    page.locator("#first").fill(TODAY.isoformat())
    page.locator("#last").fill(last.isoformat())
    proposed = page.locator("input[name=person]")
    for index in range(people):
        proposed.nth(index).check()
    page.locator("form[action$='/review'] button").click()


def test_200_people_for_5_days_go_through_in_one_submission(page, people_runtime, clock):
    sign_in(page, persona("registrar"), clock)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto(f"/assistant/{PUBLIC_WORKPLACE}")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    people = [f"{make_inss(date(1960, 1, 1) + timedelta(days=n), 501)}|{PUBLIC_ENTERPRISE}" for n in range(200)]
    monday = TODAY + timedelta(days=(7 - TODAY.weekday()) % 7 or 7)
    before = count(people_runtime.db, Registration)
    answer = page.request.post(f"/assistant/{PUBLIC_WORKPLACE}/register", timeout=120_000,
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               data=_form(csrf, people, monday, monday + timedelta(days=4)))
    assert answer.status == 200
    assert count(people_runtime.db, Registration) == before + 1000
    assert answer.text().count('class="receipt"') == 1000


def _form(csrf: str, people: list[str], first: date, last: date) -> str:
    from urllib.parse import urlencode

    return urlencode([("csrf", csrf), ("first", first.isoformat()), ("last", last.isoformat()),
                      ("skip_weekends", "on"), *(("person", p) for p in people)])
