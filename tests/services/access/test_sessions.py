"""People's web sessions: they end when idle, at their absolute end, when signed out, everywhere at once; the
purge forgets them (both engines)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from presence.db.models import UserSession
from presence.domain.visibility import Caller
from presence.services.access import sessions, users
from presence.services.retention import purge_expired
from presence.sources.personas import persona


def open_for(runtime, clock, key: str) -> str:
    who = persona(key)
    user = users.authenticate(runtime, who.email, who.password, who.code(clock.now())).user
    clock.advance(timedelta(seconds=30))
    return sessions.open_session(runtime, user, users.SignedInWith.PASSWORD_AND_CODE)


def test_a_session_ends_after_30_idle_minutes_but_lives_while_used(people_runtime, clock):
    token = open_for(people_runtime, clock, "registrar")
    for _ in range(5):  # used every 20 minutes for 100 minutes
        clock.advance(timedelta(minutes=20))
        assert sessions.session_of(people_runtime, token) is not None
    clock.advance(timedelta(minutes=30))
    assert sessions.session_of(people_runtime, token) is None


def test_a_session_ends_after_12_hours_whatever_happens(people_runtime, clock):
    token = open_for(people_runtime, clock, "registrar")
    for _ in range(12 * 3):
        clock.advance(timedelta(minutes=20))
        sessions.session_of(people_runtime, token)
    assert sessions.session_of(people_runtime, token) is None


def test_signing_out_everywhere_ends_every_session_of_the_person_only(people_runtime, clock):
    first, second = open_for(people_runtime, clock, "manager"), open_for(people_runtime, clock, "manager")
    other = open_for(people_runtime, clock, "registrar")
    signed_in = sessions.session_of(people_runtime, first)
    assert sessions.end_every_session(people_runtime, signed_in.user_id) == 2
    assert sessions.session_of(people_runtime, first) is None and sessions.session_of(people_runtime, second) is None
    assert sessions.session_of(people_runtime, other) is not None
    assert sessions.session_of(people_runtime, "a token nobody was given") is None


def test_the_purge_forgets_ended_and_expired_sessions(people_runtime, clock):
    expired, ended = open_for(people_runtime, clock, "registrar"), open_for(people_runtime, clock, "manager")
    sessions.end_session(people_runtime, sessions.session_of(people_runtime, ended))
    clock.advance(timedelta(hours=6))
    open_for(people_runtime, clock, "builder")  # kept: within its 12 hours
    clock.advance(timedelta(hours=6, minutes=1))
    assert sessions.session_of(people_runtime, expired) is None
    report = purge_expired(people_runtime, Caller.operator())
    assert report.user_sessions == 2
    with people_runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_a_worker_acting_only_for_himself_stays_signed_in_on_his_phone_for_the_sessions_life(people_runtime, clock):
    """A cleaner checks in, and checks out hours later without signing in again; someone with a role does not."""
    worker, registrar = open_for(people_runtime, clock, "cleaner"), open_for(people_runtime, clock, "registrar")
    clock.advance(timedelta(hours=4))
    assert sessions.session_of(people_runtime, worker) is not None
    assert sessions.session_of(people_runtime, registrar) is None
    clock.advance(timedelta(hours=9))  # past the 12 hours
    assert sessions.session_of(people_runtime, worker) is None
