"""Who acts, and what each caller may see, register and cancel (README, "The official contracts").

A caller is a person acting for himself, an enterprise (a web-service account, or a person acting for it
with roles), an inspector, the service's back office, or the registry's operator at the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from .checks import Period, any_covers


class CallerKind(StrEnum):
    PERSON = "person"  # a worker (employee, self-employed, temp, trainee) acting for himself
    ENTERPRISE = "enterprise"
    INSPECTOR = "inspector"  # social inspection: reads everything, changes nothing
    BACK_OFFICE = "back_office"  # the service's own staff: corrections
    OPERATOR = "operator"  # command line of the registry's operator
    # A posted worker who scanned his own Limosa-1 document, without signing in: registers himself for today,
    # consults nothing (the official service allows it).
    POSTED_WORKER = "posted_worker"


class Role(StrEnum):
    """Roles a person holds for an enterprise, granted by its access managers."""

    MAIN_ACCESS_MANAGER = "main_access_manager"
    ACCESS_MANAGER = "access_manager"
    TECHNICAL_MANAGER = "technical_manager"
    REGISTRAR = "registrar"  # registers (and cancels) for the enterprise, its staff, its subcontractors'
    CONSULTANT = "consultant"  # consults only
    DECLARANT = "declarant"  # makes and changes the enterprise's work declarations, declares its subcontractors


# Access managers and technical managers manage who may do what and the channels; they see registrations only
# when also given a consulting role. The main access manager, the enterprise's legal representative, sees them.
CONSULTING_ROLES = frozenset({Role.MAIN_ACCESS_MANAGER, Role.REGISTRAR, Role.CONSULTANT})


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    enterprise: str | None = None  # the enterprise acted for (KBO/BCE number or foreign VAT)
    inss: str | None = None  # the person acting, when a person
    roles: frozenset[Role] = field(default_factory=frozenset)
    sender_id: str | None = None  # the account or user, as shown in `Sender/SenderId`
    user_type: str | None = None  # as shown in `Sender/SenderUserType`
    limosa_id: str | None = None  # a posted worker's own Limosa number (`posted_worker`)

    @classmethod
    def person(cls, inss: str, sender_id: str | None = None) -> Caller:
        return cls(CallerKind.PERSON, inss=inss, sender_id=sender_id, user_type="PERSON")

    @classmethod
    def enterprise_account(cls, enterprise: str, roles=(Role.REGISTRAR,), sender_id: str | None = None,
                           user_type: str = "WEBSERVICE", inss: str | None = None) -> Caller:
        return cls(CallerKind.ENTERPRISE, enterprise=enterprise, inss=inss, roles=frozenset(roles),
                   sender_id=sender_id, user_type=user_type)

    @classmethod
    def inspector(cls, sender_id: str | None = None) -> Caller:
        return cls(CallerKind.INSPECTOR, sender_id=sender_id, user_type="INSPECTOR")

    @classmethod
    def back_office(cls, sender_id: str | None = None) -> Caller:
        return cls(CallerKind.BACK_OFFICE, sender_id=sender_id, user_type="BACKOFFICE")

    @classmethod
    def posted_worker(cls, limosa_id: str) -> Caller:
        return cls(CallerKind.POSTED_WORKER, user_type="LIMOSA_QR", limosa_id=limosa_id)

    @classmethod
    def operator(cls) -> Caller:
        return cls(CallerKind.OPERATOR, sender_id="operator", user_type="OPERATOR")


@dataclass(frozen=True)
class Visibility:
    """What a caller may consult. The database layer turns it into a filter.

    `everything`: all registrations. `person`: the registrations of that INSS, except those made with a
    Limosa number (a posted worker cannot consult those himself). `enterprise`: the registrations where the
    enterprise is the employer (for a Limosa registration: the employer of the Limosa declaration), the
    sender, the declaring contractor of the workplace or its client.
    """

    everything: bool = False
    person: str | None = None
    enterprise: str | None = None


def consultation_visibility(caller: Caller) -> Visibility | None:
    """None: the caller may consult nothing."""
    if caller.kind in (CallerKind.INSPECTOR, CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        return Visibility(everything=True)
    if caller.kind is CallerKind.PERSON and caller.inss:
        return Visibility(person=caller.inss)
    if caller.kind is CallerKind.ENTERPRISE and caller.enterprise and caller.roles & CONSULTING_ROLES:
        return Visibility(enterprise=caller.enterprise)
    return None


def workplace_visibility(caller: Caller) -> Visibility | None:
    """Which declared workplaces a caller may look up (e.g. near a point): inspectors and the service's staff
    all; an enterprise those whose chain it is in (client, declaring contractor or a subcontractor), whatever
    its roles, since its time clocks need them to register. None: none (a person uses the site's poster)."""
    if caller.kind in (CallerKind.INSPECTOR, CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        return Visibility(everything=True)
    if caller.kind is CallerKind.ENTERPRISE and caller.enterprise:
        return Visibility(enterprise=caller.enterprise)
    return None


def may_register(caller: Caller) -> bool:
    if caller.kind is CallerKind.ENTERPRISE:
        return Role.REGISTRAR in caller.roles
    return caller.kind in (CallerKind.PERSON, CallerKind.POSTED_WORKER, CallerKind.OPERATOR, CallerKind.BACK_OFFICE)


def may_register_person(caller: Caller, inss: str | None, limosa_id: str | None = None) -> bool:
    """A worker registers only himself (a posted worker by his own Limosa number); enterprises register anyone
    they are responsible for."""
    if caller.kind is CallerKind.PERSON:
        return inss is not None and inss == caller.inss
    if caller.kind is CallerKind.POSTED_WORKER:
        return inss is None and limosa_id is not None and limosa_id == caller.limosa_id
    return may_register(caller)


@dataclass(frozen=True)
class Parties:
    """Who a registration concerns, as needed to decide on its cancellation."""

    inss: str | None
    limosa_id: str | None
    employer: str | None  # KBO/BCE number or foreign VAT (for a Limosa registration: the posting employer)
    sender_enterprise: str | None
    declaring_contractor: str | None


def may_manage_channels(caller: Caller, enterprise: str) -> bool:
    """Channel management (web-service accounts, their certificates): the registry's operator, or the
    enterprise's technical manager."""
    if caller.kind is CallerKind.OPERATOR:
        return True
    return (caller.kind is CallerKind.ENTERPRISE and caller.enterprise == enterprise
            and Role.TECHNICAL_MANAGER in caller.roles)


def may_cancel(caller: Caller, parties: Parties) -> bool:
    """Among the registrations a caller can see, those he may cancel.

    The person himself (not for a Limosa-number registration), and for an enterprise with the registrar
    role: the employer, the sender, the declaring contractor. The client and inspectors only consult.
    """
    if caller.kind in (CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        return True
    if caller.kind is CallerKind.PERSON:
        return parties.limosa_id is None and parties.inss is not None and parties.inss == caller.inss
    if caller.kind is CallerKind.ENTERPRISE and Role.REGISTRAR in caller.roles:
        return caller.enterprise in (parties.employer, parties.sender_enterprise, parties.declaring_contractor)
    return False


@dataclass(frozen=True)
class Link:
    """The authentic sources tie a person to an enterprise for a period: his employer by a Dimona, his foreign
    employer by a Limosa declaration, or the enterprise he founded or is mandatary of."""

    enterprise: str
    period: Period


@dataclass(frozen=True)
class Chain:
    """The work declaration of a registration's workplace, as far as names go."""

    client: str
    declaring_contractor: str
    period: Period  # the declaration's
    contracts: dict[str, list[Period]]  # the enterprises of its chain, with the periods of their contracts

    def holds(self, enterprise: str, day: date) -> bool:
        """The declaring contractor is in the chain for the declaration's whole period (as for the checks), a
        subcontractor while one of its contracts runs."""
        if enterprise == self.declaring_contractor and self.period.covers(day):
            return True
        return any_covers(self.contracts.get(enterprise, ()), day)


def may_see_name(caller: Caller, day: date, inss: str | None, links: Iterable[Link], chain: Chain | None) -> bool:
    """Whether the caller may see the name of the person of a registration of `day` (`inss`: the registration's
    INSS, if any; `links`: the person's links to enterprises; `chain`: the declaration of its workplace).

    A name answers "who is this national number?", so it is shown only where the registry has a reason to: to
    the person himself, to inspectors and the service's staff, and to an enterprise the person is linked to on
    that day: as his employer (Dimona, Limosa) or the enterprise he founded or is mandatary of, or as the
    declaring contractor or client of the workplace whose chain holds that employer on that day. Registering
    someone, or naming oneself his employer in a registration, is no link: any registrar can do that.
    """
    if caller.kind in (CallerKind.INSPECTOR, CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        return True
    if caller.kind is CallerKind.PERSON:
        return inss is not None and inss == caller.inss
    if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
        return False
    employers = {link.enterprise for link in links if link.period.covers(day)}
    if caller.enterprise in employers:
        return True
    heads_the_chain = chain is not None and caller.enterprise in (chain.client, chain.declaring_contractor)
    return heads_the_chain and any(chain.holds(employer, day) for employer in employers)


# Roles an access manager grants; the main access manager is the enterprise's legal representative, never granted.
GRANTABLE_ROLES = (Role.ACCESS_MANAGER, Role.TECHNICAL_MANAGER, Role.DECLARANT, Role.REGISTRAR, Role.CONSULTANT)
ACCESS_MANAGING_ROLES = frozenset({Role.MAIN_ACCESS_MANAGER, Role.ACCESS_MANAGER})


def may_manage_access(caller: Caller, enterprise: str) -> bool:
    """Who may see and change who acts for an enterprise: its access managers (the main one included), and
    the registry's operator."""
    if caller.kind is CallerKind.OPERATOR:
        return True
    return (caller.kind is CallerKind.ENTERPRISE and caller.enterprise == enterprise
            and bool(caller.roles & ACCESS_MANAGING_ROLES))


def may_grant(caller: Caller, enterprise: str, role: Role) -> bool:
    """The main access manager designates access managers; access managers grant the other roles."""
    if role not in GRANTABLE_ROLES or not may_manage_access(caller, enterprise):
        return False
    if role is Role.ACCESS_MANAGER:
        return caller.kind is CallerKind.OPERATOR or Role.MAIN_ACCESS_MANAGER in caller.roles
    return True


def may_declare(caller: Caller, enterprise: str) -> bool:
    """Who makes and changes an enterprise's work declarations, and declares subcontractors under it: its people
    with the declarant role, and the registry's operator."""
    if caller.kind is CallerKind.OPERATOR:
        return True
    return (caller.kind is CallerKind.ENTERPRISE and caller.enterprise == enterprise
            and Role.DECLARANT in caller.roles)


def may_see_declaration(caller: Caller, client: str, declaring_contractor: str, chain: Iterable[str]) -> bool:
    """A work declaration is seen by its declaring contractor, its client, the subcontractors of its chain (each
    its own branch, `chain`: the enterprises under it), inspectors and the service's staff."""
    if caller.kind in (CallerKind.INSPECTOR, CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        return True
    return caller.kind is CallerKind.ENTERPRISE and (
        caller.enterprise in (client, declaring_contractor) or caller.enterprise in set(chain))
