"""Gateway kiosks at the registry: a declaring contractor enrols a kiosk for one of its workplaces (its public key;
the private key never leaves the kiosk), lists and revokes its kiosks; a kiosk's registrations arrive as entries
(`domain.gateway_entries`), each taken exactly once, in order, with the instant it was made on site, through the
same service as every channel (channel `GATEWAY`). A revoked kiosk's entries are refused at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...clock import belgian_date
from ...db.locking import for_update
from ...db.models import GatewayDevice
from ...domain.channels import Channel
from ...domain.checks import Subject
from ...domain.gateway_entries import GENESIS, Chain, Entry, judge, judge_request
from ...domain.identifiers import is_belgian_enterprise_number
from ...domain.registration import Submission
from ...domain.remarks import RemarkCode
from ...domain.sectors import Regime, Sector
from ...domain.texts import N_
from ...domain.visibility import Caller, CallerKind, Role
from ...sources.models import Contract, DimonaPeriod, Enterprise, LimosaDeclaration, Mandate, Person, WorkDeclaration
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..runtime import Runtime
from .checking import preview_remarks
from .registering import Accepted, register_presences

ENROLLING_ROLES = frozenset({Role.DECLARANT, Role.REGISTRAR})


@dataclass(frozen=True)
class Device:
    id: int
    enterprise: str
    workplace: str
    name: str
    enrolled_at: datetime
    revoked_at: datetime | None
    last_counter: int


def _view(row: GatewayDevice) -> Device:
    return Device(row.id, row.enterprise, row.workplace, row.name, row.enrolled_at, row.revoked_at,
                  row.last_counter)


def _declaring_contractor(caller: Caller, enterprise: str) -> bool:
    return (caller.kind is CallerKind.ENTERPRISE and caller.enterprise == enterprise
            and bool(caller.roles & ENROLLING_ROLES))


def enrol_device(runtime: Runtime, caller: Caller, workplace: str, name: str, public_key_pem: str) -> Device:
    """Enrol a kiosk for a workplace of the caller's enterprise as declaring contractor (its declarants and
    registrars)."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidRequest(N_("The kiosk's key is not an EC P-256 public key (PEM)."), "public_key")
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        declaration = session.get(WorkDeclaration, (workplace or "").strip().upper()[:13])
        if declaration is None or declaration.cancelled_at is not None \
                or Sector(declaration.sector) is Sector.CLEANING:
            raise NotFound(N_("No construction or meat workplace in force has this number."))
        if not _declaring_contractor(caller, declaration.declaring_contractor):
            raise NotAllowed(N_("Only the declaring contractor's declarants and registrars set up a kiosk for its "
                                "workplace."))
        row = GatewayDevice(enterprise=declaration.declaring_contractor, workplace=declaration.number,
                            name=(name or "").strip()[:100] or declaration.number, public_key=public_key_pem,
                            enrolled_at=now, enrolled_by=caller.sender_id, last_counter=0, last_digest=GENESIS)
        session.add(row)
        session.flush()
        audit.record(session, caller, Channel.GATEWAY, "gateway.enrolled", "gateway_device", [row.id], now,
                     {"workplace": declaration.number})
        return _view(row)


def devices_of(runtime: Runtime, caller: Caller) -> list[Device]:
    if caller.kind is not CallerKind.ENTERPRISE or not caller.enterprise:
        return []
    with runtime.db.reading() as session:
        return [_view(row) for row in session.scalars(select(GatewayDevice).where(
            GatewayDevice.enterprise == caller.enterprise).order_by(GatewayDevice.id))]


def revoke_device(runtime: Runtime, caller: Caller, device_id: int) -> None:
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        row = session.get(GatewayDevice, device_id)
        if row is None or not _declaring_contractor(caller, row.enterprise):
            raise NotFound(N_("No kiosk of your enterprise has this number."))
        if row.revoked_at is None:
            row.revoked_at = now
            audit.record(session, caller, Channel.GATEWAY, "gateway.revoked", "gateway_device", [row.id], now)


@dataclass(frozen=True)
class Received:
    """What became of one entry: its receipt number, or why it was refused (marked for the catalogues); and, when
    asked, what covers the person (the kiosk's green light)."""

    counter: int
    receipt: int | None
    refused: str | None
    coverage: Coverage | None = None


class _EntryRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def device_caller(device: Device) -> Caller:
    """A kiosk registers for its enterprise, as its registrar would."""
    return Caller.enterprise_account(device.enterprise, (Role.REGISTRAR,), sender_id=f"gateway:{device.id}",
                                     user_type="GATEWAY")


