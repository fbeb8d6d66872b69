"""The simulation's personas: one person for every role of the simulation dataset, with a built-in account
(password and one-time codes known to all, as the test users of a simulation environment are), so that anyone
can try every page as a worker, an employer's staff, a contractor, a client, an inspector or the back office.

`presence demo` creates them with the dataset; `presence personas` lists them. Only in the simulation
environment: their passwords are public.

Where the dataset had nobody for a role, the persona brings the facts that make it true: a national-register
entry, the mandate that makes the main access manager of the public example enterprise its legal
representative, and a self-employed roofer's own enterprise subcontracting on the public construction workplace.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime

import pyotp
from sqlalchemy import select

from ..config import Environment
from ..db.models import User
from ..domain.channels import Channel
from ..domain.visibility import Caller, Role
from ..services.access import roles, users
from ..services.access.users import Staff
from ..services.errors import NotAllowed
from ..services.runtime import Runtime
from .models import Contract, Enterprise, Mandate, Person
from .simulation import (
    CLEANERS,
    PUBLIC_BIS,
    PUBLIC_CLEANING_CLIENT,
    PUBLIC_CLEANING_WORKPLACE,
    PUBLIC_CLIENT,
    PUBLIC_ENTERPRISE,
    PUBLIC_INSS,
    PUBLIC_WORKPLACE,
    SCENARIO_BUILDER,
    SINCE_2013,
    _scenario_inss,
    make_enterprise_number,
    make_inss,
)

EMAIL_DOMAIN = "simulation.presence.example"
SELF_EMPLOYED_ENTERPRISE = make_enterprise_number(4_100_017)


@dataclass(frozen=True)
class Persona:
    key: str
    role: str  # what he is, in a few words
    given_name: str
    family_name: str
    national_number: str
    grants: tuple[tuple[str, Role], ...] = ()  # (enterprise, role) granted by the operator
    staff: Staff | None = None
    language: str | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def email(self) -> str:
        return f"{self.key}@{EMAIL_DOMAIN}"

    @property
    def password(self) -> str:
        return f"{self.key}-simulation"

    @property
    def totp_secret(self) -> str:
        """Fixed per persona (base32 of its key), so that an authenticator app set up once keeps working."""
        return base64.b32encode(f"presence:{self.key}".ljust(20, ".")[:20].encode()).decode()

    def code(self, at: datetime) -> str:
        return pyotp.TOTP(self.totp_secret).at(at)


def _persona_inss(k: int) -> str:
    """Personas who are not in the dataset yet: born in 1970, odd serial numbers from 801."""
    return make_inss(date(1970, 1, 1 + k), 801 + 2 * k)


PERSONAS = (
    Persona("cleaner", "cleaning worker (Dimona at Exemplum Construct SA, on cleaning workplace "
            f"{PUBLIC_CLEANING_WORKPLACE})", "", "", _scenario_inss(CLEANERS[0]), language="fr"),
    Persona("builder", f"construction worker (Dimona at Exemplum Construct SA, on workplace {PUBLIC_WORKPLACE})",
            "", "", PUBLIC_INSS, language="nl"),
    Persona("roofer", "self-employed subcontractor (his own enterprise, a subcontractor of Exemplum Construct SA "
            f"on {PUBLIC_WORKPLACE})", "Luc", "Dubois", _persona_inss(1), language="fr"),
    Persona("posted", "posted worker (Limosa declaration of Beispiel Bau GmbH)", "", "", PUBLIC_BIS,
            language="en"),
    Persona("client-of-posted", f"the posted worker's Belgian client (consultant of Immo Exemplum NV, client of "
            f"{PUBLIC_WORKPLACE})", "Sofie", "Claes", _persona_inss(2), ((PUBLIC_CLIENT, Role.CONSULTANT),),
            language="nl"),
    Persona("manager", "main access manager of Exemplum Construct SA (its mandatary)", "Nathalie", "Lambert",
            _persona_inss(3), language="fr"),
    Persona("registrar", "registrar of Exemplum Construct SA", "Koen", "Wouters", _persona_inss(4),
            ((PUBLIC_ENTERPRISE, Role.REGISTRAR),), language="nl"),
    Persona("technician", "technical manager of Exemplum Construct SA", "Julie", "Leroy", _persona_inss(5),
            ((PUBLIC_ENTERPRISE, Role.TECHNICAL_MANAGER),), language="fr"),
    Persona("contractor", "declaring contractor (declarant and registrar of Scenario Hoofdaannemer NV)", "Tom",
            "Mertens", _persona_inss(6), ((SCENARIO_BUILDER, Role.DECLARANT), (SCENARIO_BUILDER, Role.REGISTRAR)),
            language="nl"),
    Persona("client", "client (consultant of Kantoren Exemplum BV, client of cleaning workplace "
            f"{PUBLIC_CLEANING_WORKPLACE})", "An", "Willems", _persona_inss(7),
            ((PUBLIC_CLEANING_CLIENT, Role.CONSULTANT),), language="nl"),
    Persona("inspector", "social inspector", "Pierre", "Dupont", _persona_inss(8), staff=Staff.INSPECTOR,
            language="fr"),
    Persona("backoffice", "back-office agent of the service", "Marie", "Goossens", _persona_inss(9),
            staff=Staff.BACK_OFFICE, language="de"),
)


def persona(key: str) -> Persona:
    return next(p for p in PERSONAS if p.key == key)


def create_personas(runtime: Runtime) -> list[Persona]:
    """Add the personas to a database holding the simulation dataset: their facts, accounts and roles. Those
    that exist already are left as they are. Never in production: their passwords are public."""
    if runtime.environment is not Environment.SIMULATION:
        raise NotAllowed("personas exist only in the simulation environment (their passwords are public)")
    stamp = runtime.clock.now()
    operator = Caller.operator()
    with runtime.db.writing() as session:
        known = set(session.scalars(select(Person.inss).where(
            Person.inss.in_([p.national_number for p in PERSONAS]))))
        for p in PERSONAS:
            if p.national_number not in known and p.given_name:
                session.add(Person(inss=p.national_number, given_name=p.given_name, family_name=p.family_name,
                                   birth_date=None, updated_at=stamp))
        if session.get(Enterprise, SELF_EMPLOYED_ENTERPRISE) is None:
            roofer = persona("roofer")
            session.add(Enterprise(number=SELF_EMPLOYED_ENTERPRISE, name=f"{roofer.name} Dakwerken",
                                   natural_person=True, country="BE", starts_on=date(2015, 4, 1), ends_on=None,
                                   updated_at=stamp))
            session.add(Mandate(enterprise=SELF_EMPLOYED_ENTERPRISE, inss=roofer.national_number, role="founder",
                                starts_on=date(2015, 4, 1), ends_on=None))
            session.add(Contract(declaration_number=PUBLIC_WORKPLACE, enterprise=SELF_EMPLOYED_ENTERPRISE,
                                 parent=PUBLIC_ENTERPRISE, level=1, starts_on=SINCE_2013, ends_on=None,
                                 amount_eur=60_000.0))
            session.add(Mandate(enterprise=PUBLIC_ENTERPRISE, inss=persona("manager").national_number,
                                role="mandatary", starts_on=date(2010, 1, 1), ends_on=None))
        names = dict(session.execute(select(Person.inss, Person.given_name + " " + Person.family_name)
                                     .where(Person.inss.in_([p.national_number for p in PERSONAS]))).all())
        existing = set(session.scalars(select(User.national_number)))
    created = []
    for p in PERSONAS:
        if p.national_number in existing:
            continue
        users.create_user(runtime, operator, p.national_number, names.get(p.national_number, p.name), p.email,
                          password=p.password, totp_secret=p.totp_secret, language=p.language, staff=p.staff,
                          channel=Channel.OPERATOR)
        for enterprise, role in p.grants:
            roles.grant_role(runtime, operator, enterprise, p.national_number, role, channel=Channel.OPERATOR)
        created.append(p)
    return created


def display_name(runtime: Runtime, p: Persona) -> str:
    with runtime.db.reading() as session:
        return session.scalar(select(User.name).where(User.national_number == p.national_number)) or p.name
