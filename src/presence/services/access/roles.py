"""Who may act for an enterprise in the web pages, with which roles (`domain.visibility.Role`).

The main access manager is the enterprise's legal representative: a founder or mandatary of it in the enterprise
register (`sources.models.Mandate`) on that day; nobody grants that role. He designates access managers, and
they grant people, by national number, the other roles, with an optional last day (`db.models.RoleGrant`). A
revocation takes effect on the person's next request: the caller is built from the grants on every request
(`caller_of`). Every grant and revocation is an audit event, shown on the access management page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...clock import belgian_today
from ...db.models import RoleGrant, User
from ...domain.channels import Channel
from ...domain.identifiers import InvalidIdentifier, parse_any_enterprise
from ...domain.visibility import Caller, Role, may_grant, may_manage_access
from ...i18n import gettext
from ...sources.models import Enterprise, Mandate
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..runtime import Runtime
from .sessions import SignedIn
from .users import Staff, parse_national_number


@dataclass(frozen=True)
class Acting:
    """An enterprise a person may act for, and his roles there today."""

    enterprise: str
    name: str
    roles: frozenset[Role]


def _active(today: date):
    return (RoleGrant.revoked_at.is_(None), or_(RoleGrant.ends_on.is_(None), RoleGrant.ends_on >= today))


def _roles_by_enterprise(session: Session, national_number: str, today: date,
                         enterprise: str | None = None) -> dict[str, set[Role]]:
    roles: dict[str, set[Role]] = defaultdict(set)
    grants = select(RoleGrant.enterprise, RoleGrant.role).where(RoleGrant.national_number == national_number,
                                                                *_active(today))
    mandates = select(Mandate.enterprise).where(Mandate.inss == national_number, Mandate.starts_on <= today,
                                                or_(Mandate.ends_on.is_(None), Mandate.ends_on >= today))
    if enterprise is not None:
        grants, mandates = grants.where(RoleGrant.enterprise == enterprise), mandates.where(
            Mandate.enterprise == enterprise)
    for number, role in session.execute(grants):
        roles[number].add(Role(role))
    for (number,) in session.execute(mandates):
        roles[number].add(Role.MAIN_ACCESS_MANAGER)
    return roles


def enterprises_of(runtime: Runtime, national_number: str) -> list[Acting]:
    """The enterprises a person may act for today, by name."""
    today = belgian_today(runtime.clock)
    with runtime.db.reading() as session:
        roles = _roles_by_enterprise(session, national_number, today)
        names = dict(session.execute(select(Enterprise.number, Enterprise.name)
                                     .where(Enterprise.number.in_(list(roles)))).all()) if roles else {}
    return sorted((Acting(number, names.get(number, number), frozenset(held)) for number, held in roles.items()),
                  key=lambda acting: acting.name.lower())


def caller_of(runtime: Runtime, signed_in: SignedIn) -> Caller:
    """The caller a session acts as, by today's roles (`caller_acting`)."""
    acting = enterprises_of(runtime, signed_in.national_number) if signed_in.enterprise else []
    return caller_acting(signed_in, acting)


def caller_acting(signed_in: SignedIn, acting: list[Acting]) -> Caller:
    """The caller a session acts as, given the enterprises the person may act for today (`enterprises_of`):
    staff as inspector or back office; acting for an enterprise with the roles he holds there now (none left:
    as himself); else as himself."""
    sender = f"user:{signed_in.user_id}"
    if signed_in.staff is Staff.INSPECTOR:
        return Caller.inspector(sender_id=sender)
    if signed_in.staff is Staff.BACK_OFFICE:
        return Caller.back_office(sender_id=sender)
    roles = next((a.roles for a in acting if a.enterprise == signed_in.enterprise), None)
    if signed_in.enterprise and roles:
        return Caller.enterprise_account(signed_in.enterprise, roles, sender_id=sender, user_type="PERSON",
                                         inss=signed_in.national_number)
    return Caller.person(signed_in.national_number, sender_id=sender)


def parse_enterprise(value: str) -> str:
    try:
        return parse_any_enterprise(value)
    except InvalidIdentifier as error:
        raise InvalidRequest(gettext("Enterprise number: %(reason)s.", reason=gettext(error.reason)),
                             field="enterprise") from None


@dataclass(frozen=True)
class Grant:
    id: int
    national_number: str
    person_name: str | None  # the account's name, when the person has one
    role: Role
    ends_on: date | None
    granted_at: datetime
    revoked_at: datetime | None


