"""Signing in through an OpenID Connect provider: a real provider (oidc-provider-mock, a Flask app on a
loopback port, offline) vouches for a person by his national-number claim, as the federal authentication
service does with `egovNRN`; the registry maps it to the person's account (made at his first sign-in)."""

from __future__ import annotations

import pytest
from oidc_provider_mock import User, run_server_in_thread
from sqlalchemy import select

from presence.config import get_settings
from presence.db.models import AuditEvent
from presence.db.models import User as Account
from presence.sources.personas import persona

from .browser import error_summary, look

NEW_PERSON = "85073003328"


@pytest.fixture
def provider(monkeypatch):
    people = [User(sub="registrar-at-idp", claims={"egovNRN": persona("registrar").national_number,
                                                   "givenName": "Koen", "surname": "Wouters",
                                                   "mail": "koen@example.be", "prefLanguage": "nl"}),
              User(sub="newcomer-at-idp", claims={"egovNRN": NEW_PERSON, "givenName": "Ann", "surname": "Smet",
                                                  "mail": "ann@example.be", "prefLanguage": "fr"}),
              User(sub="no-number-at-idp", claims={"givenName": "Nobody"})]
    with run_server_in_thread(user_claims=people) as server:
        issuer = f"http://localhost:{server.server_port}"
        monkeypatch.setenv("PRESENCE_OIDC_ISSUER", issuer)
        monkeypatch.setenv("PRESENCE_OIDC_CLIENT_ID", "presence-tests")
        monkeypatch.setenv("PRESENCE_OIDC_CLIENT_SECRET", "a secret of the tests")
        monkeypatch.setenv("PRESENCE_OIDC_DISPLAY_NAME", "the test provider")
        get_settings.cache_clear()
        yield issuer
    get_settings.cache_clear()


def sign_in_at_provider(page, sub: str) -> None:
    page.goto("/sign-in")
    page.get_by_role("link", name="Sign in with the test provider").click()
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_the_national_number_claim_signs_the_person_in(provider, page, people_runtime):
    page.goto("/language/en?next=/")
    page.goto("/sign-in")
    look(page, "sign-in-openid")
    sign_in_at_provider(page, "registrar-at-idp")
    assert page.url.endswith("/")
    assert page.locator("h1").inner_text() == "Welcome, Koen Wouters"  # the persona's account, by his number
    with people_runtime.db.reading() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.signed_in"))
    assert event.details == {"method": "openid-connect"}


def test_a_first_sign_in_makes_the_account_from_the_claims(provider, page, people_runtime):
    page.goto("/language/en?next=/")
    sign_in_at_provider(page, "newcomer-at-idp")
    assert page.locator("h1").inner_text() == "Welcome, Ann Smet"
    with people_runtime.db.reading() as session:
        account = session.scalar(select(Account).where(Account.national_number == NEW_PERSON))
    assert (account.name, account.email, account.password_hash, account.totp_secret) == (
        "Ann Smet", "ann@example.be", None, None)
    page.goto("/account")
    assert page.locator("h1").inner_text() == "Your account"  # no one-time codes to set up: the provider did


def test_a_provider_without_the_national_number_or_a_forged_callback_signs_nobody_in(provider, page,
                                                                                   people_runtime):
    page.goto("/language/en?next=/")
    sign_in_at_provider(page, "no-number-at-idp")
    assert error_summary(page) == ["The identity provider did not give your national number: this service needs "
                                   "it to know who you are."]
    page.goto("/sign-in/openid/callback?code=stolen&state=guessed")
    assert error_summary(page) == ["The sign-in with the identity provider did not succeed. Try again."]
    with people_runtime.db.reading() as session:
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.signed_in")) is None
