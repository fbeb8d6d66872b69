"""Channel management in a real browser: the technical manager of 0448181966 creates the REST account with an
uploaded certificate, reads its client id, runs the page's own token-request example with the certificate's key
(it succeeds), rolls the certificate over and revokes it (the next token request is refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from presence.db.models import AuditEvent
from presence.domain.visibility import Caller
from presence.services.access.roles import grant_role
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_FOREIGN_EMPLOYER
from presence.testing.wssecurity import der, make_certificate, pem

from .browser import act_for, error_summary, look, sign_in

PAGE = "/enterprise/web-services"


def key_file(key, folder) -> str:
    path = folder / "client-key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


def run_example(page, key_path: str) -> dict:
    """The page's example, as a technical manager would paste it, with his key file's path."""
    code = page.locator("#token-example").inner_text().replace('"client-key.pem"', repr(key_path))
    printed = {}
    exec(compile(code, "token-example", "exec"), {"print": lambda answer, *_: printed.update(answer)})
    return printed


def as_technician(page, clock) -> None:
    sign_in(page, persona("technician"), clock)
    act_for(page)


def upload(page, name: str, data: bytes) -> None:
    page.locator("#certificate").set_input_files(files=[{"name": name, "mimeType": "application/x-pem-file",
                                                         "buffer": data}])


def test_the_technical_manager_creates_the_account_gets_a_token_and_revokes_the_certificate(
        page, people_runtime, clock, tmp_path):
    clock.set(datetime.now(UTC))  # the example signs with the real time: the registry keeps it too
    key, certificate = make_certificate("rsa", 2048, common_name="Exemplum time clock")
    as_technician(page, clock)
    page.goto(PAGE)
    assert page.locator("h1").inner_text() == "Web services"
    look(page, "web-services-empty")
    page.get_by_label("Name of the account").fill("Time clock")
    page.get_by_label("Check In and Out at Work (REST, cleaning): register, cancel and consult").check()
    upload(page, "clock.pem", pem(certificate))
    page.get_by_role("button", name="Create the account").click()
    assert page.locator(".notice").inner_text().startswith("The web-service account is created.")
    client_id = page.locator("#client-id").inner_text()
    assert client_id.startswith("self_service_expeditor_")
    assert "Exemplum time clock" in page.locator("table").inner_text()  # the certificate's own name
    look(page, "web-services")

    answer = run_example(page, key_file(key, tmp_path))
    assert answer["token_type"] == "Bearer" and answer["scope"] == "scope:check-in-and-out-work-rest:enterprise"

    # Rollover: a second certificate (EC, DER), then the first revoked; the example follows the newest key.
    next_key, next_certificate = make_certificate("ec", curve="secp384r1", common_name="Next year's clock")
    upload(page, "next.der", der(next_certificate))
    page.get_by_role("button", name="Add the certificate").click()
    assert page.locator(".notice").inner_text().startswith("The certificate is added")
    assert "ECKey" in page.locator("#token-example").inner_text()
    page.get_by_role("button", name="Revoke Exemplum time clock").click()
    assert page.locator(".notice").inner_text().startswith("The certificate is revoked")
    refused = run_old_key(page, key, client_id)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert run_example(page, key_file(next_key, tmp_path))["token_type"] == "Bearer"
    with people_runtime.db.reading() as session:
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.channel == "ONLINE")))
    assert {"account.created", "certificate.registered", "certificate.revoked"} <= actions


def run_old_key(page, key, client_id: str) -> httpx.Response:
    """A token request signed with the revoked certificate's key (the example's code, its key swapped)."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    token_url = page.locator("#token-example").inner_text().split('TOKEN_URL = "')[1].split('"')[0]
    now = int(datetime.now(UTC).timestamp())
    private = RSAKey.import_key(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    assertion = jwt.encode({"alg": "RS256"}, {"iss": client_id, "sub": client_id, "aud": token_url,
                                              "jti": "old-key-" + str(now), "iat": now, "exp": now + 60}, private)
    return httpx.post(token_url, data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})


def test_a_refused_certificate_names_the_rule_and_creates_nothing(page, people_runtime, clock):
    clock.set(datetime.now(UTC))
    as_technician(page, clock)
    page.goto(PAGE)
    page.get_by_label("Name of the account").fill("Time clock")
    page.get_by_label("Checkinatwork (SOAP, construction and meat): register, cancel and consult").check()
    _, weak = make_certificate("rsa", 1024, key_usage_digital_signature=False,
                               not_before=datetime.now(UTC) - timedelta(days=400), days=30)
    upload(page, "weak.pem", pem(weak))
    page.get_by_role("button", name="Create the account").click()
    [message] = error_summary(page)
    assert "RSA key of 1024 bits: 2048, 3072 or 4096 required" in message
    assert "key usage without Digital Signature" in message and "expired on" in message
    assert page.get_by_label("Name of the account").input_value() == "Time clock"
    look(page, "web-services-refused")
    upload(page, "key.pem", b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    page.get_by_role("button", name="Create the account").click()
    assert "the file holds a private key" in error_summary(page)[0]
    page.get_by_role("button", name="Create the account").click()  # no file at all
    assert error_summary(page) == ["Choose the certificate's file (PEM or DER)."]
    assert page.locator("#client-id").count() == 0


def test_only_a_technical_manager_manages_the_web_services(page, people_runtime, clock):
    for key in ("registrar", "manager"):
        page.context.clear_cookies()
        clock.advance(timedelta(seconds=31))
        sign_in(page, persona(key), clock)
        act_for(page)
        assert page.goto(PAGE).status == 403
        csrf = page.evaluate("() => document.querySelector('header input[name=csrf]').value")
        refused = page.request.post(PAGE + "/account", multipart={
            "csrf": csrf, "name": "mine", "scope": "scope:checkinatwork-soap",
            "certificate": {"name": "c.pem", "mimeType": "application/x-pem-file",
                            "buffer": pem(make_certificate()[1])}})
        assert refused.status == 403
    look(page, "web-services-refused-role")


def test_a_foreign_enterprise_gets_its_web_service_account_too(page, people_runtime, clock):
    """Beispiel Bau GmbH, a posting employer known by its German VAT number: the operator makes the roofer its
    technical manager, who then creates its account in the browser."""
    clock.set(datetime.now(UTC))
    grant_role(people_runtime, Caller.operator(), PUBLIC_FOREIGN_EMPLOYER, persona("roofer").national_number,
               "technical_manager")
    sign_in(page, persona("roofer"), clock)
    act_for(page, PUBLIC_FOREIGN_EMPLOYER)
    assert "for Beispiel Bau GmbH" in page.locator("header").inner_text()
    page.goto(PAGE)
    page.get_by_label("Name of the account").fill("Baustellenuhr")
    page.get_by_label("Checkinatwork (SOAP, construction and meat): register, cancel and consult").check()
    upload(page, "uhr.pem", pem(make_certificate("ec", curve="secp521r1")[1]))
    page.get_by_role("button", name="Create the account").click()
    assert page.locator("#client-id").inner_text().startswith("self_service_expeditor_")
    assert "ES512" in page.locator("#token-example").inner_text()
