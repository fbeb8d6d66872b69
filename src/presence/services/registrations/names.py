"""The worker's name on the registrations a caller consults, where `domain.visibility.may_see_name` allows it.

The name is the national register's or, for a registration by Limosa number, the Limosa declaration's. The
facts that link people to enterprises (Dimona, Limosa, mandates, the workplaces' chains) are read for a whole
page at once: a few queries whatever its size.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...db.batching import select_in
from ...domain.checks import Period
from ...domain.visibility import Caller, Chain, Link, may_see_name
from ...sources.models import Contract, DimonaPeriod, LimosaDeclaration, Mandate, Person, WorkDeclaration
from .views import WorkerName


def worker_names(session: Session, caller: Caller, rows) -> dict[int, WorkerName]:
    """The name to show on each of these registrations, by id; none when unknown or not for this caller."""
    registered = {r.inss for r in rows if r.inss}
    names = {p.inss: WorkerName(p.given_name, p.family_name) for p in select_in(
        session, select(Person.inss, Person.given_name, Person.family_name), Person.inss, registered)}
    postings = {d.number: d for d in select_in(
        session, select(LimosaDeclaration.number, LimosaDeclaration.employer, LimosaDeclaration.inss,
                        LimosaDeclaration.given_name, LimosaDeclaration.family_name, LimosaDeclaration.starts_on,
                        LimosaDeclaration.ends_on),
        LimosaDeclaration.number, {r.limosa_id for r in rows if r.limosa_id})}

    chains: dict[str, Chain] = {}
    links: dict[str, list[Link]] = {}
    if caller.enterprise:  # the others' answer depends on no link
        chains = _chains_headed_by(session, caller.enterprise, {r.workplace for r in rows})
        # Only links to the caller or to the chains it heads can show it a name: reading no others hides none.
        wanted = {caller.enterprise}
        for chain in chains.values():
            wanted |= {chain.declaring_contractor, *chain.contracts}
        people = registered | {d.inss for d in postings.values() if d.inss}
        links = _links(session, people, wanted)

    shown: dict[int, WorkerName] = {}
    for r in rows:
        posting = postings.get(r.limosa_id)
        name = names.get(r.inss) or (WorkerName(posting.given_name, posting.family_name) if posting else None)
        if name is None:
            continue
        person = r.inss or (posting.inss if posting else None)
        linked = links.get(person, [])
        if posting:  # the Limosa declaration the registration names links its employer, whoever the person is
            linked = [*linked, Link(posting.employer, Period(posting.starts_on, posting.ends_on))]
        if may_see_name(caller, r.registration_date, r.inss, linked, chains.get(r.workplace)):
            shown[r.id] = name
    return shown


def _chains_headed_by(session: Session, enterprise: str, workplaces: set[str]) -> dict[str, Chain]:
    """The chains of those of these workplaces the enterprise declared (contractor) or ordered (client)."""
    declarations = select_in(session, select(
        WorkDeclaration.number, WorkDeclaration.client, WorkDeclaration.declaring_contractor,
        WorkDeclaration.starts_on, WorkDeclaration.ends_on).where(
        or_(WorkDeclaration.client == enterprise, WorkDeclaration.declaring_contractor == enterprise)),
        WorkDeclaration.number, workplaces)
    if not declarations:
        return {}
    contracts: dict[str, dict[str, list[Period]]] = defaultdict(lambda: defaultdict(list))
    query = select(Contract.declaration_number, Contract.enterprise, Contract.starts_on, Contract.ends_on)
    for c in select_in(session, query, Contract.declaration_number, {d.number for d in declarations}):
        contracts[c.declaration_number][c.enterprise].append(Period(c.starts_on, c.ends_on))
    return {d.number: Chain(d.client, d.declaring_contractor, Period(d.starts_on, d.ends_on),
                            dict(contracts[d.number])) for d in declarations}


def _links(session: Session, people: set[str], enterprises: set[str]) -> dict[str, list[Link]]:
    """Each person's Dimona, Limosa declarations and mandates with these enterprises."""
    links: dict[str, list[Link]] = defaultdict(list)
    for person, enterprise, source in (
        (DimonaPeriod.inss, DimonaPeriod.employer, DimonaPeriod),
        (LimosaDeclaration.inss, LimosaDeclaration.employer, LimosaDeclaration),
        (Mandate.inss, Mandate.enterprise, Mandate),
    ):
        query = select(person, enterprise, source.starts_on, source.ends_on).where(enterprise.in_(enterprises))
        for inss, number, starts_on, ends_on in select_in(session, query, person, people):
            links[inss].append(Link(number, Period(starts_on, ends_on)))
    return links