def receive(runtime: Runtime, device_id: int, entries: list[Entry], cover: bool = False) -> list[Received]:
    """Take a kiosk's entries in the order sent: each is judged against the kiosk's chain and registered in the
    same transaction that moves the chain on, so that it is taken exactly once; one refused does not stop the
    others from being judged (those chained to it are refused too). With `cover`, each one taken says what
    covers its person today (for a registration just made on the kiosk)."""
    with runtime.db.reading() as session:
        row = session.get(GatewayDevice, device_id)
        if row is None:
            raise NotFound(N_("No kiosk has this number."))
        device = _view(row)
    if device.revoked_at is not None:
        return [Received(entry.counter, None, N_("the kiosk is revoked")) for entry in entries]
    results = []
    for entry in entries:
        made_at = entry.instant()

        def take(session: Session, entry: Entry = entry) -> None:
            found = session.scalar(for_update(session, select(GatewayDevice).where(GatewayDevice.id == device_id)))
            if found.revoked_at is not None:
                raise _EntryRefused(N_("the kiosk is revoked"))
            chain = Chain(found.last_counter, found.last_digest, found.last_made_at, found.enrolled_at)
            reason = judge(entry, chain, found.public_key, runtime.clock.now())
            if reason is None and entry.workplace != found.workplace:
                reason = N_("the kiosk is set up for another workplace")
            if reason is not None:
                raise _EntryRefused(reason)
            found.last_counter, found.last_digest, found.last_made_at = entry.counter, entry.digest(), \
                entry.instant()

        enterprise = entry.enterprise or None
        belgian = enterprise is not None and is_belgian_enterprise_number(enterprise)
        submission = Submission(workplace=entry.workplace, inss=entry.inss, limosa_id=entry.limosa_id,
                                enterprise_number=enterprise if belgian else None,
                                foreign_vat=enterprise if enterprise and not belgian else None,
                                registration_date=belgian_date(made_at) if made_at else None)
        try:
            [outcome] = register_presences(runtime, device_caller(device), Channel.GATEWAY, Regime.DAY, [submission],
                                           made_at=made_at, also=take)
        except _EntryRefused as refused:
            results.append(Received(entry.counter, None, refused.reason))
            continue
        if isinstance(outcome, Accepted):
            covered = coverage(runtime, entry.workplace, entry.inss, entry.limosa_id, enterprise,
                               outcome.presence.id) if cover else None
            results.append(Received(entry.counter, outcome.presence.id, None, covered))
        else:  # taken (the chain moved on), but formally wrong: said, as to any channel
            results.append(Received(entry.counter, None, outcome.errors[0].message))
    return results


def chain_head(runtime: Runtime, device_id: int) -> tuple[int, str]:
    """The counter and digest of the last entry taken from a kiosk: what its next entry follows."""
    with runtime.db.reading() as session:
        row = session.get(GatewayDevice, device_id)
        return row.last_counter, row.last_digest


def rename_device(runtime: Runtime, caller: Caller, device_id: int, name: str) -> None:
    name = (name or "").strip()[:100]
    if not name:
        raise InvalidRequest(N_("Give the kiosk a name, for example where it stands."), "name")
    with runtime.db.writing() as session:
        row = session.get(GatewayDevice, device_id)
        if row is None or not _declaring_contractor(caller, row.enterprise):
            raise NotFound(N_("No kiosk of your enterprise has this number."))
        row.name = name


# What covers a person on a workplace today, as a kiosk's lights show it: each remark of the checks says which
# of the three does not.
DECLARATION_REMARKS = frozenset({RemarkCode.DECLARATION_UNKNOWN, RemarkCode.DECLARATION_NOT_ACTIVE,
                                 RemarkCode.COMPANY_NOT_IN_DECLARATION, RemarkCode.SITE_NOT_SUBJECT,
                                 RemarkCode.CONTRACT_NOT_ACTIVE})


@dataclass(frozen=True)
class Coverage:
    """Whether the declaration (and the enterprise's place in its chain), the Dimona or Limosa, and the person's
    own record cover him today; `remarks` says what does not, as the checks will."""

    remarks: tuple[RemarkCode, ...]

    @property
    def covered(self) -> bool:
        """Registered twice the same day is no lack of cover."""
        return not set(self.remarks) - {RemarkCode.DUPLICATE}

    @property
    def already(self) -> bool:
        """He was registered here today already."""
        return RemarkCode.DUPLICATE in self.remarks

    @property
    def declaration(self) -> bool:
        return not DECLARATION_REMARKS & set(self.remarks)

    @property
    def employment(self) -> bool:
        """Dimona, a mandate, or Limosa."""
        return not (set(self.remarks) - DECLARATION_REMARKS - {RemarkCode.DUPLICATE, RemarkCode.INSS_UNKNOWN})


