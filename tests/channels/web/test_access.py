"""Access management in a real browser: the main access manager of 0448181966 grants a role, the person then
acts for the enterprise, and a revocation takes effect on his next request. Nobody without a role sees or
changes anything of an enterprise."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from presence.db.models import AuditEvent, RoleGrant
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_ENTERPRISE

from .browser import act_for, error_summary, look, sign_in

ACCESS = "/enterprise/access"


def active_grants(runtime, national_number: str) -> list[str]:
    with runtime.db.reading() as session:
        return list(session.scalars(select(RoleGrant.role).where(RoleGrant.national_number == national_number,
                                                                 RoleGrant.revoked_at.is_(None))))


def test_the_main_access_manager_grants_a_role_that_then_works_and_revokes_it(chromium, site, people_runtime,
                                                                             clock):
    manager, newcomer = persona("manager"), persona("client-of-posted")
    managing = chromium.new_context(base_url=site, locale="en-GB").new_page()
    sign_in(managing, manager, clock)
    act_for(managing)
    assert "for Exemplum Construct SA" in managing.locator("header").inner_text()
    managing.goto("/")
    managing.get_by_role("link", name="Access management").click()
    assert managing.locator("h1").inner_text() == "Access management"
    look(managing, "access")

    managing.get_by_label("National number or BIS number").fill(newcomer.national_number)
    managing.get_by_label("Registrar").check()
    managing.get_by_role("button", name="Grant the role").click()
    assert managing.locator(".notice").inner_text().startswith("The role is granted.")
    table = managing.locator("table").first.inner_text()
    assert "Sofie Claes" in table and "Registrar" in table and newcomer.national_number not in table
    assert "Registrar granted to Sofie Claes" in managing.locator("main").inner_text()
    assert "registrar" in active_grants(people_runtime, newcomer.national_number)

    acting = chromium.new_context(base_url=site, locale="en-GB").new_page()
    sign_in(acting, newcomer, clock)
    act_for(acting)
    assert "for Exemplum Construct SA" in acting.locator("header").inner_text()
    look(acting, "account-acting")

    managing.get_by_role("button", name="Revoke Registrar, Sofie Claes").click()
    assert managing.locator(".notice").inner_text().startswith("The role is revoked.")
    assert "registrar" not in active_grants(people_runtime, newcomer.national_number)
    acting.goto("/")  # his next request: he acts for the enterprise no more
    assert "Exemplum Construct SA" not in acting.locator("header").inner_text()
    with people_runtime.db.reading() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "role_grant",
                                                                       AuditEvent.actor_id.like("user:%"))))
    assert actions == ["role.granted", "role.revoked"]


def test_an_access_managers_mistakes_are_named_on_their_fields(page, people_runtime, clock):
    sign_in(page, persona("manager"), clock)
    act_for(page)
    page.goto(ACCESS)
    page.get_by_label("National number or BIS number").fill("12345678901")
    page.get_by_role("button", name="Grant the role").click()
    assert error_summary(page) == ["Choose a role."]
    page.get_by_label("Consultant").check()
    page.get_by_role("button", name="Grant the role").click()
    assert error_summary(page) == ["National number: wrong check digits."]
    assert page.locator("#national_number").get_attribute("aria-invalid") == "true"
    page.get_by_role("link", name="National number: wrong check digits.").click()
    assert page.evaluate("() => document.activeElement.id") == "national_number"
    look(page, "access-errors")
    with people_runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(RoleGrant)
                              .where(RoleGrant.enterprise == PUBLIC_ENTERPRISE)) == 2  # the personas' own


def test_only_the_main_access_manager_designates_access_managers(page, people_runtime, clock):
    sign_in(page, persona("manager"), clock)
    act_for(page)
    page.goto(ACCESS)
    assert page.get_by_label("Access manager", exact=True).count() == 1
    page.get_by_label("National number or BIS number").fill(persona("registrar").national_number)
    page.get_by_label("Access manager", exact=True).check()
    page.get_by_role("button", name="Grant the role").click()
    assert "access_manager" in active_grants(people_runtime, persona("registrar").national_number)


def test_a_person_without_a_role_for_the_enterprise_sees_and_changes_nothing_of_it(page, people_runtime, clock):
    """The construction worker and the registrar (a role, but not an access manager) are refused the page and
    its forms alike; nothing changes."""
    for key in ("builder", "registrar", "technician"):
        page.context.clear_cookies()
        clock.advance(timedelta(seconds=31))  # a new one-time code for each
        sign_in(page, persona(key), clock)
        if key != "builder":
            act_for(page)
        response = page.goto(ACCESS)
        assert response.status == 403
        assert page.locator("h1").inner_text() == "You cannot do this"
        assert "Koen Wouters" not in page.locator("main").inner_text()
        csrf = page.evaluate("() => document.querySelector('header input[name=csrf]').value")
        refused = page.request.post(ACCESS + "/grant", form={
            "csrf": csrf, "national_number": persona(key).national_number, "role": "access_manager"})
        assert refused.status == 403
        refused = page.request.post(ACCESS + "/revoke", form={"csrf": csrf, "grant": "1"})
        assert refused.status == 403
    look(page, "access-refused")
    assert "access_manager" not in sum((active_grants(people_runtime, persona(k).national_number)
                                        for k in ("builder", "registrar", "technician")), [])
    assert len(active_grants(people_runtime, persona("registrar").national_number)) == 1


def test_a_person_cannot_act_for_an_enterprise_he_holds_no_role_for(page, people_runtime, clock):
    sign_in(page, persona("registrar"), clock)
    page.goto("/account")
    csrf = page.locator("input[name=csrf]").first.input_value()
    refused = page.request.post("/account/acting", form={"csrf": csrf, "enterprise": "0403019261"})
    assert refused.status == 403
    page.goto("/")
    assert "Immo Exemplum" not in page.locator("header").inner_text()
