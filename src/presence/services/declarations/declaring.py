"""Work declarations made here: declared by the declaring contractor's people with the declarant role, their
subcontractors declared as a tree (a subcontractor declares its own under itself), changed and cancelled. They
share one model with the imported ones (`sources.models.WorkDeclaration`, `Contract`).

Every change is a revision of the declaration's history and an audit event, and queues the checks of the
registrations of its workplace, as an import of the source does: a subcontractor added after a registration was
refused CAW_12 makes it valid on its next check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...db.models import User
from ...domain import declarations as rules
from ...domain.channels import Channel
from ...domain.identifiers import InvalidIdentifier, parse_any_enterprise
from ...domain.localities import locality_of, nearest_locality
from ...domain.sectors import Sector
from ...domain.visibility import Caller, CallerKind, may_declare, may_see_declaration
from ...i18n import gettext
from ...sources.importers import AffectedKeys
from ...sources.models import Contract, DeclarationRevision, Enterprise, WorkDeclaration
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..registrations.revalidation import queue_checks
from ..runtime import Runtime

ACTOR_ROLES = ("architect", "design_coordinator", "execution_coordinator")
MAX_SUBCONTRACTORS = 500


@dataclass(frozen=True)
class Subcontractor:
    enterprise: str  # KBO/BCE number or foreign VAT number
    principal: str  # its direct principal: the declaring contractor or another subcontractor
    starts_on: date
    ends_on: date | None = None
    activities: str = ""
    amount_eur: Decimal | None = None


@dataclass(frozen=True)
class Actor:
    role: str  # architect | design_coordinator | execution_coordinator
    name: str
    enterprise: str | None = None


@dataclass(frozen=True)
class Declaration:
    """What a declarant fills in."""

    sector: Sector
    client: str
    client_name: str
    street: str
    house_number: str
    post_code: str
    municipality: str
    starts_on: date
    ends_on: date | None
    amount_eur: Decimal
    description: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    latitude: float | None = None
    longitude: float | None = None
    locate: bool = False  # without a position: the one of its locality (`domain.localities`, shipped, no map)
    actors: tuple[Actor, ...] = ()
    subcontractors: tuple[Subcontractor, ...] = field(default_factory=tuple)


class DeclarationRefused(InvalidRequest):
    """Every problem of a declaration at once: `problems` maps each field to its message (translated)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{where}: {why}" for where, why in problems.items()), field=next(iter(problems)))
        self.problems = problems


def _enterprise(value: str, where: str, problems: dict[str, str]) -> str:
    try:
        return parse_any_enterprise(value)
    except InvalidIdentifier as error:
        problems[where] = gettext("Enterprise number: %(reason)s.", reason=gettext(error.reason))
        return (value or "").strip()


def _amount(value, where: str, problems: dict[str, str]) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        problems[where] = gettext("Enter an amount in euros, for example 620000 or 620000.50.")
        return None
    if amount < 0 or amount >= Decimal("1e12") or amount != amount.quantize(Decimal("0.01")):
        problems[where] = gettext("Enter an amount in euros, not negative, with at most 2 decimals.")
        return amount
    return amount.quantize(Decimal("0.01"))  # as stored: 620000 and 620000.00 are the same amount


