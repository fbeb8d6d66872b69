"""An enterprise's gateway kiosks in a real browser: the contractor persona's registrar sees the kiosk set up for
its workplace, renames it and revokes it, and from then on what the kiosk sends is refused; in fr, nl, de, en."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

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
    assert page.locator("h2", has_text="Site hut, Rue de la Loi").count() == 1
    page.locator(f"form[action$='/{device.id}/revoke'] button").click()
    assert page.locator(".notice").is_visible() and page.locator(".tag--red").count() == 1
    look(page, f"kiosks-revoked-{language}")
    assert gateway.devices_of(people_runtime, Caller.enterprise_account(PUBLIC_ENTERPRISE, (Role.REGISTRAR,)))[
        0].revoked_at is not None
