"""Registering by hand in a real browser (construction): the registrar persona of Exemplum Construct SA registers
the public example worker on the public workplace and sees it validated without reloading; a person without
Dimona gets CAW_01 explained, with its fix, in French. Bad input is named on its field and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from presence.db.models import Registration
from presence.sources.models import Contract, WorkDeclaration
from presence.sources.personas import SELF_EMPLOYED_ENTERPRISE, persona
from presence.sources.simulation import PUBLIC_ENTERPRISE, PUBLIC_INSS, PUBLIC_WORKPLACE, _scenario_inss

from ...conftest import TODAY
from ...helpers import count, run_checks
from .browser import act_for, error_summary, look, sign_in
from .conftest import PHONE
from .test_scanning import PHONE_AGENT

NO_DIMONA = _scenario_inss(3)  # in the national register, no Dimona anywhere


def register(page, person: str, workplace: str = PUBLIC_WORKPLACE, **more: str) -> None:
    page.goto("/register")
    page.locator("#person").fill(person)
    page.locator("#workplace").fill(workplace)
    for name, value in more.items():
        page.locator(f"#{name}").fill(value)
    page.locator("form[action='/register'] button[type=submit]").click()


def result_of(page, receipt: str):
    return page.locator(f"[data-registration='{receipt}']")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_registrar_registers_by_hand_and_sees_the_checks_result_live(page, people_runtime, clock, language):
    sign_in(page, persona("registrar"), clock, language=language)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/register")
    look(page, f"register-{language}")
    register(page, PUBLIC_INSS)
    assert page.locator("a.receipt").count() == 1, page.locator("main").inner_text()
    receipt = page.locator("a.receipt").first.inner_text()
    assert receipt.isdigit() and page.locator("a.receipt").count() == 1
    look(page, f"receipts-{language}")
    run_checks(people_runtime)  # the checks, seconds later: the page updates itself
    result_of(page, receipt).locator(".tag--green").wait_for()
    with people_runtime.db.reading() as session:
        stored = session.get(Registration, int(receipt))
        assert (stored.inss, stored.workplace, stored.channel, stored.registration_date) == (
            PUBLIC_INSS, PUBLIC_WORKPLACE, "ONLINE", TODAY)

    register(page, NO_DIMONA)
    receipt = page.locator("a.receipt").first.inner_text()
    run_checks(people_runtime)
    result_of(page, receipt).locator(".tag--red").wait_for()
    remark = result_of(page, receipt).locator("details.remark")
    remark.locator("summary").click()
    text = remark.inner_text()
    assert "CAW_01" in text
    if language == "fr":
        assert "aucune déclaration Dimona ne couvre cette personne" in text
        assert "Demandez à l'employeur de faire (ou de corriger) la déclaration Dimona" in text
    look(page, f"receipts-remark-{language}")
    page.locator("a.receipt").first.click()
    assert page.locator("h1").inner_text() == receipt
    look(page, f"registration-{language}")


def test_bad_input_is_named_on_its_field_and_stores_nothing(page, people_runtime, clock):
    sign_in(page, persona("registrar"), clock)
    act_for(page, PUBLIC_ENTERPRISE)
    before = count(people_runtime.db, Registration)
    register(page, "78012340962")  # a wrong check digit
    assert error_summary(page) == ["INSS: wrong check digits"]
    assert page.locator("#person-error").is_visible()
    register(page, PUBLIC_INSS, first_day=(TODAY + timedelta(days=36)).isoformat())
    assert error_summary(page) == ["Register from today up to 35 days ahead."]
    register(page, PUBLIC_INSS, workplace="1Y1000013EQCZ")  # not a declared workplace
    assert error_summary(page) == ["No work declaration in force has this number."]
    with people_runtime.db.reading() as session:  # a construction workplace of another chain
        other = session.scalar(select(WorkDeclaration.number).where(
            WorkDeclaration.sector == 1, WorkDeclaration.number.not_in(
                select(Contract.declaration_number).where(Contract.enterprise == PUBLIC_ENTERPRISE))).limit(1))
    register(page, PUBLIC_INSS, workplace=other)
    assert error_summary(page) == ["Your enterprise is neither the declaring contractor nor a subcontractor of this "
                                   "workplace: you may not register on it."]
    look(page, "register-errors")
    assert count(people_runtime.db, Registration) == before


def test_a_phone_keeps_regular_registrations_and_registers_them_again_for_today(browser, people_runtime, clock):
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    page.set_extra_http_headers({"User-Agent": PHONE_AGENT})
    sign_in(page, persona("registrar"), clock)
    act_for(page, PUBLIC_ENTERPRISE)
    register(page, PUBLIC_INSS)
    first = int(page.locator("a.receipt").first.inner_text())
    clock.advance(timedelta(days=1))  # the next morning, on the same phone
    page.context.clear_cookies()
    sign_in(page, persona("registrar"), clock)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/register")
    again = page.locator("#regular button")
    assert again.count() == 1 and PUBLIC_WORKPLACE in again.inner_text()
    again.click()
    second = int(page.locator("a.receipt").first.inner_text())
    with people_runtime.db.reading() as session:
        before, after = session.get(Registration, first), session.get(Registration, second)
        assert (after.inss, after.enterprise_number, after.workplace) == (before.inss, before.enterprise_number,
                                                                          before.workplace)
        assert (after.registration_date, after.channel) == (TODAY + timedelta(days=1), "MOBILE")
    # Another person on the same phone sees none of it.
    page.context.clear_cookies()
    sign_in(page, persona("roofer"), clock)
    page.goto("/register")
    assert page.locator("#regular").is_hidden()


def test_a_self_employed_person_registers_himself_and_nobody_else(page, people_runtime, clock):
    roofer = persona("roofer")
    sign_in(page, roofer, clock)
    page.goto("/register")
    page.locator("#workplace").fill(PUBLIC_WORKPLACE)
    page.locator("form[action='/register'] button[type=submit]").click()
    receipt = int(page.locator("a.receipt").first.inner_text())
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post("/register", form={"csrf": csrf, "person": PUBLIC_INSS, "enterprise": PUBLIC_ENTERPRISE,
                                                  "workplace": PUBLIC_WORKPLACE, "first_day": TODAY.isoformat(),
                                                  "last_day": "", "skip_weekends": ""})
    assert forged.ok  # registered, but only himself
    with people_runtime.db.reading() as session:
        mine = session.scalars(select(Registration).where(Registration.sender_id.like("user:%"))).all()
    assert {r.inss for r in mine} == {roofer.national_number} and receipt in {r.id for r in mine}
    assert all(r.enterprise_number == SELF_EMPLOYED_ENTERPRISE for r in mine if r.id == receipt)


def test_a_registration_is_cancelled_with_a_reason_until_the_cut_off(page, people_runtime, clock):
    sign_in(page, persona("registrar"), clock, language="nl")
    act_for(page, PUBLIC_ENTERPRISE)
    register(page, PUBLIC_INSS)
    page.locator("a.receipt").first.click()
    page.locator("form[action$='/cancel'] button").click()  # no reason chosen
    assert len(error_summary(page)) == 1
    page.locator("input[name=reason][value=PLANNING]").check()
    page.locator("form[action$='/cancel'] button").click()
    page.wait_for_load_state()  # the answer's page, whole
    assert page.locator(".notice").is_visible() and page.locator("main .tag").first.inner_text() == "Geannuleerd"
    look(page, "registration-cancelled-nl")
    register(page, PUBLIC_INSS, first_day=(TODAY + timedelta(days=1)).isoformat())
    page.locator("a.receipt").first.click()
    receipt = page.locator("h1").inner_text()
    clock.advance(timedelta(days=3))  # past the end of the day after its date
    page.context.clear_cookies()
    sign_in(page, persona("registrar"), clock, language="nl")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto(f"/registrations/{receipt}")
    assert page.locator("form[action$='/cancel']").count() == 0  # too late: nothing offered
