"""Work declarations in a real browser: the declaring contractor persona declares construction works of
€620,000, declares two levels of subcontractors, prints the poster, and the poster's QR code leads to the
workplace's page; in English and in Dutch. Bad input is named on its field and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from presence.sources.models import WorkDeclaration
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_CLIENT, PUBLIC_OTHER_ENTERPRISE, SCENARIO_BUILDER

from ...conftest import TODAY
from ...helpers import count, qr_in_pdf
from .browser import act_for, error_summary, look, sign_in

SUB, SUB_SUB = PUBLIC_OTHER_ENTERPRISE, "0566988259"


def fill(page, values: dict) -> None:
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)


def declare_works(page, amount="620000", **more: str) -> str:
    page.goto("/declarations/new")
    page.locator("input[name=sector][value='1']").check()
    fill(page, {"client": PUBLIC_CLIENT, "client_name": "Immo Exemplum NV", "street": "Rue Haute",
                "house_number": "12", "post_code": "1000", "municipality": "Bruxelles",
                "starts_on": (TODAY - timedelta(days=5)).isoformat(),
                "ends_on": (TODAY + timedelta(days=200)).isoformat(), "amount": amount,
                "description": "Renovation of a school", **more})
    page.locator("form[action='/declarations/new'] button").click()
    return page.url.split("/declarations/")[1].split("?")[0]


def add(page, enterprise: str, principal: str) -> None:
    page.locator("#enterprise").fill(enterprise)
    page.locator("#principal").select_option(principal)
    page.locator("#sub_starts_on").fill(TODAY.isoformat())
    page.locator("form[action$='/subcontractors'] button").click()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_declaring_contractor_declares_works_with_two_levels_and_prints_the_poster(page, site, people_runtime,
                                                                                      clock, language):
    sign_in(page, persona("contractor"), clock, language=language)
    act_for(page, SCENARIO_BUILDER)
    page.goto("/declarations")
    look(page, f"declarations-{language}")
    page.goto("/declarations/new")
    look(page, f"declaration-new-{language}")
    number = declare_works(page)
    assert len(number) == 13 and page.locator(".notice").is_visible()
    add(page, SUB, SCENARIO_BUILDER)
    add(page, SUB_SUB, SUB)
    table = page.locator("table").inner_text()
    assert SUB in table and SUB_SUB in table and "Exemplum Techniek BV" in table  # by name too
    look(page, f"declaration-{language}")

    poster = httpx.get(site + page.locator(f"a[href='/w/{number}/poster.pdf']").first.get_attribute("href"))
    assert qr_in_pdf(poster.content) == f"{site}/w/{number}"
    page.goto(qr_in_pdf(poster.content))
    assert page.locator("h1").inner_text() == "Rue Haute 12, 1000 Bruxelles"

    page.goto("/declarations")
    assert page.get_by_role("link", name=number).count() == 1
    csv = page.request.get("/declarations.csv")
    assert number in csv.text() and csv.headers["content-type"].startswith("text/csv")


def test_bad_input_is_named_and_stores_nothing(page, people_runtime, clock):
    sign_in(page, persona("contractor"), clock)
    act_for(page, SCENARIO_BUILDER)
    before = count(people_runtime.db, WorkDeclaration)
    page.goto("/declarations/new")
    page.locator("input[name=sector][value='1']").check()
    fill(page, {"client": "0403019262", "client_name": "Immo", "street": "Rue Haute", "house_number": "1",
                "post_code": "10", "municipality": "Bruxelles", "starts_on": TODAY.isoformat(), "amount": "-5"})
    page.locator("form[action='/declarations/new'] button").click()
    assert set(error_summary(page)) == {"Enterprise number: wrong check digits.",
                                        "Enter a Belgian post code of 4 digits.",
                                        "Enter an amount in euros, not negative, with at most 2 decimals."}
    look(page, "declaration-new-errors")
    declare_works(page)
    page.locator("#enterprise").fill(SUB)
    page.locator("#sub_starts_on").fill((TODAY - timedelta(days=30)).isoformat())  # before the works
    page.locator("form[action$='/subcontractors'] button").click()
    assert error_summary(page) == ["the period is not inside the principal's"]
    assert count(people_runtime.db, WorkDeclaration) == before + 1
    assert page.locator("table").count() == 0  # no subcontractor stored


def test_someone_elses_declaration_is_neither_seen_nor_changed(page, people_runtime, clock):
    sign_in(page, persona("contractor"), clock)
    act_for(page, SCENARIO_BUILDER)
    number = declare_works(page)
    page.context.clear_cookies()
    clock.advance(timedelta(seconds=31))
    sign_in(page, persona("registrar"), clock)
    act_for(page)  # Exemplum Construct SA: not in that chain
    assert page.goto(f"/declarations/{number}").status == 404
    csrf = page.evaluate("() => document.querySelector('header input[name=csrf]').value")
    refused = page.request.post(f"/declarations/{number}/subcontractors", form={
        "csrf": csrf, "enterprise": "0448181966", "principal": SCENARIO_BUILDER,
        "sub_starts_on": TODAY.isoformat()})
    assert refused.status == 403
    assert page.request.post(f"/declarations/{number}/cancel", form={"csrf": csrf}).status == 403


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_declarant_raises_the_amount_past_the_threshold_and_ends_a_subcontract(page, people_runtime, clock,
                                                                                   language):
    sign_in(page, persona("contractor"), clock, language=language)
    act_for(page, SCENARIO_BUILDER)
    number = declare_works(page, amount="400000", architect_name="Atelier Lumen",
                           execution_coordinator_name="Coordination Sûre",
                           execution_coordinator_enterprise="0403019261")
    summary = page.locator("dl.summary").inner_text()
    assert "Atelier Lumen" in summary and "Coordination Sûre (0403019261)" in summary
    assert "50.85045, 4.34878" in summary  # the centre of Brussels, from the post code: no map needed

    page.locator("#terms_amount").fill("620000")
    page.locator("form[action$='/terms'] button").click()
    page.locator(".notice").wait_for()  # the answer's page may still be loading
    with people_runtime.db.reading() as session:
        declaration = session.get(WorkDeclaration, number)
        assert (declaration.amount_eur, declaration.subject_to_registration) == (620000, True)

    add(page, SUB, SCENARIO_BUILDER)
    page.locator("#ended").select_option(SUB)
    page.locator("#end_on").fill((TODAY - timedelta(days=1)).isoformat())  # before it started: refused
    page.locator("form[action$='/subcontractors/end'] button").click()
    assert len(error_summary(page)) == 1
    page.locator("#end_on").fill((TODAY + timedelta(days=20)).isoformat())
    page.locator("form[action$='/subcontractors/end'] button").click()
    page.locator(".notice").wait_for()  # the answer's page may still be loading
    history = page.locator("h2 + ul").last.inner_text()
    assert history.count("\n") == 3  # declared, changed, subcontractor declared, subcontract ended
    assert ("400" in history and "620" in history and "Exemplum Techniek BV" in history)
    assert history.count(persona("contractor").given_name) == 4  # who changed what, when
    look(page, f"declaration-changed-{language}")