def _checked(data: Declaration, contractor: str) -> tuple[Declaration, list[rules.Link]]:
    """The declaration with its identifiers normalised, or `DeclarationRefused` with every problem."""
    problems: dict[str, str] = {}
    client = _enterprise(data.client, "client", problems)
    if not data.client_name.strip():
        problems["client_name"] = gettext("Enter the client's name.")
    for name in ("street", "house_number"):
        if not getattr(data, name).strip():
            problems[name] = gettext("Enter the workplace's address.")
    if not re.fullmatch(r"[1-9]\d{3}", data.post_code.strip()):
        problems["post_code"] = gettext("Enter a Belgian post code of 4 digits.")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        problems["ends_on"] = gettext("The end is before the start.")
    amount = _amount(data.amount_eur, "amount", problems)
    if amount is None and "amount" not in problems:
        problems["amount"] = gettext("Enter the contract's amount excl. VAT.")
    actors = []
    for index, actor in enumerate(data.actors):
        if actor.role not in ACTOR_ROLES or not actor.name.strip():
            problems[f"actors.{index}"] = gettext("Give each actor a role and a name.")
        enterprise = _enterprise(actor.enterprise, f"actors.{index}.enterprise", problems) if actor.enterprise \
            else None
        actors.append(Actor(actor.role, actor.name.strip()[:200], enterprise))
    latitude, longitude = data.latitude, data.longitude
    if (latitude is None) != (longitude is None):
        problems["latitude"] = gettext("Give the position's latitude and longitude, or neither.")
    elif latitude is not None and (not (-90 <= latitude <= 90) or nearest_locality(latitude, longitude) is None):
        problems["latitude"] = gettext("This position is not in Belgium.")
    elif latitude is None and data.locate and "post_code" not in problems:
        found = locality_of(data.post_code, data.municipality)
        if found is None:
            problems["post_code"] = gettext("No Belgian municipality has this post code.")
        else:
            latitude, longitude = found.latitude, found.longitude
    if len(data.subcontractors) > MAX_SUBCONTRACTORS:
        problems["subcontractors"] = gettext("At most %(count)s subcontractors.", count=MAX_SUBCONTRACTORS)
    links = []
    for index, sub in enumerate(data.subcontractors[:MAX_SUBCONTRACTORS]):
        where = f"subcontractors.{index}"
        links.append(rules.Link(_enterprise(sub.enterprise, f"{where}.enterprise", problems),
                                _enterprise(sub.principal, f"{where}.principal", problems),
                                sub.starts_on, sub.ends_on, _amount(sub.amount_eur, f"{where}.amount", problems)))
    for problem in rules.chain_problems(contractor, data.starts_on, data.ends_on, links):
        problems.setdefault(problem.field, gettext(problem.reason))
    if problems:
        raise DeclarationRefused(problems)
    subcontractors = tuple(Subcontractor(link.enterprise, link.principal, link.starts_on, link.ends_on,
                                         sub.activities.strip()[:300], link.amount_eur)
                           for link, sub in zip(links, data.subcontractors, strict=True))
    return replace(data, client=client, amount_eur=amount, post_code=data.post_code.strip(), latitude=latitude,
                   longitude=longitude, actors=tuple(actors), subcontractors=subcontractors), links


def _levels(contractor: str, links: list[rules.Link]) -> dict[str, int]:
    """Each enterprise's depth in the tree (the declaring contractor: 0)."""
    principals = {link.enterprise: link.principal for link in links}
    levels = {contractor: 0}

    def level(enterprise: str) -> int:
        if enterprise not in levels:
            levels[enterprise] = level(principals[enterprise]) + 1
        return levels[enterprise]

    for enterprise in principals:
        level(enterprise)
    return levels


def _actor(caller: Caller) -> str:
    return caller.sender_id or str(caller.kind)


def _revise(session: Session, caller: Caller, number: str, change: str, details: dict, now: datetime) -> None:
    session.add(DeclarationRevision(declaration_number=number, changed_at=now, actor=_actor(caller),
                                    actor_enterprise=caller.enterprise, change=change, details=details))
    audit.record(session, caller, Channel.ONLINE, f"declaration.{change}", "work_declaration", [number], now, details)


def _recheck(session: Session, number: str, now: datetime) -> int:
    return queue_checks(session, "declaration", AffectedKeys(workplaces={number}), now)


