"""An enterprise's gateway kiosks in a real browser: the contractor persona's registrar sees the kiosk set up for
its workplace, renames it and revokes it, and from then on what the kiosk sends is refused; in fr, nl, de, en."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from presence.domain.gateway_entries import key_in_link
from presence.domain.visibility import Caller, Role
from presence.services.registrations import gateway
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_ENTERPRISE, PUBLIC_WORKPLACE

from .browser import act_for, look, sign_in

HEADING = {"fr": "Bornes", "nl": "Kiosken", "de": "Kioske", "en": "Kiosks"}


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_a_kiosk_is_renamed_and_revoked(page, people_runtime, clock, language):
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    device = gateway.enrol_device(people_runtime, Caller.enterprise_account(PUBLIC_ENTERPRISE, (Role.REGISTRAR,)),
                                  PUBLIC_WORKPLACE, "kiosk 1", key)
    sign_in(page, persona("registrar"), clock, language=language)
    act_for(page, PUBLIC_ENTERPRISE)
    page.goto("/enterprise/kiosks")
    assert page.locator("h1").inner_text() == HEADING[language]
    look(page, f"kiosks-{language}")
    page.locator(f"#name-{device.id}").fill("Site hut, Rue de la Loi")
    page.locator(f"form[action$='/{device.id}/rename'] button").click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text="Site hut, Rue de la Loi").count() == 1
    page.locator(f"form[action$='/{device.id}/revoke'] button").click()
    page.locator(".notice").wait_for()
    assert page.locator(".tag--red").count() == 1
    look(page, f"kiosks-revoked-{language}")
    assert gateway.devices_of(people_runtime, Caller.enterprise_account(PUBLIC_ENTERPRISE, (Role.REGISTRAR,)))[
        0].revoked_at is not None


def test_setting_a_kiosk_up_refuses_a_wrong_link_or_choice_and_enrols_nothing(page, people_runtime, clock):
    key = key_in_link(ec.generate_private_key(ec.SECP256R1()).public_key())
    back = "http://127.0.0.1:8470/enrolled"
    registrar = Caller.enterprise_account(PUBLIC_ENTERPRISE, (Role.REGISTRAR,))
    sign_in(page, persona("registrar"), clock, language="fr")
    for query in ({"key": key, "back": "https://attacker.example/enrolled"}, {"key": "bm90IGEga2V5", "back": back},
                  {"key": key}, {"key": key, "back": "http://127.0.0.1:8470/anything-else"}):
        answer = page.goto("/enterprise/kiosks/new?" + urlencode(query))
        assert answer.status == 400 and page.locator("h1").inner_text() == "Ce lien ne configure pas de borne"
    page.goto("/enterprise/kiosks/new?" + urlencode({"key": key, "back": back}))
    look(page, "kiosk-new-fr")
    assert page.locator(f"input[name=workplace][value='{PUBLIC_WORKPLACE}']").count() == 1
    page.locator("#name").fill("Entrée")
    page.locator("input[name=workplace]").evaluate_all("inputs => inputs.forEach(i => i.checked = false)")
    page.locator("form[action^='/enterprise/kiosks/new'] button[type=submit]").click()
    assert page.locator(".error-message").inner_text() == "Choisissez le lieu de travail de cette borne."
    assert gateway.devices_of(people_runtime, registrar) == []
    # Someone who is no declarant or registrar of a declaring contractor has no workplace to choose.
    page.context.clear_cookies()
    clock.advance(timedelta(seconds=31))
    sign_in(page, persona("technician"), clock, language="en")
    page.goto("/enterprise/kiosks/new?" + urlencode({"key": key, "back": back}))
    assert page.locator("input[name=workplace]").count() == 0
    assert "A kiosk is set up by the declaring contractor." in page.locator("main").inner_text()
