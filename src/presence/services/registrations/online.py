"""What the online service adds to registering (construction and meat, channels ONLINE and MOBILE): the
workplaces a caller may register on, the people the assistant proposes for a workplace, the days already
registered, and registrations beyond one batch of 200. Registering itself is `registering.register_presences`,
with the same formal checks and messages as the web services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from ...db.models import Registration
from ...domain.channels import Channel
from ...domain.declarations import under
from ...domain.errors import MAX_BATCH
from ...domain.registration import Submission
from ...domain.sectors import Regime, Sector
from ...domain.statuses import Lifecycle
from ...domain.texts import N_
from ...domain.visibility import Caller, CallerKind, consultation_visibility
from ...sources.models import (
    Contract,
    DimonaPeriod,
    Enterprise,
    LimosaDeclaration,
    Mandate,
    Person,
    WorkDeclaration,
)
from ..errors import NotAllowed
from ..runtime import Runtime
from .registering import Accepted, Refused, register_presences
from .visibility_filter import visibility_filter

# How far back the assistant looks for the subcontractors' workers registered on a workplace.
EARLIER_DAYS = 60
MAX_CANDIDATES = 2_000


@dataclass(frozen=True)
class Workplace:
    """A declared workplace of the day regime whose chain the caller's enterprise is in."""

    number: str
    sector: Sector
    address: str
    declaring_contractor: str
    starts_on: date
    ends_on: date | None
    enterprises: tuple[str, ...]  # the chain: the declaring contractor, then its subcontractors


def workplace_for(runtime: Runtime, caller: Caller, number: str) -> Workplace:
    """The workplace of a declaration in force the caller may register on, or `NotAllowed` saying why not (a
    text marked for the catalogues). An enterprise registers on the workplaces whose chain it is in (declaring
    contractor or subcontractor); a person (a self-employed worker) on any declared one: the asynchronous checks
    then say whether his enterprise is in its chain."""
    with runtime.db.reading() as session:
        found = session.get(WorkDeclaration, number)
        if found is None or found.cancelled_at is not None:
            raise NotAllowed(N_("No work declaration in force has this number."))
        if Sector(found.sector) is Sector.CLEANING:
            raise NotAllowed(N_("This is a cleaning workplace: its workers check in and out themselves."))
        chain = tuple(session.scalars(select(Contract.enterprise).where(Contract.declaration_number == number)
                                      .order_by(Contract.level, Contract.id)))
        if caller.kind is CallerKind.ENTERPRISE and caller.enterprise not in chain:
            raise NotAllowed(N_("Your enterprise is neither the declaring contractor nor a subcontractor of this "
                                "workplace: you may not register on it."))
        return Workplace(found.number, Sector(found.sector), found.place.address, found.declaring_contractor,
                         found.starts_on, found.ends_on, chain)


def workplaces_of(runtime: Runtime, caller: Caller, limit: int = 500) -> list[Workplace]:
    """The workplaces in force (construction, meat) whose chain the caller's enterprise is in, newest first."""
    if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
        return []
    in_chain = select(Contract.declaration_number).where(Contract.enterprise == caller.enterprise)
    with runtime.db.reading() as session:
        rows = session.scalars(
            select(WorkDeclaration).where(WorkDeclaration.number.in_(in_chain), WorkDeclaration.cancelled_at.is_(None),
                                          WorkDeclaration.sector != int(Sector.CLEANING))
            .order_by(WorkDeclaration.starts_on.desc(), WorkDeclaration.number).limit(limit)).all()
        chains: dict[str, list[str]] = {}
        for number, enterprise in session.execute(
                select(Contract.declaration_number, Contract.enterprise)
                .where(Contract.declaration_number.in_([r.number for r in rows]))
                .order_by(Contract.level, Contract.id)):
            chains.setdefault(number, []).append(enterprise)
    return [Workplace(r.number, Sector(r.sector), r.place.address, r.declaring_contractor, r.starts_on, r.ends_on,
                      tuple(chains.get(r.number, ()))) for r in rows]