def declare(runtime: Runtime, caller: Caller, data: Declaration, *, contractor: str | None = None) -> str:
    """Declare works for the caller's enterprise (the operator names `contractor`): the new declaration's number.
    Refused with `DeclarationRefused` (every problem at once) or `NotAllowed`; nothing is stored then."""
    contractor = contractor if contractor is not None else caller.enterprise
    if contractor is None or not may_declare(caller, contractor):
        raise NotAllowed(gettext("Only the declarants of an enterprise declare its works."))
    checked, links = _checked(data, contractor)
    levels = _levels(contractor, links)
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        number = rules.new_number()
        while session.get(WorkDeclaration, number) is not None:  # one chance in 10^20: draw again
            number = rules.new_number()
        session.add(WorkDeclaration(
            number=number, sector=int(checked.sector), client=checked.client, client_name=checked.client_name.strip(),
            declaring_contractor=contractor, street=checked.street.strip(), house_number=checked.house_number.strip(),
            post_code=checked.post_code, municipality=checked.municipality.strip(), latitude=checked.latitude,
            longitude=checked.longitude, amount_eur=checked.amount_eur, starts_on=checked.starts_on,
            ends_on=checked.ends_on,
            subject_to_registration=rules.subject_to_registration(checked.sector, checked.amount_eur,
                                                                  checked.starts_on),
            updated_at=now, origin="online", description=checked.description.strip() or None,
            contact_name=checked.contact_name.strip() or None, contact_email=checked.contact_email.strip() or None,
            contact_phone=checked.contact_phone.strip() or None,
            actors=[actor.__dict__ for actor in checked.actors] or None, declared_at=now, cancelled_at=None))
        session.add(Contract(declaration_number=number, enterprise=contractor, parent=None, level=0,
                             starts_on=checked.starts_on, ends_on=checked.ends_on, amount_eur=checked.amount_eur))
        for sub in checked.subcontractors:
            session.add(Contract(declaration_number=number, enterprise=sub.enterprise, parent=sub.principal,
                                 level=levels[sub.enterprise], starts_on=sub.starts_on, ends_on=sub.ends_on,
                                 amount_eur=sub.amount_eur, activities=sub.activities or None))
        _revise(session, caller, number, "declared", {"sector": int(checked.sector), "amount": str(checked.amount_eur),
                                                      "subcontractors": len(checked.subcontractors)}, now)
        _recheck(session, number, now)
    return number


def _declaration(session: Session, number: str) -> WorkDeclaration:
    found = session.get(WorkDeclaration, (number or "").strip().upper())
    if found is None or found.cancelled_at is not None:
        raise NotFound(gettext("No work declaration has this number."))
    return found


def add_subcontractor(runtime: Runtime, caller: Caller, number: str, sub: Subcontractor) -> None:
    """Declare a subcontractor in a declaration's chain: the declaring contractor anywhere in its tree, a
    subcontractor under itself (as the law asks him to tell his principal)."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        declaration = _declaration(session, number)
        contracts = session.scalars(select(Contract).where(Contract.declaration_number == declaration.number)).all()
        in_chain = {contract.enterprise for contract in contracts}
        principal = (sub.principal or "").strip()
        if not (may_declare(caller, declaration.declaring_contractor)
                or (caller.enterprise in in_chain and caller.enterprise == principal
                    and may_declare(caller, caller.enterprise))):
            raise NotAllowed(gettext("Only the declaring contractor, or a subcontractor under itself, declares "
                                     "subcontractors."))
        existing = [rules.Link(c.enterprise, c.parent, c.starts_on, c.ends_on) for c in contracts if c.level > 0]
        data = Declaration(Sector(declaration.sector), declaration.client, declaration.client_name,
                           declaration.street, declaration.house_number, declaration.post_code,
                           declaration.municipality, declaration.starts_on, declaration.ends_on,
                           Decimal(str(declaration.amount_eur)),
                           subcontractors=tuple(Subcontractor(link.enterprise, link.principal, link.starts_on,
                                                              link.ends_on) for link in existing) + (sub,))
        try:
            checked, links = _checked(data, declaration.declaring_contractor)
        except DeclarationRefused as refused:  # only the new one's problems are the caller's
            mine = f"subcontractors.{len(existing)}."
            raise DeclarationRefused({key.removeprefix(mine): why for key, why in refused.problems.items()
                                      if key.startswith(mine)} or refused.problems) from None
        new = checked.subcontractors[-1]
        session.add(Contract(declaration_number=declaration.number, enterprise=new.enterprise, parent=new.principal,
                             level=_levels(declaration.declaring_contractor, links)[new.enterprise],
                             starts_on=new.starts_on, ends_on=new.ends_on, amount_eur=new.amount_eur,
                             activities=new.activities or None))
        declaration.updated_at = now
        _revise(session, caller, declaration.number, "subcontractor_added",
                {"enterprise": new.enterprise, "principal": new.principal, "starts_on": new.starts_on.isoformat(),
                 "ends_on": new.ends_on.isoformat() if new.ends_on else None}, now)
        _recheck(session, declaration.number, now)


@dataclass(frozen=True)
class Terms:
    """What a declarant may change of the declaring contractor's contract: its period and its amount."""

    starts_on: date
    ends_on: date | None
    amount_eur: Decimal | str


