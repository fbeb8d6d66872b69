"""Every page, in every language: its `<html lang>`, its heading in that language, axe-core clean and no
sideways scrolling at phone and desktop sizes (`look`, which also keeps screenshots when asked to)."""

from __future__ import annotations

import pytest

from presence.domain.visibility import Caller
from presence.services.access.users import create_user
from presence.sources.personas import persona

from .browser import act_for, look, sign_in

HEADINGS = {  # (page, language) -> the heading it must show
    "start": {"fr": "Enregistrer les présences sur les lieux de travail", "nl": "Aanwezigheden op de werkplaatsen "
              "registreren", "de": "Anwesenheiten auf Arbeitsplätzen registrieren", "en": "Register presences on "
              "workplaces"},
    "account": {"fr": "Votre compte", "nl": "Uw account", "de": "Ihr Konto", "en": "Your account"},
    "access": {"fr": "Gestion des accès", "nl": "Toegangsbeheer", "de": "Zugangsverwaltung",
               "en": "Access management"},
    "web": {"fr": "Services web", "nl": "Webservices", "de": "Webservices", "en": "Web services"},
    "refused": {"fr": "Vous ne pouvez pas faire ceci", "nl": "U kunt dit niet doen", "de": "Das können Sie nicht tun",
                "en": "You cannot do this"},
    "enrol": {"fr": "Choisissez votre mot de passe", "nl": "Kies uw wachtwoord", "de": "Wählen Sie Ihr Passwort",
              "en": "Choose your password"},
    "codes": {"fr": "Configurer les codes à usage unique", "nl": "Eenmalige codes instellen",
              "de": "Einmalcodes einrichten", "en": "Set up one-time codes"},
    "expired": {"fr": "Ce lien a expiré", "nl": "Deze link is verlopen", "de": "Dieser Link ist abgelaufen",
                "en": "This link has expired"},
}


def heading(page) -> str:
    return page.locator("h1").inner_text()


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_every_page_in_each_language(page, people_runtime, clock, language):
    page.goto(f"/language/{language}?next=/")
    assert page.locator("html").get_attribute("lang") == language
    assert heading(page) == HEADINGS["start"][language]
    look(page, f"start-{language}")

    created = create_user(people_runtime, Caller.operator(), "85073003328", "Ann Smet", "ann@example.be")
    page.goto(f"/enrol/{created.enrolment_token}")
    assert heading(page) == HEADINGS["enrol"][language]
    look(page, f"first-password-{language}")
    page.locator("#password").fill("correct horse battery staple")
    page.locator("#password_again").fill("correct horse battery staple")
    page.locator("main button[type=submit]").click()
    assert heading(page) == HEADINGS["codes"][language]
    look(page, f"one-time-codes-{language}")
    page.goto(f"/enrol/{created.enrolment_token}")  # used up
    assert heading(page) == HEADINGS["expired"][language]
    look(page, f"link-expired-{language}")

    page.context.clear_cookies()
    sign_in(page, persona("manager"), clock, language=language)
    page.goto("/account")
    assert heading(page) == HEADINGS["account"][language]
    act_for(page)
    look(page, f"account-{language}")
    page.goto("/")
    look(page, f"start-manager-{language}")
    page.goto("/enterprise/access")
    assert heading(page) == HEADINGS["access"][language]
    page.locator("form[action='/enterprise/access/grant'] button").click()  # nothing filled in: the errors
    page.wait_for_load_state()  # the answer's page, whole
    assert page.locator(".error-summary li").count() == 1
    look(page, f"access-errors-{language}")

    page.context.clear_cookies()
    sign_in(page, persona("technician"), clock, language=language)
    act_for(page)
    page.goto("/enterprise/web-services")
    assert heading(page) == HEADINGS["web"][language]
    look(page, f"web-services-{language}")

    page.context.clear_cookies()
    sign_in(page, persona("builder"), clock, language=language)
    page.goto("/enterprise/access")
    assert heading(page) == HEADINGS["refused"][language]
    look(page, f"refused-{language}")