@dataclass(frozen=True)
class Candidate:
    """Someone the assistant proposes: a person, the enterprise he works for, and why he is proposed. A
    subcontractor's worker is known by his earlier registration (`receipt`), not by name: registering someone
    does not make one entitled to learn who he is."""

    inss: str
    name: str  # "" for a subcontractor's worker
    enterprise: str
    enterprise_name: str
    source: str  # dimona | mandate | earlier (a subcontractor's worker registered on the workplace before)
    receipt: int | None = None  # the earlier registration of a subcontractor's worker

    @property
    def key(self) -> str:
        """What a form carries to name him again: the earlier receipt, or his own staff's numbers."""
        return f"r{self.receipt}" if self.receipt is not None else f"{self.inss}|{self.enterprise}"


def candidates(runtime: Runtime, caller: Caller, workplace: Workplace, first: date, last: date) -> list[Candidate]:
    """The people an enterprise may register on `workplace` between `first` and `last`: those with a Dimona at
    the enterprise (or a mandate in it) covering part of the period, and, for an enterprise with subcontractors
    under it in the chain, their workers registered on this workplace in the last `EARLIER_DAYS` days. By name."""
    if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
        return []
    own = caller.enterprise
    overlaps = and_(DimonaPeriod.starts_on <= last, or_(DimonaPeriod.ends_on.is_(None), DimonaPeriod.ends_on >= first))
    with runtime.db.reading() as session:
        found: dict[tuple[str, str], tuple[str, int | None]] = {}
        # Distinct people: an employer of daily Dimonas (flexi-jobs) has many periods per person.
        for inss in session.scalars(select(DimonaPeriod.inss).distinct().where(DimonaPeriod.employer == own, overlaps)
                                    .order_by(DimonaPeriod.inss).limit(MAX_CANDIDATES)):
            found.setdefault((inss, own), ("dimona", None))
        for inss in session.scalars(select(Mandate.inss).distinct().where(
                Mandate.enterprise == own, Mandate.starts_on <= last,
                or_(Mandate.ends_on.is_(None), Mandate.ends_on >= first)).limit(MAX_CANDIDATES)):
            found.setdefault((inss, own), ("mandate", None))
        below = _below(session, workplace.number, own)
        if below:
            since = first - timedelta(days=EARLIER_DAYS)
            # Only registrations the caller may consult anyway (a contractor's: those on its workplace).
            for inss, enterprise, receipt in session.execute(
                    select(Registration.inss, Registration.enterprise_number, func.max(Registration.id)).where(
                        Registration.workplace == workplace.number, Registration.registration_date >= since,
                        Registration.registration_date <= last, Registration.inss.is_not(None),
                        Registration.enterprise_number.in_(below),
                        Registration.lifecycle != str(Lifecycle.CANCELLED),
                        visibility_filter(session, consultation_visibility(caller)))
                    .group_by(Registration.inss, Registration.enterprise_number).limit(MAX_CANDIDATES)):
                found.setdefault((inss, enterprise), ("earlier", receipt))
        staff = {inss for (inss, enterprise), (source, _) in found.items() if source != "earlier"}
        names = dict(session.execute(select(Person.inss, Person.family_name + " " + Person.given_name)
                                     .where(Person.inss.in_(staff))).all()) if staff else {}
        enterprises = {enterprise for _, enterprise in found}
        enterprise_names = dict(session.execute(select(Enterprise.number, Enterprise.name)
                                                .where(Enterprise.number.in_(enterprises))).all())
    listed = [Candidate(inss, names.get(inss, "") if source != "earlier" else "", enterprise,
                        enterprise_names.get(enterprise, enterprise), source, receipt)
              for (inss, enterprise), (source, receipt) in found.items()]
    return sorted(listed, key=lambda c: (c.enterprise != own, c.enterprise_name, c.name, c.inss))


def _below(session, workplace: str, enterprise: str) -> set[str]:
    """The enterprises under `enterprise` in the workplace's chain."""
    return under(session.execute(select(Contract.enterprise, Contract.parent)
                                 .where(Contract.declaration_number == workplace)).all(), enterprise)


