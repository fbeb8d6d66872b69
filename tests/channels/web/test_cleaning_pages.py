"""Every page of Check In and Out at Work online, in French, Dutch and German, looked at on a phone and a desktop
(`look`: axe-core, no sideways scrolling, screenshots when asked): the worker's workplace page before and after
checking in, his registrations and an error report; the employer's staff week and day, a correction request; the
back office's queue and a request's page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_CLEANING_WORKPLACE, PUBLIC_ENTERPRISE

from ...helpers import a_pdf
from .browser import act_for, look, sign_in
from .conftest import PHONE
from .test_check_in import PLACE, tap

CHECK_IN = {"fr": "Pointer l'entrée", "nl": "Inchecken", "de": "Einchecken"}
SEND = {"fr": "Envoyer à mon employeur", "nl": "Naar mijn werkgever sturen", "de": "An meinen Arbeitgeber senden"}


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_every_page_of_check_in_and_out_in_each_language(page, clock, language):
    page.set_viewport_size(PHONE)
    page.goto(f"/language/{language}?next={PLACE}")
    look(page, f"cleaning-workplace-{language}")
    sign_in(page, persona("cleaner"), clock, language=language)
    page.goto(PLACE)
    look(page, f"cleaning-check-in-{language}")
    receipt = tap(page, CHECK_IN[language])
    look(page, f"cleaning-checked-in-{language}")
    page.goto("/check-in")
    look(page, f"cleaning-find-{language}")
    page.goto("/my/registrations")
    look(page, f"cleaning-mine-{language}")
    page.goto(f"/my/registrations/{receipt}/report")
    look(page, f"cleaning-report-{language}")
    page.locator("#what_is_wrong").fill("x")
    page.locator("#should_be").fill("y")
    page.get_by_role("button", name=SEND[language]).click()

    clock.advance(timedelta(seconds=31))
    page.context.clear_cookies()
    sign_in(page, persona("registrar"), clock, language=language)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/staff")
    look(page, f"cleaning-staff-{language}")
    page.goto(f"/staff?day={clock.now().date().isoformat()}&workplace={PUBLIC_CLEANING_WORKPLACE}")
    assert page.locator("a.receipt").count() == 1
    page.goto(f"/registrations/{receipt}/correction")
    look(page, f"cleaning-correction-new-{language}")
    page.locator("#direction").select_option("out")
    page.locator("#reason").fill("x")
    page.locator("#documents").set_input_files({"name": "a.pdf", "mimeType": "application/pdf", "buffer": a_pdf()})
    page.locator("main form button[type=submit]").click()
    look(page, f"cleaning-correction-{language}")
    request = page.url.split("/corrections/")[1].split("?")[0]

    page.context.clear_cookies()
    sign_in(page, persona("backoffice"), clock, language=language)
    page.goto("/back-office/corrections")
    look(page, f"cleaning-queue-{language}")
    page.goto(f"/back-office/corrections/{request}")
    look(page, f"cleaning-decide-{language}")