def _chain(session: Session, declaration: WorkDeclaration) -> list[Contract]:
    return list(session.scalars(select(Contract).where(Contract.declaration_number == declaration.number)
                                .order_by(Contract.level, Contract.id)))


def _as_data(declaration: WorkDeclaration, contracts: list[Contract], terms: Terms | None = None) -> Declaration:
    terms = terms or Terms(declaration.starts_on, declaration.ends_on, Decimal(str(declaration.amount_eur)))
    return Declaration(Sector(declaration.sector), declaration.client, declaration.client_name, declaration.street,
                       declaration.house_number, declaration.post_code, declaration.municipality, terms.starts_on,
                       terms.ends_on, terms.amount_eur,
                       subcontractors=tuple(Subcontractor(c.enterprise, c.parent, c.starts_on, c.ends_on)
                                            for c in contracts if c.level > 0))


def change_terms(runtime: Runtime, caller: Caller, number: str, terms: Terms) -> dict[str, list]:
    """Move the works' dates or change their amount: whether the workplace is subject to registration is decided
    again, and its registrations are checked again. The changes (field: [before, after]); none when nothing
    changed. Refused when a subcontract would no longer fit in the works' period."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        declaration = _declaration(session, number)
        if not may_declare(caller, declaration.declaring_contractor):
            raise NotAllowed(gettext("Only the declarants of the declaring contractor change its declarations."))
        contracts = _chain(session, declaration)
        try:
            checked, _ = _checked(_as_data(declaration, contracts, terms), declaration.declaring_contractor)
        except DeclarationRefused as refused:  # a subcontract's problem is the new period's
            outside = gettext("A subcontract would be outside the works' period: end it first, or choose other days.")
            raise DeclarationRefused({("starts_on" if key.startswith("subcontractors.") else key):
                                      (outside if key.startswith("subcontractors.") else why)
                                      for key, why in refused.problems.items()}) from None
        subject = rules.subject_to_registration(Sector(declaration.sector), checked.amount_eur, checked.starts_on)
        before = {"starts_on": declaration.starts_on, "ends_on": declaration.ends_on,
                  "amount": Decimal(str(declaration.amount_eur)), "subject_to_registration":
                  declaration.subject_to_registration}
        after = {"starts_on": checked.starts_on, "ends_on": checked.ends_on, "amount": checked.amount_eur,
                 "subject_to_registration": subject}
        changes = {name: [_plain(before[name]), _plain(after[name])] for name in before if before[name] != after[name]}
        if not changes:
            return {}
        declaration.starts_on, declaration.ends_on = checked.starts_on, checked.ends_on
        declaration.amount_eur, declaration.subject_to_registration = checked.amount_eur, subject
        declaration.updated_at = now
        main = next(c for c in contracts if c.level == 0)
        main.starts_on, main.ends_on, main.amount_eur = checked.starts_on, checked.ends_on, checked.amount_eur
        _revise(session, caller, declaration.number, "changed", changes, now)
        _recheck(session, declaration.number, now)
    return changes


def _plain(value):
    """A value as the history's JSON keeps it."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def end_subcontractor(runtime: Runtime, caller: Caller, number: str, enterprise: str, ends_on: date) -> None:
    """End a subcontract on `ends_on` (its last day): by the declaring contractor, or by the subcontractor's
    principal. The subcontracts under it that would outlast it end with it."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        declaration = _declaration(session, number)
        contracts = _chain(session, declaration)
        ended = next((c for c in contracts if c.level > 0 and c.enterprise == (enterprise or "").strip()), None)
        if ended is None:
            raise NotFound(gettext("This enterprise is not a subcontractor of the declaration."))
        if not (may_declare(caller, declaration.declaring_contractor)
                or (caller.enterprise == ended.parent and may_declare(caller, caller.enterprise))):
            raise NotAllowed(gettext("Only the declaring contractor, or the subcontractor's principal, ends a "
                                     "subcontract."))
        branch = _under(ended.enterprise, contracts)
        for contract in contracts:
            if contract is ended or (contract.enterprise in branch and (contract.ends_on is None
                                                                        or contract.ends_on > ends_on)):
                contract.ends_on = ends_on
        try:
            _checked(_as_data(declaration, contracts), declaration.declaring_contractor)
        except DeclarationRefused as refused:  # the transaction is rolled back: nothing changed
            raise DeclarationRefused({"ends_on": next(iter(refused.problems.values()))}) from None
        declaration.updated_at = now
        _revise(session, caller, declaration.number, "subcontractor_ended",
                {"enterprise": ended.enterprise, "ends_on": ends_on.isoformat(), "with": sorted(branch)}, now)
        _recheck(session, declaration.number, now)


def _under(enterprise: str, contracts) -> set[str]:
    """The enterprises under `enterprise` in a declaration's chain (not itself)."""
    return rules.under(((c.enterprise, c.parent) for c in contracts), enterprise)


