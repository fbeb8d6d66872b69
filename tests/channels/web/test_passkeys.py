"""Passkeys in a real browser, with Chromium's virtual authenticator (it verifies the person, as a phone's
fingerprint reader would): a persona adds one on his account page, then signs in with it alone; once removed,
it signs nobody in."""

from __future__ import annotations

from sqlalchemy import select

from presence.db.models import AuditEvent
from presence.sources.personas import persona

from .browser import look, sign_in


def with_authenticator(chromium, site):
    """A page on `localhost` (a passkey's relying party is a host name, never an address) with a virtual
    authenticator that holds passkeys and verifies its user."""
    context = chromium.new_context(base_url=site.replace("127.0.0.1", "localhost"), locale="en-GB")
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return page


def test_a_person_adds_a_passkey_signs_in_with_it_and_removes_it(chromium, site, people_runtime, clock):
    page = with_authenticator(chromium, site)
    sign_in(page, persona("registrar"), clock, next_path="/account")
    page.get_by_label("Name of the passkey (optional)").fill("my phone")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/account?done=passkey-added")
    assert page.locator(".notice").inner_text().startswith("The passkey is added")
    assert "my phone" in page.locator("#passkeys + p + .table-wrap").inner_text()
    look(page, "account-passkeys")

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto("/sign-in")
    look(page, "sign-in-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == "Welcome, Koen Wouters"
    with people_runtime.db.reading() as session:
        methods = [e.details.get("method") for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.signed_in").order_by(AuditEvent.id))]
    assert methods == ["password+totp", "passkey"]

    page.goto("/account")
    page.get_by_role("button", name="Remove my phone").click()
    assert page.locator(".notice").inner_text().startswith("The passkey is removed")
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in with a passkey").click()
    error = page.locator("[data-passkey-error]")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("This passkey cannot sign you in here.")
    assert "Koen Wouters" not in page.locator("header").inner_text()
    page.context.close()


def test_a_passkey_answer_without_its_challenge_is_refused(chromium, site, people_runtime):
    page = with_authenticator(chromium, site)
    page.goto("/sign-in")
    csrf = page.locator("input[name=csrf]").input_value()
    forged = page.request.post("/sign-in/passkey", data={"csrf": csrf, "credential": {
        "id": "AAAA", "response": {"clientDataJSON": "eyJjaGFsbGVuZ2UiOiJub3BlIn0"}}})
    assert forged.status == 400 and forged.json()["error"] == "This passkey request has expired. Try again."
    without_token = page.request.post("/sign-in/passkey", data={"credential": {}})
    assert without_token.status == 403
    page.context.close()
