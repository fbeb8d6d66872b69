"""People's built-in accounts: creation, the two factors of a sign-in, recovery codes, credentials changes; each
an audit event (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from presence.db.models import AuditEvent, User
from presence.domain.visibility import Caller
from presence.services.access import users
from presence.services.errors import InvalidRequest, NotAllowed
from presence.sources.personas import persona

OPERATOR = Caller.operator()


def actions(runtime) -> list[tuple[str, dict]]:
    with runtime.db.reading() as session:
        return [(e.action, e.details) for e in session.scalars(select(AuditEvent).where(
            AuditEvent.subject_type == "user").order_by(AuditEvent.id))]


def test_a_sign_in_needs_the_password_and_a_code_never_used_before(people_runtime, clock):
    manager = persona("manager")
    code = manager.code(clock.now())
    signed_in = users.authenticate(people_runtime, manager.national_number, manager.password, code)
    assert signed_in.method is users.SignedInWith.PASSWORD_AND_CODE and signed_in.user.name == "Nathalie Lambert"
    with pytest.raises(users.SignInFailed):  # the same code again: a replay
        users.authenticate(people_runtime, manager.email, manager.password, code)
    with pytest.raises(users.SignInFailed):
        users.authenticate(people_runtime, manager.email, "wrong password", manager.code(clock.now()))
    clock.advance(timedelta(seconds=30))
    assert users.authenticate(people_runtime, manager.email.upper(), manager.password,
                              manager.code(clock.now())).user.id == signed_in.user.id
    with pytest.raises(users.SignInFailed) as unknown:
        users.authenticate(people_runtime, "nobody@example.be", "whatever", "123456")
    assert str(unknown.value) == str(users.SignInFailed(
        "The national number or e-mail, the password or the one-time code is wrong. Check them and try again."))
    recorded = [(a, d.get("reason")) for a, d in actions(people_runtime) if a.startswith("user.sign")]
    assert recorded == [("user.signed_in", None), ("user.sign_in_failed", "one-time code"),
                        ("user.sign_in_failed", "password"), ("user.signed_in", None)]


def test_recovery_codes_stand_in_for_the_app_once_each(empty_runtime, clock):
    created = users.create_user(empty_runtime, OPERATOR, "85073003328", "Ann Smet", "ann@example.be",
                                password="a long enough password")
    first = users.authenticate(empty_runtime, "ann@example.be", "a long enough password", "")
    assert first.method is users.SignedInWith.ENROLMENT  # no app yet: the password alone, to enrol one
    secret = pyotp.random_base32()
    with pytest.raises(InvalidRequest):
        users.confirm_one_time_codes(empty_runtime, created.user.id, secret, "000000"
                                     if pyotp.TOTP(secret).at(clock.now()) != "000000" else "111111")
    codes = users.confirm_one_time_codes(empty_runtime, created.user.id, secret, pyotp.TOTP(secret).at(clock.now()))
    assert len(codes) == 10
    with pytest.raises(users.SignInFailed):  # now the password alone is not enough
        users.authenticate(empty_runtime, "ann@example.be", "a long enough password", "")
    assert users.authenticate(empty_runtime, "85073003328", "a long enough password",
                              codes[0].upper()).method is users.SignedInWith.RECOVERY_CODE
    with pytest.raises(users.SignInFailed):
        users.authenticate(empty_runtime, "85073003328", "a long enough password", codes[0])
    assert users.user_by_id(empty_runtime, created.user.id).recovery_codes_left == 9


def test_accounts_are_created_by_the_operator_with_checked_identifiers(empty_runtime):
    with pytest.raises(NotAllowed):
        users.create_user(empty_runtime, Caller.person("85073003328"), "85073003328", "Ann", "ann@example.be")
    with pytest.raises(InvalidRequest) as wrong:
        users.create_user(empty_runtime, OPERATOR, "85073003329", "Ann", "ann@example.be")
    assert str(wrong.value) == "National number: wrong check digits." and "85073003329" not in str(wrong.value)
    with pytest.raises(InvalidRequest, match="e-mail address"):
        users.create_user(empty_runtime, OPERATOR, "85073003328", "Ann", "not an address")
    with pytest.raises(InvalidRequest, match="at least 12 characters"):
        users.create_user(empty_runtime, OPERATOR, "85073003328", "Ann", "ann@example.be", password="short")
    created = users.create_user(empty_runtime, OPERATOR, "85.07.30-033.28", "  Ann   Smet ", "Ann@Example.BE")
    assert (created.user.national_number, created.user.name, created.user.email) == (
        "85073003328", "Ann Smet", "ann@example.be")
    assert created.enrolment_token and users.enrolment_user(empty_runtime, created.enrolment_token).id == \
        created.user.id
    with pytest.raises(InvalidRequest, match="already an account"):
        users.create_user(empty_runtime, OPERATOR, "85073003328", "Ann", "other@example.be")
    with empty_runtime.db.reading() as session:
        stored = session.scalar(select(User))
    assert stored.enrolment_token_hash != created.enrolment_token  # only its hash is kept


def test_an_enrolment_link_works_once_and_for_seven_days(empty_runtime, clock):
    created = users.create_user(empty_runtime, OPERATOR, "85073003328", "Ann", "ann@example.be")
    clock.advance(timedelta(days=7, seconds=1))
    assert users.enrolment_user(empty_runtime, created.enrolment_token) is None
    other = users.create_user(empty_runtime, OPERATOR, "78012340961", "Jan", "jan@example.be")
    users.set_first_password(empty_runtime, other.enrolment_token, "correct horse battery")
    assert users.enrolment_user(empty_runtime, other.enrolment_token) is None
    assert users.authenticate(empty_runtime, "jan@example.be", "correct horse battery", "").method is \
        users.SignedInWith.ENROLMENT


def test_changing_the_password_needs_the_current_one(people_runtime, clock):
    manager = persona("manager")
    user = users.authenticate(people_runtime, manager.email, manager.password, manager.code(clock.now())).user
    with pytest.raises(InvalidRequest, match="not your current password"):
        users.change_password(people_runtime, user.id, "guess", "a brand new password")
    users.change_password(people_runtime, user.id, manager.password, "a brand new password")
    clock.advance(timedelta(seconds=30))
    assert users.authenticate(people_runtime, manager.email, "a brand new password", manager.code(clock.now()))
    assert ("user.password_changed", {}) in actions(people_runtime)
