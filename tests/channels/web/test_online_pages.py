"""Every page of the online service for construction and meat, in every language, looked at on a phone and a
desktop (`look`: axe-core, no sideways scrolling, screenshots when asked): registering, receipts, a
registration, the search, the assistant's three steps, scanning, and a posted worker's own registration."""

from __future__ import annotations

import pytest

from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_ENTERPRISE, PUBLIC_INSS, PUBLIC_WORKPLACE

from .browser import act_for, look, sign_in

HEADINGS = {
    "register": {"fr": "Enregistrer", "nl": "Registreren", "de": "Registrieren", "en": "Register"},
    "assistant": {"fr": "Assistant", "nl": "Assistent", "de": "Assistent", "en": "Assistant"},
    "review": {"fr": "Vérifier avant d'enregistrer", "nl": "Controleren vóór het registreren",
               "de": "Vor dem Registrieren prüfen", "en": "Check before registering"},
    "registrations": {"fr": "Enregistrements", "nl": "Registraties", "de": "Registrierungen", "en": "Registrations"},
    "scan": {"fr": "Scanner un code QR", "nl": "Een QR-code scannen", "de": "Einen QR-Code scannen",
             "en": "Scan a QR code"},
    "self": {"fr": "Enregistrez-vous avec votre document Limosa-1", "nl": "Registreer uzelf met uw Limosa-1-document",
             "de": "Registrieren Sie sich mit Ihrem Limosa-1-Dokument",
             "en": "Register yourself with your Limosa-1 document"},
}


def heading(page) -> str:
    return page.locator("h1").inner_text()


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_every_page_of_the_online_service_in_each_language(page, clock, language):
    sign_in(page, persona("registrar"), clock, language=language)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/register")
    assert heading(page) == HEADINGS["register"][language]
    page.locator("form[action='/register'] button[type=submit]").click()  # nothing filled in: the errors
    page.wait_for_load_state()  # the answer's page, whole
    assert page.locator(".error-summary li").count() == 2
    look(page, f"online-register-errors-{language}")
    page.locator("#person").fill(PUBLIC_INSS)
    page.locator("#workplace").fill(PUBLIC_WORKPLACE)
    page.locator("form[action='/register'] button[type=submit]").click()
    look(page, f"online-receipts-{language}")
    page.locator("a.receipt").first.click()
    look(page, f"online-registration-{language}")
    page.goto("/registrations")
    assert heading(page) == HEADINGS["registrations"][language]
    look(page, f"online-registrations-{language}")
    page.goto("/assistant")
    assert heading(page) == HEADINGS["assistant"][language]
    look(page, f"online-assistant-{language}")
    page.goto(f"/assistant/{PUBLIC_WORKPLACE}")
    look(page, f"online-assistant-people-{language}")
    for index in range(3):
        page.locator("input[name=person]").nth(index).check()
    page.locator("form[action$='/review'] button").click()
    assert heading(page) == HEADINGS["review"][language]
    look(page, f"online-assistant-review-{language}")
    page.goto("/scan")
    assert heading(page) == HEADINGS["scan"][language]
    look(page, f"online-scan-{language}")

    page.context.clear_cookies()
    sign_in(page, persona("roofer"), clock, language=language)  # self-employed: registers himself only
    page.goto("/register")
    assert page.locator("#person").count() == 0
    look(page, f"online-register-myself-{language}")

    page.context.clear_cookies()
    page.goto(f"/language/{language}?next=/w/{PUBLIC_WORKPLACE}")
    look(page, f"online-workplace-{language}")
    page.goto(f"/w/{PUBLIC_WORKPLACE}/limosa")
    assert heading(page) == HEADINGS["self"][language]
    look(page, f"online-self-scan-{language}")
