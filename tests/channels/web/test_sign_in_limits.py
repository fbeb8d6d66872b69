"""Failed sign-ins are slowed down without locking the owner out: someone guessing a persona's password from
elsewhere is held back after 10 failures, while the owner, from the browser he signed in with before, still
signs in (over real HTTP, as two browsers would: two cookie jars)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from presence.db.models import AuditEvent
from presence.sources.personas import persona


def sign_in_form(client: httpx.Client) -> str:
    page = client.get("/sign-in")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def attempt(client: httpx.Client, identifier: str, password: str, code: str) -> httpx.Response:
    return client.post("/sign-in", data={"csrf": sign_in_form(client), "identifier": identifier,
                                         "password": password, "code": code, "next": "/"})


def test_a_password_guesser_is_held_back_but_the_owner_still_signs_in(site, people_runtime, clock):
    manager = persona("manager")
    with httpx.Client(base_url=site) as owner, httpx.Client(base_url=site) as guesser:
        signed_in = attempt(owner, manager.email, manager.password, manager.code(clock.now()))
        assert signed_in.status_code == 303  # to the start page; the browser now holds a device cookie
        assert any(name.endswith("presence-device") for name in owner.cookies)

        for guess in range(10):
            refused = attempt(guesser, manager.email, f"guess number {guess}", "000000")
            assert refused.status_code == 400 and "is wrong" in refused.text
        held = attempt(guesser, manager.email, manager.password, manager.code(clock.now()))
        assert held.status_code == 429 and "Too many failed sign-ins" in held.text  # even with the right password

        clock.advance(timedelta(seconds=30))
        owner.cookies.delete("presence-session")
        again = attempt(owner, manager.email, manager.password, manager.code(clock.now()))
        assert again.status_code == 303 and again.headers["location"] == "/"

    with people_runtime.db.reading() as session:
        failures = session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "user.sign_in_failed"))
    assert failures == 10  # the held-back attempt was not even tried
