"""Who sees what in the registrations' search, in a real browser, one test per role (`auth.md`, "Who sees
what"): a declaring contractor sees its subcontractors' workers on its workplace; a subcontractor does not see the
contractor's other workplaces; a worker sees only himself. The exports hold what the page shows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest

from presence.domain.sectors import Sector
from presence.domain.visibility import Caller, Role
from presence.services.declarations import declaring
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_CLIENT, PUBLIC_ENTERPRISE, PUBLIC_INSS, SCENARIO_BUILDER, crew_inss

from ...conftest import TODAY
from ...helpers import employee_today, register_one
from .browser import act_for, look, sign_in

BUILDER = Caller.enterprise_account(SCENARIO_BUILDER, (Role.DECLARANT, Role.REGISTRAR), sender_id="user:test")


@pytest.fixture
def workplaces(people_runtime):
    """Two workplaces of Scenario Hoofdaannemer NV: Exemplum Construct SA subcontracts on the first only; on each,
    a registration: Exemplum's worker on the first, the contractor's own on the second."""
    def works(street: str, subcontractors=()) -> str:
        return declaring.declare(people_runtime, BUILDER, declaring.Declaration(
            Sector.CONSTRUCTION, PUBLIC_CLIENT, "Immo Exemplum NV", street, "1", "1000", "Bruxelles",
            TODAY - timedelta(days=30), None, Decimal("900000"), subcontractors=subcontractors))

    shared = works("Rue du Chantier", (declaring.Subcontractor(PUBLIC_ENTERPRISE, SCENARIO_BUILDER,
                                                              TODAY - timedelta(days=30)),))
    own = works("Rue Privée")
    subs = register_one(people_runtime, employee_today(workplace=shared, registration_date=TODAY))
    mine = register_one(people_runtime, employee_today(workplace=own, inss=crew_inss(0),
                                                       enterprise_number=SCENARIO_BUILDER, registration_date=TODAY),
                        caller=BUILDER)
    return shared, own, subs, mine


def receipts(page) -> set[int]:
    return {int(text) for text in page.locator("a.receipt").all_inner_texts()}


def test_a_declaring_contractor_sees_its_subcontractors_workers_on_its_workplace(page, clock, workplaces):
    shared, own, subs, mine = workplaces
    sign_in(page, persona("contractor"), clock, language="nl")
    act_for(page, SCENARIO_BUILDER)
    page.goto(f"/registrations?workplace={shared}")
    assert receipts(page) == {subs}
    page.goto("/registrations")
    assert {subs, mine} <= receipts(page)
    look(page, "registrations-nl")
    page.goto(f"/registrations/{subs}")
    assert page.locator("h1").inner_text() == str(subs)
    assert PUBLIC_INSS in page.locator("dl.summary").inner_text()  # in full on its own page
    look(page, "registration-nl")


def test_a_subcontractor_does_not_see_the_contractors_other_workplaces(page, clock, workplaces):
    shared, own, subs, mine = workplaces
    sign_in(page, persona("registrar"), clock, language="fr")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto(f"/registrations?workplace={own}")
    assert receipts(page) == set()
    page.goto("/registrations")
    assert subs in receipts(page) and mine not in receipts(page)
    assert page.goto(f"/registrations/{mine}").status == 404
    page.goto("/registrations")
    look(page, "registrations-fr")
    # The exports hold the same registrations as the page, the person numbers masked as in the list.
    listed = receipts(page)
    with page.expect_download() as download:
        page.locator("form[action='/registrations.csv'] button").click()
    exported = download.value.path().read_text()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {int(r["receipt"]) for r in rows} == listed and PUBLIC_INSS not in exported
    with page.expect_download() as download:
        page.locator("form[action='/registrations.xlsx'] button").click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    sheet = book.worksheets[0]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == listed


def test_a_worker_sees_only_himself(page, clock, workplaces):
    shared, own, subs, mine = workplaces
    sign_in(page, persona("builder"), clock)  # PUBLIC_INSS, for himself
    page.goto("/registrations")
    assert subs in receipts(page) and mine not in receipts(page)
    assert {text.split("(")[-1].rstrip(")") for text in page.locator("td[data-label='Person']").all_inner_texts()} \
        == {PUBLIC_INSS[:6] + "*****"}
    look(page, "registrations-worker-en")


def test_without_a_consulting_role_the_registrations_are_refused_not_broken(page, clock):
    sign_in(page, persona("technician"), clock)  # technical manager of Exemplum Construct SA only
    act_for(page, PUBLIC_ENTERPRISE)
    assert page.locator("nav.service-nav a[href='/registrations']").count() == 0
    assert page.goto("/registrations").status == 403
    assert page.locator("h1").inner_text() == "You cannot do this"


def test_odd_receipt_numbers_get_a_page_not_an_error(page, clock):
    sign_in(page, persona("registrar"), clock)
    act_for(page, PUBLIC_ENTERPRISE)
    for odd in ("²", "9" * 40, "-1", "x"):
        assert page.goto(f"/registrations/{odd}").status == 404
    assert page.goto("/registrations/receipts?id=x&id=²").status == 200
    assert page.goto("/registrations?page=99999999999999999999").status == 200