def cancel_declaration(runtime: Runtime, caller: Caller, number: str) -> None:
    """Cancel a declaration: its workplace is then as undeclared for the checks (CAW_10)."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        declaration = _declaration(session, number)
        if not may_declare(caller, declaration.declaring_contractor):
            raise NotAllowed(gettext("Only the declarants of the declaring contractor cancel its declarations."))
        declaration.cancelled_at = declaration.updated_at = now
        _revise(session, caller, declaration.number, "cancelled", {}, now)
        _recheck(session, declaration.number, now)


@dataclass(frozen=True)
class Revision:
    changed_at: datetime
    change: str
    actor: str  # the person's name (a web-service account: its client id)
    details: dict


@dataclass(frozen=True)
class DeclarationView:
    number: str
    sector: Sector
    client: str
    client_name: str
    declaring_contractor: str
    declaring_contractor_name: str
    address: str
    starts_on: date
    ends_on: date | None
    amount_eur: Decimal
    subject_to_registration: bool
    origin: str
    cancelled: bool
    subcontractors: tuple[Subcontractor, ...]
    revisions: tuple[Revision, ...]
    names: dict[str, str] = field(default_factory=dict)  # the chain's enterprises by number, as registered
    description: str = ""
    contact: tuple[str, str, str] = ("", "", "")  # name, e-mail, phone
    actors: tuple[Actor, ...] = ()
    position: tuple[float, float] | None = None  # latitude, longitude


def declaration_of(runtime: Runtime, caller: Caller, number: str) -> DeclarationView:
    """A declaration as the caller may see it: its whole chain for the declaring contractor, the client and
    inspectors; a subcontractor sees its own branch."""
    with runtime.db.reading() as session:
        found = session.get(WorkDeclaration, (number or "").strip().upper())
        if found is None:
            raise NotFound(gettext("No work declaration has this number."))
        contracts = session.scalars(select(Contract).where(Contract.declaration_number == found.number)
                                    .order_by(Contract.level, Contract.id)).all()
        chain = [c.enterprise for c in contracts if c.level > 0]
        if not may_see_declaration(caller, found.client, found.declaring_contractor, chain):
            raise NotFound(gettext("No work declaration has this number."))  # as if it did not exist
        branch = _branch(caller, found, contracts)
        names = dict(session.execute(select(Enterprise.number, Enterprise.name).where(
            Enterprise.number.in_([found.declaring_contractor, *chain]))).all())
        name = names.get(found.declaring_contractor)
        revisions = session.scalars(select(DeclarationRevision).where(
            DeclarationRevision.declaration_number == found.number).order_by(DeclarationRevision.id)).all()
        people = {int(r.actor[5:]) for r in revisions if r.actor.startswith("user:") and r.actor[5:].isdigit()}
        who = {f"user:{id_}": name for id_, name in session.execute(
            select(User.id, User.name).where(User.id.in_(people))).all()} if people else {}
        return DeclarationView(
            found.number, Sector(found.sector), found.client, found.client_name, found.declaring_contractor,
            name or found.declaring_contractor,
            found.place.address, found.starts_on,
            found.ends_on, Decimal(str(found.amount_eur)), found.subject_to_registration, found.origin,
            found.cancelled_at is not None,
            tuple(Subcontractor(c.enterprise, c.parent, c.starts_on, c.ends_on, c.activities or "",
                                Decimal(str(c.amount_eur)) if c.amount_eur is not None else None)
                  for c in contracts if c.level > 0 and c.enterprise in branch),
            tuple(Revision(r.changed_at, r.change, who.get(r.actor, r.actor), r.details) for r in revisions), names,
            found.description or "", (found.contact_name or "", found.contact_email or "", found.contact_phone or ""),
            tuple(Actor(a["role"], a["name"], a.get("enterprise")) for a in found.actors or ()),
            (found.latitude, found.longitude) if found.latitude is not None else None)


@dataclass(frozen=True)
class Workplace:
    """What the poster of a declared workplace shows to anyone on site (`/w/<number>`)."""

    number: str
    sector: Sector
    address: str
    client_name: str
    declaring_contractor_name: str
    starts_on: date
    ends_on: date | None
    subject_to_registration: bool


def workplace(runtime: Runtime, number: str) -> Workplace | None:
    """The workplace of a declaration in force, or None (unknown, or cancelled)."""
    with runtime.db.reading() as session:
        found = session.get(WorkDeclaration, (number or "").strip().upper()[:13])
        if found is None or found.cancelled_at is not None:
            return None
        name = session.scalar(select(Enterprise.name).where(Enterprise.number == found.declaring_contractor))
        return Workplace(found.number, Sector(found.sector),
                         found.place.address,
                         found.client_name, name or found.declaring_contractor, found.starts_on, found.ends_on,
                         found.subject_to_registration)


def _branch(caller: Caller, declaration: WorkDeclaration, contracts) -> set[str]:
    """The subcontractors the caller may see: all, or, for a subcontractor, itself and those under it."""
    everyone = {c.enterprise for c in contracts}
    if caller.enterprise in (None, declaration.client, declaration.declaring_contractor):
        return everyone
    return {caller.enterprise} | _under(caller.enterprise, contracts)


@dataclass(frozen=True)
class Listed:
    number: str
    sector: Sector
    address: str
    client_name: str
    starts_on: date
    ends_on: date | None
    amount_eur: Decimal
    subject_to_registration: bool
    as_what: str  # declaring_contractor | client | subcontractor | inspector


def declarations_of(runtime: Runtime, caller: Caller, text: str = "", limit: int = 200) -> list[Listed]:
    """The declarations in force the caller sees, newest first; `text` narrows them to a number or a word of the
    address or the client's name."""
    query = select(WorkDeclaration).where(WorkDeclaration.cancelled_at.is_(None))
    if caller.kind not in (CallerKind.INSPECTOR, CallerKind.BACK_OFFICE, CallerKind.OPERATOR):
        if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
            return []
        in_chain = select(Contract.declaration_number).where(Contract.enterprise == caller.enterprise)
        query = query.where(or_(WorkDeclaration.declaring_contractor == caller.enterprise,
                                WorkDeclaration.client == caller.enterprise, WorkDeclaration.number.in_(in_chain)))
    words = (text or "").strip()
    if words:
        pattern = f"%{words[:100].lower()}%"
        query = query.where(or_(func.lower(WorkDeclaration.number) == words.lower(),
                                func.lower(WorkDeclaration.street).like(pattern),
                                func.lower(WorkDeclaration.municipality).like(pattern),
                                func.lower(WorkDeclaration.client_name).like(pattern),
                                WorkDeclaration.post_code == words))
    query = query.order_by(WorkDeclaration.starts_on.desc(), WorkDeclaration.number).limit(limit)
    with runtime.db.reading() as session:
        rows = session.scalars(query).all()
    return [Listed(row.number, Sector(row.sector),
                   row.place.address, row.client_name,
                   row.starts_on, row.ends_on, Decimal(str(row.amount_eur)), row.subject_to_registration,
                   _as_what(caller, row)) for row in rows]


def _as_what(caller: Caller, row: WorkDeclaration) -> str:
    if caller.enterprise == row.declaring_contractor:
        return "declaring_contractor"
    if caller.enterprise == row.client:
        return "client"
    return "subcontractor" if caller.kind is CallerKind.ENTERPRISE else "inspector"
