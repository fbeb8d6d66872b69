"""Errors and corrections in cleaning, in a real browser: the cleaning worker reports an error in his check-in;
his employer asks the back office for a correction with a PDF; the back-office persona approves it; the
registration's history keeps the original and the edit; too late, a request is refused. Uploads that are not what
they claim, or too large, are refused and stored nowhere."""

from __future__ import annotations

from datetime import timedelta

from presence.clock import BRUSSELS
from presence.db.models import CorrectionDocument, CorrectionRequest
from presence.domain.statuses import Lifecycle
from presence.domain.visibility import Caller
from presence.services.registrations.consulting import get_presence
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_ENTERPRISE

from ...helpers import a_pdf, count, run_checks
from .browser import act_for, error_summary, look, sign_in
from .test_check_in import PLACE, tap


def test_a_reported_error_is_corrected_by_the_back_office_and_history_keeps_both(page, people_runtime, clock,
                                                                                tmp_path):
    sign_in(page, persona("cleaner"), clock, language="fr")
    page.goto(PLACE)
    check_in = int(tap(page, "Pointer l'entrée"))
    page.goto("/my/registrations")
    page.locator(f"a[href='/my/registrations/{check_in}/report']").click()
    page.locator("#what_is_wrong").fill("J'ai oublié de pointer en arrivant")
    page.locator("#should_be").fill("Entrée à 8 h 55")
    look(page, "report-error-fr")
    page.locator("main form button").click()
    page.locator(".notice").wait_for()  # the answer's page may still be loading

    page.context.clear_cookies()
    sign_in(page, persona("registrar"), clock, language="nl")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/staff")
    page.locator(f"a[href^='/registrations/{check_in}/correction?report=']").click()
    form = page.url
    wanted = (clock.now() - timedelta(minutes=5)).astimezone(BRUSSELS)
    page.locator("#clocked_at").fill(wanted.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#reason").fill("Vergeten in te checken bij aankomst; bevestigd door de klant")
    before = count(people_runtime.db, CorrectionRequest), count(people_runtime.db, CorrectionDocument)
    page.locator("#documents").set_input_files({"name": "loonbrief.pdf", "mimeType": "application/pdf",
                                                "buffer": b"MZ\x90\x00" + bytes(2000)})  # a program
    page.locator("main form button[type=submit]").click()
    assert error_summary(page) == ["Een document is geen PDF-, JPEG- of PNG-bestand (wat de naam ook zegt)."]
    large = tmp_path / "groot.pdf"
    large.write_bytes(b"%PDF-1.7\n" + bytes(50 * 1024 * 1024))
    page.locator("#documents").set_input_files(large)
    page.locator("#reason").fill("Vergeten in te checken bij aankomst; bevestigd door de klant")
    page.locator("main form button[type=submit]").click()
    assert page.locator("h1").inner_text().startswith("Too large")
    assert (count(people_runtime.db, CorrectionRequest), count(people_runtime.db, CorrectionDocument)) == before
    page.goto(form)
    page.locator("#clocked_at").fill(wanted.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#reason").fill("Vergeten in te checken bij aankomst; bevestigd door de klant")
    page.locator("#documents").set_input_files({"name": "bevestiging.pdf", "mimeType": "application/pdf",
                                                "buffer": a_pdf()})
    look(page, "correction-new-nl")
    page.locator("main form button[type=submit]").click()
    page.locator(".notice").wait_for()  # the answer's page may still be loading
    request = page.url.split("/corrections/")[1].split("?")[0]
    look(page, "correction-nl")

    page.context.clear_cookies()
    sign_in(page, persona("backoffice"), clock, language="de")
    page.goto("/back-office/corrections")
    look(page, "correction-queue-de")
    page.locator(f"a[href='/back-office/corrections/{request}']").click()
    look(page, "correction-decide-de")
    with page.expect_download() as download:
        page.locator(f"a[href^='/corrections/{request}/documents/']").click()
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    page.get_by_role("button", name="Genehmigen und berichtigen").click()
    page.locator(".notice").wait_for()  # the answer's page may still be loading
    run_checks(people_runtime)
    corrected = get_presence(people_runtime, Caller.back_office(), check_in)
    assert corrected.lifecycle is Lifecycle.EDITED
    [revision] = corrected.revisions
    assert revision.after["clocked_at"].startswith(wanted.astimezone(BRUSSELS).date().isoformat())
    assert revision.before["clocked_at"] != revision.after["clocked_at"] and f"request {request}" in \
        revision.justification

    # The worker sees the outcome.
    clock.advance(timedelta(seconds=31))  # a one-time code is good once
    page.context.clear_cookies()
    sign_in(page, persona("cleaner"), clock, language="fr")
    page.goto("/my/registrations")
    assert "Accepté" in page.locator("main").inner_text()
    look(page, "my-registrations-fr")

    # Thirty days later, no more.
    clock.advance(timedelta(days=31))
    page.context.clear_cookies()
    sign_in(page, persona("registrar"), clock, language="en")
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto(f"/registrations/{check_in}/correction")
    page.locator("#direction").select_option("out")
    page.locator("#reason").fill("Another change")
    page.locator("#documents").set_input_files({"name": "proof.pdf", "mimeType": "application/pdf",
                                                "buffer": a_pdf()})
    page.locator("main form button[type=submit]").click()
    assert error_summary(page) == ["Corrections are requested within 30 days of the registration."]
    assert count(people_runtime.db, CorrectionRequest) == before[0] + 1