def registered_days(runtime: Runtime, workplace: str, people: Iterable[tuple[str, str]], first: date,
                    last: date) -> set[tuple[str, str, date]]:
    """Of these (INSS, enterprise) pairs, the (INSS, enterprise, day) already registered on the workplace between
    `first` and `last` and not cancelled: the assistant skips them."""
    pairs = set(people)
    if not pairs:
        return set()
    inss = {person for person, _ in pairs}
    with runtime.db.reading() as session:
        rows = session.execute(select(Registration.inss, Registration.enterprise_number,
                                      Registration.registration_date).where(
            Registration.workplace == workplace, Registration.registration_date >= first,
            Registration.registration_date <= last, Registration.inss.in_(inss),
            Registration.lifecycle != str(Lifecycle.CANCELLED))).all()
    return {(person, enterprise, day) for person, enterprise, day in rows if (person, enterprise) in pairs}


def register_many(runtime: Runtime, caller: Caller, channel: Channel,
                  submissions: list[Submission]) -> list[Accepted | Refused]:
    """Register any number of day-regime presences, in batches of the web services' size: one outcome per
    submission, in order. Each batch is stored whole or refused item by item, as through the web services."""
    outcomes: list[Accepted | Refused] = []
    for start in range(0, len(submissions), MAX_BATCH):
        outcomes.extend(register_presences(runtime, caller, channel, Regime.DAY,
                                           submissions[start:start + MAX_BATCH]))
    return outcomes


def enterprises_of_person(runtime: Runtime, inss: str, day: date) -> list[tuple[str, str]]:
    """(number, name) of the enterprises a person is a founder or mandatary of on `day`: those a self-employed
    person registers himself for."""
    with runtime.db.reading() as session:
        return [(number, name) for number, name in session.execute(
            select(Enterprise.number, Enterprise.name).join(Mandate, Mandate.enterprise == Enterprise.number)
            .where(Mandate.inss == inss, Mandate.starts_on <= day,
                   or_(Mandate.ends_on.is_(None), Mandate.ends_on >= day))
            .distinct().order_by(Enterprise.name))]


def enterprises_below(runtime: Runtime, caller: Caller, workplaces: Iterable[Workplace]) -> list[tuple[str, str]]:
    """(number, name) of the caller's enterprise and of the subcontractors under it on these workplaces: those it
    may register workers of."""
    if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
        return []
    workplaces = list(workplaces)
    with runtime.db.reading() as session:
        chains: dict[str, list[tuple[str, str | None]]] = {}
        for number, child, parent in session.execute(
                select(Contract.declaration_number, Contract.enterprise, Contract.parent)
                .where(Contract.declaration_number.in_([w.number for w in workplaces]))):
            chains.setdefault(number, []).append((child, parent))
        numbers = {caller.enterprise}
        for chain in chains.values():
            numbers |= under(chain, caller.enterprise)
        names = dict(session.execute(select(Enterprise.number, Enterprise.name)
                                     .where(Enterprise.number.in_(numbers))).all())
    own = [(caller.enterprise, names.get(caller.enterprise, caller.enterprise))]
    return own + sorted(((n, names.get(n, n)) for n in numbers - {caller.enterprise}), key=lambda e: e[1])


def posting_on(runtime: Runtime, limosa_id: str, workplace: Workplace | str, day: date) -> str | None:
    """Why a posted worker may not register himself on this workplace today with this Limosa number (a text
    marked for the catalogues), or None when he may: without signing in, only a posting the registry knows,
    in force today, by an employer in the workplace's chain, is taken."""
    number = workplace.number if isinstance(workplace, Workplace) else workplace
    with runtime.db.reading() as session:
        posting = session.get(LimosaDeclaration, limosa_id)
        if posting is None or not posting.starts_on <= day <= posting.ends_on:
            return N_("No Limosa declaration in force today has this number. Ask the site manager to register "
                      "you.")
        in_chain = session.scalar(select(Contract.id).where(Contract.declaration_number == number,
                                                            Contract.enterprise == posting.employer).limit(1))
    if in_chain is None:
        return N_("Your employer is not among the enterprises declared on this workplace. Ask the site manager "
                  "to register you.")
    return None
