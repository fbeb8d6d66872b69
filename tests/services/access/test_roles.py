"""Who acts for an enterprise: the main access manager by the enterprise register, the roles his access managers
grant, their ends and revocations (both engines)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from presence.db.models import AuditEvent
from presence.domain.visibility import CallerKind, Role
from presence.services.access import roles, sessions, users
from presence.services.errors import InvalidRequest, NotAllowed, NotFound
from presence.sources.models import Mandate
from presence.sources.personas import persona
from presence.sources.simulation import PUBLIC_CLIENT, PUBLIC_ENTERPRISE


def acting_caller(runtime, clock, key: str, enterprise: str = PUBLIC_ENTERPRISE):
    """The caller a persona's session acts as once he chose `enterprise`."""
    who = persona(key)
    user = users.authenticate(runtime, who.email, who.password, who.code(clock.now())).user
    clock.advance(timedelta(seconds=30))
    token = sessions.open_session(runtime, user, users.SignedInWith.PASSWORD_AND_CODE)
    sessions.act_for(runtime, sessions.session_of(runtime, token), enterprise)
    return roles.caller_of(runtime, sessions.session_of(runtime, token)), token


def test_the_legal_representative_is_main_access_manager_while_his_mandate_runs(people_runtime, clock):
    manager = persona("manager")
    [acting] = roles.enterprises_of(people_runtime, manager.national_number)
    assert (acting.enterprise, acting.name, acting.roles) == (PUBLIC_ENTERPRISE, "Exemplum Construct SA",
                                                              frozenset({Role.MAIN_ACCESS_MANAGER}))
    with people_runtime.db.writing() as session:
        mandate = session.scalar(select(Mandate).where(Mandate.inss == manager.national_number))
        mandate.ends_on = date(2026, 3, 2)  # the day before the tests' today
    assert roles.enterprises_of(people_runtime, manager.national_number) == []


def test_access_managers_grant_and_revoke_and_the_roles_follow_at_once(people_runtime, clock):
    main, main_token = acting_caller(people_runtime, clock, "manager")
    assert main.kind is CallerKind.ENTERPRISE and main.roles == {Role.MAIN_ACCESS_MANAGER}
    newcomer = persona("client-of-posted")
    grant = roles.grant_role(people_runtime, main, PUBLIC_ENTERPRISE, newcomer.national_number, "access_manager")
    access_manager, token = acting_caller(people_runtime, clock, "client-of-posted")
    assert access_manager.roles == {Role.ACCESS_MANAGER}
    # An access manager grants the other roles, never access manager itself.
    with pytest.raises(NotAllowed):
        roles.grant_role(people_runtime, access_manager, PUBLIC_ENTERPRISE, persona("builder").national_number,
                         Role.ACCESS_MANAGER)
    consultant = roles.grant_role(people_runtime, access_manager, PUBLIC_ENTERPRISE,
                                  persona("builder").national_number, Role.CONSULTANT, date(2026, 3, 10))
    assert consultant.ends_on == date(2026, 3, 10)
    with pytest.raises(InvalidRequest, match="past"):
        roles.grant_role(people_runtime, access_manager, PUBLIC_ENTERPRISE, persona("builder").national_number,
                         Role.CONSULTANT, date(2026, 3, 2))
    with pytest.raises(NotAllowed):  # nobody grants the main access manager's role
        roles.grant_role(people_runtime, main, PUBLIC_ENTERPRISE, newcomer.national_number,
                         Role.MAIN_ACCESS_MANAGER)
    with pytest.raises(NotAllowed):  # nor anything for another enterprise
        roles.grant_role(people_runtime, main, PUBLIC_CLIENT, newcomer.national_number, Role.CONSULTANT)

    clock.advance(timedelta(minutes=1))
    roles.revoke_grant(people_runtime, main, PUBLIC_ENTERPRISE, grant.id)
    assert roles.caller_of(people_runtime, sessions.session_of(people_runtime, token)).kind is CallerKind.PERSON
    with pytest.raises(NotFound):
        roles.revoke_grant(people_runtime, main, PUBLIC_ENTERPRISE, grant.id)
    events = roles.access_events(people_runtime, main, PUBLIC_ENTERPRISE)
    assert [(e.action, e.role, e.actor_name) for e in events[:3]] == [
        ("revoked", Role.ACCESS_MANAGER, "Nathalie Lambert"), ("granted", Role.CONSULTANT, "Sofie Claes"),
        ("granted", Role.ACCESS_MANAGER, "Nathalie Lambert")]
    with people_runtime.db.reading() as session:
        audited = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "role_grant",
                                                                       AuditEvent.actor_id.like("user:%"))))
    assert audited == ["role.granted", "role.granted", "role.revoked"]


def test_a_grant_ends_after_its_last_day(people_runtime, clock):
    main, _ = acting_caller(people_runtime, clock, "manager")
    builder = persona("builder")
    roles.grant_role(people_runtime, main, PUBLIC_ENTERPRISE, builder.national_number, Role.REGISTRAR,
                     date(2026, 3, 3))
    assert [a.roles for a in roles.enterprises_of(people_runtime, builder.national_number)] == [{Role.REGISTRAR}]
    clock.advance(timedelta(days=1))
    assert roles.enterprises_of(people_runtime, builder.national_number) == []


def test_who_is_no_access_manager_neither_sees_nor_changes_the_grants(people_runtime, clock):
    registrar, _ = acting_caller(people_runtime, clock, "registrar")
    assert registrar.roles == {Role.REGISTRAR}
    for attempt in (lambda: roles.grants_of(people_runtime, registrar, PUBLIC_ENTERPRISE),
                    lambda: roles.access_events(people_runtime, registrar, PUBLIC_ENTERPRISE),
                    lambda: roles.grant_role(people_runtime, registrar, PUBLIC_ENTERPRISE,
                                             persona("builder").national_number, Role.CONSULTANT),
                    lambda: roles.revoke_grant(people_runtime, registrar, PUBLIC_ENTERPRISE, 1)):
        with pytest.raises(NotAllowed):
            attempt()