def grant_role(runtime: Runtime, caller: Caller, enterprise: str, national_number: str, role: Role | str,
               ends_on: date | None = None, *, channel: str = Channel.ONLINE) -> Grant:
    """Grant `role` for `enterprise` to the person of `national_number`, until `ends_on` (included; None: until
    revoked). Granting a role he holds already changes its end."""
    enterprise = parse_enterprise(enterprise)
    national_number = parse_national_number(national_number)
    try:
        role = Role(role)
    except ValueError:
        raise InvalidRequest(gettext("Choose a role."), field="role") from None
    if not may_grant(caller, enterprise, role):
        raise NotAllowed(gettext("You may not grant this role for this enterprise."))
    now = runtime.clock.now()
    if ends_on is not None and ends_on < belgian_today(runtime.clock):
        raise InvalidRequest(gettext("The last day cannot be in the past."), field="ends_on")
    with runtime.db.writing() as session:
        grant = session.scalar(select(RoleGrant).where(RoleGrant.enterprise == enterprise,
                                                       RoleGrant.national_number == national_number,
                                                       RoleGrant.role == str(role),
                                                       *_active(belgian_today(runtime.clock))))
        if grant is None:
            grant = RoleGrant(enterprise=enterprise, national_number=national_number, role=str(role),
                              ends_on=ends_on, granted_at=now, granted_by=_user_id(caller), revoked_at=None)
            session.add(grant)
        else:  # granted again: a new end
            grant.ends_on, grant.granted_at, grant.granted_by = ends_on, now, _user_id(caller)
        session.flush()
        audit.record(session, caller, channel, "role.granted", "role_grant", [grant.id], now,
                     {"enterprise": enterprise, "role": str(role),
                      "ends_on": ends_on.isoformat() if ends_on else None})
        return _grant(grant, _names(session, {grant.national_number}))


def revoke_grant(runtime: Runtime, caller: Caller, enterprise: str, grant_id: int, *,
                 channel: str = Channel.ONLINE) -> Grant:
    enterprise = parse_enterprise(enterprise)
    if not may_manage_access(caller, enterprise):
        raise NotAllowed(gettext("You do not manage the access of this enterprise."))
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        grant = session.get(RoleGrant, grant_id)
        if grant is None or grant.enterprise != enterprise or grant.revoked_at is not None:
            raise NotFound(gettext("This role was already revoked."))
        if not may_grant(caller, enterprise, Role(grant.role)):
            raise NotAllowed(gettext("You may not revoke this role."))
        grant.revoked_at, grant.revoked_by = now, _user_id(caller)
        audit.record(session, caller, channel, "role.revoked", "role_grant", [grant.id], now,
                     {"enterprise": enterprise, "role": grant.role})
        return _grant(grant, _names(session, {grant.national_number}))


def grants_of(runtime: Runtime, caller: Caller, enterprise: str) -> list[Grant]:
    """The roles in force for an enterprise, by person's name then role."""
    enterprise = parse_enterprise(enterprise)
    if not may_manage_access(caller, enterprise):
        raise NotAllowed(gettext("You do not manage the access of this enterprise."))
    with runtime.db.reading() as session:
        rows = session.scalars(select(RoleGrant).where(RoleGrant.enterprise == enterprise,
                                                       *_active(belgian_today(runtime.clock)))
                               .order_by(RoleGrant.id)).all()
        names = _names(session, {row.national_number for row in rows})
        grants = [_grant(row, names) for row in rows]
    return sorted(grants, key=lambda g: ((g.person_name or "~").lower(), g.national_number, g.role))


@dataclass(frozen=True)
class AccessEvent:
    occurred_at: datetime
    action: str  # granted | revoked
    role: Role
    national_number: str
    person_name: str | None
    actor_name: str | None  # None: the registry's operator


def access_events(runtime: Runtime, caller: Caller, enterprise: str, limit: int = 50) -> list[AccessEvent]:
    """The latest grants and revocations for an enterprise, newest first (the page's history; each is also an
    audit event)."""
    enterprise = parse_enterprise(enterprise)
    if not may_manage_access(caller, enterprise):
        raise NotAllowed(gettext("You do not manage the access of this enterprise."))
    with runtime.db.reading() as session:
        rows = session.scalars(select(RoleGrant).where(RoleGrant.enterprise == enterprise)
                               .order_by(RoleGrant.id.desc()).limit(limit)).all()
        people = {row.national_number for row in rows}
        actors = {row.granted_by for row in rows} | {row.revoked_by for row in rows}
        names = _names(session, people)
        actor_names = dict(session.execute(select(User.id, User.name).where(User.id.in_(actors - {None})))
                           .all()) if actors - {None} else {}
    events = []
    for row in rows:
        events.append(AccessEvent(row.granted_at, "granted", Role(row.role), row.national_number,
                                  names.get(row.national_number), actor_names.get(row.granted_by)))
        if row.revoked_at:
            events.append(AccessEvent(row.revoked_at, "revoked", Role(row.role), row.national_number,
                                      names.get(row.national_number), actor_names.get(row.revoked_by)))
    return sorted(events, key=lambda event: event.occurred_at, reverse=True)[:limit]


def _user_id(caller: Caller) -> int | None:
    return int(caller.sender_id[5:]) if (caller.sender_id or "").startswith("user:") else None


def _names(session: Session, national_numbers: set[str]) -> dict[str, str]:
    """The names of the people with an account among these national numbers."""
    if not national_numbers:
        return {}
    return dict(session.execute(select(User.national_number, User.name)
                                .where(User.national_number.in_(national_numbers))).all())


def _grant(row: RoleGrant, names: dict[str, str]) -> Grant:
    return Grant(row.id, row.national_number, names.get(row.national_number), Role(row.role), row.ends_on,
                 row.granted_at, row.revoked_at)
