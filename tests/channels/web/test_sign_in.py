"""Signing in and out in a real browser: password and one-time code, in the four languages; what a wrong
password, a wrong code, an expired session and a form without its CSRF token each get."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from presence.db.models import AuditEvent, UserSession
from presence.domain.visibility import Caller
from presence.services.access.users import create_user
from presence.sources.personas import persona

from .browser import error_summary, look, sign_in

WELCOME = {"fr": "Bienvenue", "nl": "Welkom", "de": "Willkommen", "en": "Welcome"}
SIGN_OUT = {"fr": "Se déconnecter", "nl": "Afmelden", "de": "Abmelden", "en": "Sign out"}
LABELS = {"fr": ("Numéro national ou e-mail", "Mot de passe", "Code à usage unique"),
          "nl": ("Rijksregisternummer of e-mail", "Wachtwoord", "Eenmalige code"),
          "de": ("Nationalregisternummer oder E-Mail", "Passwort", "Einmalcode"),
          "en": ("National number or e-mail", "Password", "One-time code")}


def audit_count(runtime, action: str) -> int:
    with runtime.db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def open_sessions(runtime) -> int:
    with runtime.db.reading() as session:
        return session.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None)))


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_a_persona_signs_in_with_password_and_one_time_code_in_each_language(page, people_runtime, clock,
                                                                             language):
    registrar = persona("registrar")
    page.goto(f"/language/{language}?next=/sign-in")
    assert page.locator("html").get_attribute("lang") == language
    identifier, password, code = LABELS[language]
    look(page, f"sign-in-{language}")
    page.get_by_label(identifier, exact=True).fill(registrar.national_number)
    page.get_by_label(password, exact=True).fill(registrar.password)
    page.get_by_label(code, exact=True).fill(registrar.code(clock.now()))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    assert page.locator("h1").inner_text().startswith(WELCOME[language])
    header = page.locator("header").inner_text()
    assert "Koen Wouters" in header and SIGN_OUT[language] in header
    assert page.locator("html").get_attribute("lang") == language
    assert audit_count(people_runtime, "user.signed_in") == 1
    look(page, f"start-signed-in-{language}")

    page.get_by_role("button", name=SIGN_OUT[language]).click()
    assert "Koen Wouters" not in page.locator("header").inner_text()
    assert open_sessions(people_runtime) == 0


def test_the_language_comes_from_the_browser_until_one_is_chosen(chromium, site):
    context = chromium.new_context(base_url=site, locale="nl-BE",
                                   extra_http_headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    page = context.new_page()
    page.goto("/sign-in")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Aanmelden"
    page.get_by_role("link", name="Deutsch").click()
    assert page.locator("html").get_attribute("lang") == "de"
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "de"  # the cookie now outweighs Accept-Language
    context.close()


def test_a_wrong_password_says_so_and_signs_nobody_in(page, people_runtime, clock):
    manager = persona("manager")
    page.goto("/sign-in")
    page.get_by_label("National number or e-mail").fill(manager.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_label("One-time code").fill(manager.code(clock.now()))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state()  # the answer's page, whole
    assert page.locator(".error-summary").is_visible()
    assert error_summary(page) == ["The national number or e-mail, the password or the one-time code is wrong. Check "
                                   "them and try again."]
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert page.get_by_label("National number or e-mail").input_value() == manager.email  # kept, not the password
    assert page.get_by_label("Password").input_value() == ""
    assert page.title().startswith("Error: ")
    assert open_sessions(people_runtime) == 0
    assert audit_count(people_runtime, "user.sign_in_failed") == 1
    look(page, "sign-in-error")


def test_a_wrong_one_time_code_says_the_same_and_signs_nobody_in(page, people_runtime, clock):
    manager = persona("manager")
    right = manager.code(clock.now())
    sign_in(page, manager, clock, code=f"{(int(right) + 1) % 1_000_000:06d}")
    assert "the password or the one-time code is wrong" in " ".join(error_summary(page))
    assert open_sessions(people_runtime) == 0
    sign_in(page, manager, clock)  # then the right one
    assert page.locator("h1").inner_text() == "Welcome, Nathalie Lambert"
    # A code is good once: the same code again (an eavesdropper's replay) is refused.
    page.context.clear_cookies()
    sign_in(page, manager, clock, code=right)
    assert error_summary(page)


def test_an_expired_session_sends_back_to_sign_in_and_changes_nothing(page, people_runtime, clock):
    manager = persona("manager")
    sign_in(page, manager, clock)
    page.goto("/account")
    page.get_by_label("Current password").fill(manager.password)
    page.get_by_label("New password").fill("a brand new long password")
    clock.advance(timedelta(minutes=31))  # idle longer than the settings' 30 minutes
    page.get_by_role("button", name="Change the password").click()
    assert page.url.endswith("/sign-in?next=/&expired=1")
    assert page.locator(".inset").inner_text() == "Your session has ended. Sign in again to go on."
    assert audit_count(people_runtime, "user.password_changed") == 0
    page.goto("/account")
    assert "/sign-in?next=/account" in page.url
    sign_in(page, manager, clock, next_path="/account")  # the old password still works
    assert page.locator("h1").inner_text() == "Your account"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(page, people_runtime, clock):
    sign_in(page, persona("manager"), clock)
    page.goto("/account")
    page.evaluate("() => document.querySelectorAll('input[name=csrf]').forEach(input => input.remove())")
    page.get_by_role("button", name="Sign out everywhere").click()
    assert page.locator("h1").inner_text() == "The form has expired"
    assert "Nothing was changed" in page.locator("main").inner_text()
    assert open_sessions(people_runtime) == 1
    look(page, "form-expired")
    # The sign-in form too: its token is bound to the browser's own cookie.
    page.context.clear_cookies()
    page.goto("/sign-in")
    page.evaluate("() => document.querySelector('input[name=csrf]').value = 'forged'")
    page.get_by_label("National number or e-mail").fill(persona("manager").email)
    page.get_by_label("Password").fill(persona("manager").password)
    page.get_by_label("One-time code").fill(persona("manager").code(clock.now()))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    assert page.locator("h1").inner_text() == "The form has expired"
    assert audit_count(people_runtime, "user.signed_in") == 1


def test_sign_out_everywhere_ends_the_other_browsers_sessions(chromium, site, people_runtime, clock):
    manager = persona("manager")
    phone, desktop = (chromium.new_context(base_url=site, locale="en-GB") for _ in range(2))
    on_phone, on_desktop = phone.new_page(), desktop.new_page()
    sign_in(on_phone, manager, clock)
    clock.advance(timedelta(seconds=31))  # a new one-time code
    sign_in(on_desktop, manager, clock)
    on_desktop.goto("/account")
    on_desktop.get_by_role("button", name="Sign out everywhere").click()
    on_phone.goto("/account")
    assert "/sign-in" in on_phone.url
    assert open_sessions(people_runtime) == 0
    phone.close()
    desktop.close()


def test_a_new_person_sets_up_one_time_codes_then_signs_in_with_a_recovery_code(page, people_runtime, clock):
    operator = Caller.operator()
    create_user(people_runtime, operator, "85073003328", "Ann Smet", "ann@example.be",
                password="a long enough password")
    page.goto("/sign-in")
    page.get_by_label("National number or e-mail").fill("85.07.30-033.28")
    page.get_by_label("Password").fill("a long enough password")
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    assert page.locator("h1").inner_text() == "Set up one-time codes"
    look(page, "one-time-codes")
    page.goto("/account")  # nothing else is open before the codes are set up
    assert page.locator("h1").inner_text() == "Set up one-time codes"
    secret = page.locator("input[name=secret]").input_value()
    page.get_by_label("One-time code").fill("000000" if pyotp.TOTP(secret).at(clock.now()) != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    assert error_summary(page) == ["The code is not the one your app shows now. Type the 6 digits it shows, or "
                                   "wait for the next ones."]
    page.get_by_label("One-time code").fill(pyotp.TOTP(secret).at(clock.now()))
    page.get_by_role("button", name="Confirm").click()
    assert page.locator("h1").inner_text() == "Your recovery codes"
    codes = page.locator(".codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    look(page, "recovery-codes")

    page.context.clear_cookies()
    page.goto("/sign-in")
    page.get_by_label("National number or e-mail").fill("ann@example.be")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("One-time code").fill(codes[3])
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    assert page.locator("h1").inner_text() == "Welcome, Ann Smet"
    page.goto("/account")
    assert "9 recovery codes left" in page.locator("main").inner_text()
    look(page, "account")