def coverage(runtime: Runtime, workplace: str, inss: str | None, limosa_id: str | None,
             enterprise: str | None, registration_id: int | None = None) -> Coverage:
    """What the checks would say now of this person registered today on the workplace (the kiosk's green light,
    before the asynchronous checks confirm); of his registration `registration_id`, once stored."""
    now = runtime.clock.now()
    belgian = enterprise is not None and is_belgian_enterprise_number(enterprise)
    subject = Subject(belgian_date(now), inss, limosa_id, enterprise if belgian else None,
                      enterprise if enterprise and not belgian else None)
    with runtime.db.reading() as session:
        return Coverage(tuple(preview_remarks(session, subject, workplace, now, registration_id)))


# --- what a kiosk asks besides sending entries: each request signed by its key ----------------------------------

@dataclass(frozen=True)
class KioskState:
    """What a kiosk learns of itself at the registry: its workplace (and the chain of enterprises on it, for
    people to choose from when the link is down), whether it is revoked, and the last entry taken."""

    device: Device
    address: str
    chain: tuple[tuple[str, str], ...]  # (number, name) of the enterprises on the workplace
    last_digest: str


def _signed_by(session: Session, device_id: int, purpose: str, at: str, fields: dict, signature: str,
               now: datetime) -> GatewayDevice:
    row = session.get(GatewayDevice, device_id)
    if row is None:
        raise NotFound(N_("No kiosk has this number."))
    reason = judge_request(row.public_key, signature, device_id, purpose, at, fields, now)
    if reason is not None:
        raise NotAllowed(reason)
    return row


def kiosk_state(runtime: Runtime, device_id: int, at: str, signature: str) -> KioskState:
    """Where a kiosk stands; asked by the kiosk itself (a signed request), also to learn it is enrolled."""
    with runtime.db.reading() as session:
        row = _signed_by(session, device_id, "state", at, {}, signature, runtime.clock.now())
        declaration = session.get(WorkDeclaration, row.workplace)
        chain = session.execute(
            select(Contract.enterprise, Enterprise.name).join(Enterprise, Enterprise.number == Contract.enterprise,
                                                              isouter=True)
            .where(Contract.declaration_number == row.workplace).order_by(Contract.level, Contract.id)).all()
        seen: dict[str, str] = {}
        for number, name in chain:
            seen.setdefault(number, name or number)
        return KioskState(_view(row), declaration.place.address if declaration else "", tuple(seen.items()),
                          row.last_digest)


@dataclass(frozen=True)
class PersonAtKiosk:
    """Who a kiosk's user is, as the kiosk shows it: his first name and the initial of his surname (whoever types
    a number learns no more), and the enterprises he may be registering for today on the kiosk's workplace."""

    found: bool
    name: str
    enterprises: tuple[tuple[str, str], ...]  # (number, name)


def _short_name(given: str, family: str) -> str:
    first = given.split()[0] if given.strip() else ""
    return f"{first} {family[:1]}.".strip() if family else first


def person_at_kiosk(runtime: Runtime, device_id: int, at: str, signature: str, inss: str | None,
                    limosa_id: str | None) -> PersonAtKiosk:
    """For a revoked kiosk: `NotAllowed`. The enterprises: his employers with a Dimona today that are in the
    workplace's chain, the enterprises he is a founder or mandatary of (a self-employed person), or his Limosa
    declaration's employer."""
    now = runtime.clock.now()
    today = belgian_date(now)
    fields = {"inss": inss} if inss else {"limosa_id": limosa_id}
    with runtime.db.reading() as session:
        row = _signed_by(session, device_id, "person", at, fields, signature, now)
        if row.revoked_at is not None:
            raise NotAllowed(N_("the kiosk is revoked"))
        if limosa_id:
            posting = session.get(LimosaDeclaration, limosa_id)
            if posting is None:
                return PersonAtKiosk(False, "", ())
            return PersonAtKiosk(True, _short_name(posting.given_name, posting.family_name),
                                 ((posting.employer, posting.employer_name),))
        person = session.get(Person, inss)
        in_chain = select(Contract.enterprise).where(Contract.declaration_number == row.workplace)
        employers = select(DimonaPeriod.employer).where(
            DimonaPeriod.inss == inss, DimonaPeriod.employer.in_(in_chain), DimonaPeriod.starts_on <= today,
            or_(DimonaPeriod.ends_on.is_(None), DimonaPeriod.ends_on >= today))
        own = select(Mandate.enterprise).where(Mandate.inss == inss, Mandate.starts_on <= today,
                                               or_(Mandate.ends_on.is_(None), Mandate.ends_on >= today))
        enterprises = session.execute(select(Enterprise.number, Enterprise.name).where(
            or_(Enterprise.number.in_(employers), Enterprise.number.in_(own))).order_by(Enterprise.name)).all()
    return PersonAtKiosk(person is not None, _short_name(person.given_name, person.family_name) if person else "",
                         tuple((number, name) for number, name in enterprises))
