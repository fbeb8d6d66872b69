"""Run the content checks on stored registrations and record their outcome.

Evidence for a whole batch is gathered in a few queries (one per source), then `domain.checks` decides
each registration's remarks. A validation is appended to the history when the registration had none yet,
when it was corrected, or when the outcome changed (a late Dimona, an extended declaration ...); re-checks
that change nothing leave the history alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import belgian_date
from ...db.batching import plan_with_actual_values, select_in
from ...db.bulk import bulk_insert, bulk_update
from ...db.locking import for_update
from ...db.models import Registration, Validation
from ...domain.checks import (
    DeclarationFacts,
    EnterpriseFacts,
    Evidence,
    LimosaFacts,
    Period,
    Subject,
    duplicate_key,
    remarks_for,
)
from ...domain.remarks import RemarkCode, encode_codes
from ...domain.shifts import PAIRING_CONTEXT, pair_each
from ...domain.statuses import Lifecycle, Validity
from ...sources.models import (
    Contract,
    DimonaPeriod,
    EmployerPeriod,
    Enterprise,
    LimosaDeclaration,
    Mandate,
    Person,
    WorkDeclaration,
)

# Triggers that always leave a trace in the history, even when the outcome is unchanged.
RECORDED_TRIGGERS = {"registration", "correction"}

_COLUMNS = (Registration.id, Registration.regime, Registration.registration_date, Registration.clocked_at,
            Registration.direction, Registration.inss, Registration.limosa_id, Registration.enterprise_number,
            Registration.foreign_vat, Registration.workplace, Registration.validity, Registration.remark_codes,
            Registration.sector)
_LIVE = Registration.lifecycle != str(Lifecycle.CANCELLED)


def check_registrations(session: Session, ids: list[int], trigger: str, now: datetime,
                        job_id: int | Mapping[int, int] | None = None, days: Iterable[date] | None = None) -> int:
    """Check these registrations (cancelled ones are skipped). Returns the number of validations written.

    `job_id`: the job that asked, recorded with each validation; for several jobs checked together, the job of
    each id (a registration re-checked because of its pairing gets the job of a registration of the same person
    and workplace). `days`: the registration dates of `ids` when known, so that only their months are read.

    The registrations are locked first (PostgreSQL; SQLite's writer lock already serialises checks), so two
    checks of the same registration run one after the other and the later one, which read the newer
    sources, has the last word.
    """
    plan_with_actual_values(session)
    wanted = set(ids)
    # Clockings: a new check-in or check-out can change the pairing remarks of the later ones.
    requested = _load(session, ids, lock=False, days=days)
    context = clocking_context(session, [r for r in requested if r.clocked_at is not None and r.inss])
    earliest: dict[tuple, datetime] = {}
    for r in requested:
        if r.clocked_at is not None:
            key = (r.inss, r.workplace)
            earliest[key] = min(earliest.get(key, r.clocked_at), r.clocked_at)
    later = {r.id for r in context if r.validity != Validity.PENDING  # those pending get their own check
             and (r.inss, r.workplace) in earliest and r.clocked_at >= earliest[(r.inss, r.workplace)]}
    registrations = _load(session, set(ids) | later, lock=True, days={
        r.registration_date for r in (*requested, *context) if r.id in later or r.id in wanted})
    if not registrations:
        return 0

    evidence, sectors = _gather(session, registrations, now, context)

    validations, changes = [], []
    job_of = _jobs(job_id, requested)
    for reg in registrations:
        remarks = remarks_for(
            Subject(reg.registration_date, reg.inss, reg.limosa_id, reg.enterprise_number, reg.foreign_vat),
            evidence[reg.id],
        )
        validity = Validity.INVALID if remarks else Validity.VALID
        codes = encode_codes(remarks)
        changed = reg.validity != validity or reg.remark_codes != codes
        recorded = reg.id in wanted and trigger in RECORDED_TRIGGERS
        if not (changed or recorded or reg.validity == Validity.PENDING):
            continue
        validations.append({"registration_id": reg.id, "registration_date": reg.registration_date,
                            "validated_at": now, "validity": str(validity), "remark_codes": codes,
                            "trigger": trigger if reg.id in wanted else "pairing", "job_id": job_of(reg)})
        changes.append({"id": reg.id, "registration_date": reg.registration_date, "validity": str(validity),
                        "remark_codes": codes, "validated_at": now, "sector": sectors.get(reg.workplace, reg.sector)})

    if validations:
        bulk_insert(session, Validation.__table__, validations)
        bulk_update(session, Registration.__table__, changes, partition_key="registration_date")
    return len(validations)


def _jobs(job_id: int | Mapping[int, int] | None, requested: list):
    """The job to record with each registration's validation."""
    if not isinstance(job_id, Mapping):
        return lambda reg: job_id
    by_pair: dict[tuple, int] = {}
    for r in requested:
        by_pair.setdefault((r.inss, r.workplace), job_id[r.id])
    return lambda reg: job_id.get(reg.id, by_pair.get((reg.inss, reg.workplace)))


def _load(session: Session, ids, lock: bool, days: Iterable[date] | None = None) -> list:
    """The live registrations among `ids` (dated one of `days`, when given); locked, in id order (no
    deadlocks), on PostgreSQL when asked."""
    query = select(*_COLUMNS).where(_LIVE).order_by(Registration.id)
    if days is not None:
        query = query.where(Registration.registration_date.in_(sorted(set(days))))
    if lock:
        query = for_update(session, query, of=Registration)
    return sorted(select_in(session, query, Registration.id, ids), key=lambda r: r.id)


def clocking_context(session: Session, clockings, *conditions) -> list:
    """The live clockings of the same people at the same workplaces within pairing reach of these (and that meet
    the `conditions`, e.g. a caller's consultation scope)."""
    if not clockings:
        return []
    low = min(c.clocked_at for c in clockings) - PAIRING_CONTEXT
    high = max(c.clocked_at for c in clockings) + PAIRING_CONTEXT
    query = select(*_COLUMNS).where(_LIVE, Registration.clocked_at.between(low, high), *conditions,
                                    # a clocking's date is its Belgian day: only those months are read
                                    Registration.registration_date.between(belgian_date(low), belgian_date(high)))
    keys = {(c.inss, c.workplace) for c in clockings}
    rows = select_in(session, query, Registration.inss, {inss for inss, _ in keys})
    return [r for r in rows if (r.inss, r.workplace) in keys]


def _gather(session: Session, registrations: list, now: datetime, context: list
            ) -> tuple[dict[int, Evidence], dict[str, int]]:
    """What the sources say about each registration, and the sector of each known workplace."""
    inss = {r.inss for r in registrations if r.inss}
    kbo = {r.enterprise_number for r in registrations if r.enterprise_number}
    vats = {r.foreign_vat for r in registrations if r.foreign_vat}
    limosa_ids = {r.limosa_id for r in registrations if r.limosa_id}
    workplaces = {r.workplace for r in registrations}

    declarations = {d.number: d for d in select_in(
        session, select(WorkDeclaration.number, WorkDeclaration.sector, WorkDeclaration.starts_on,
                        WorkDeclaration.ends_on, WorkDeclaration.subject_to_registration,
                        WorkDeclaration.declaring_contractor).where(WorkDeclaration.cancelled_at.is_(None)),
        WorkDeclaration.number, workplaces)}
    contracts: dict[str, dict[str, list[Period]]] = defaultdict(lambda: defaultdict(list))
    for c in select_in(session, select(Contract.declaration_number, Contract.enterprise, Contract.starts_on,
                                        Contract.ends_on), Contract.declaration_number, declarations):
        contracts[c.declaration_number][c.enterprise].append(Period(c.starts_on, c.ends_on))
    declaration_facts = {
        number: DeclarationFacts(Period(d.starts_on, d.ends_on), bool(d.subject_to_registration),
                                 d.declaring_contractor, dict(contracts[number]))
        for number, d in declarations.items()
    }

    known_people = {row.inss for row in select_in(session, select(Person.inss), Person.inss, inss)}

    employer_periods: dict[str, list[Period]] = defaultdict(list)
    for p in select_in(session, select(EmployerPeriod.enterprise, EmployerPeriod.starts_on, EmployerPeriod.ends_on),
                        EmployerPeriod.enterprise, kbo):
        employer_periods[p.enterprise].append(Period(p.starts_on, p.ends_on))
    enterprises = {
        e.number: EnterpriseFacts(bool(e.natural_person), Period(e.starts_on, e.ends_on),
                                  tuple(employer_periods[e.number]))
        for e in select_in(session, select(Enterprise.number, Enterprise.natural_person, Enterprise.starts_on,
                                            Enterprise.ends_on), Enterprise.number, kbo)
    }

    mandates: dict[tuple[str, str], list[Period]] = defaultdict(list)
    dimona: dict[tuple[str, str], list[Period]] = defaultdict(list)
    if kbo:
        for m in select_in(session, select(Mandate.enterprise, Mandate.inss, Mandate.starts_on, Mandate.ends_on)
                            .where(Mandate.enterprise.in_(kbo)), Mandate.inss, inss):
            mandates[(m.inss, m.enterprise)].append(Period(m.starts_on, m.ends_on))
        for d in select_in(session, select(DimonaPeriod.inss, DimonaPeriod.employer, DimonaPeriod.starts_on,
                                            DimonaPeriod.ends_on).where(DimonaPeriod.employer.in_(kbo)),
                            DimonaPeriod.inss, inss):
            dimona[(d.inss, d.employer)].append(Period(d.starts_on, d.ends_on))

    limosa_columns = (LimosaDeclaration.number, LimosaDeclaration.employer, LimosaDeclaration.inss,
                      LimosaDeclaration.starts_on, LimosaDeclaration.ends_on)
    limosa = {d.number: LimosaFacts(Period(d.starts_on, d.ends_on), d.employer, d.inss)
              for d in select_in(session, select(*limosa_columns), LimosaDeclaration.number, limosa_ids)}
    limosa_of_person: dict[tuple[str, str], list[LimosaFacts]] = defaultdict(list)
    if vats:
        posted = {r.inss for r in registrations if r.inss and r.foreign_vat}
        for d in select_in(session, select(*limosa_columns).where(LimosaDeclaration.employer.in_(vats)),
                            LimosaDeclaration.inss, posted):
            limosa_of_person[(d.inss, d.employer)].append(LimosaFacts(Period(d.starts_on, d.ends_on), d.employer,
                                                                      d.inss))

    duplicates = _duplicates(session, registrations)
    pairing = _pairing(registrations, context, now)

    evidence = {}
    for r in registrations:
        evidence[r.id] = Evidence(
            declaration=declaration_facts.get(r.workplace),
            person_known=r.inss is None or r.inss in known_people,
            enterprise=enterprises.get(r.enterprise_number),
            dimona=dimona.get((r.inss, r.enterprise_number), []),
            mandates=mandates.get((r.inss, r.enterprise_number), []),
            limosa=limosa.get(r.limosa_id),
            limosa_of_person=limosa_of_person.get((r.inss, r.foreign_vat), []),
            duplicate=r.id in duplicates,
            pairing=pairing.get(r.id),
        )
    return evidence, {number: d.sector for number, d in declarations.items()}


_NOT_YET_STORED = 2**62  # a receipt number later than any: every registration stored counts as earlier


def preview_remarks(session: Session, subject: Subject, workplace: str, now: datetime,
                    registration_id: int | None = None) -> list[RemarkCode]:
    """What the checks would find of this registration, were it stored now (a day registration), or of the one
    just stored as `registration_id`: the same sources and rules as `check_registrations`, before the
    asynchronous checks confirm. A kiosk's green light."""
    registration = SimpleNamespace(id=registration_id or _NOT_YET_STORED, regime="day",
                                   registration_date=subject.registration_date, clocked_at=None, direction=None,
                                   inss=subject.inss, limosa_id=subject.limosa_id,
                                   enterprise_number=subject.enterprise_number, foreign_vat=subject.foreign_vat,
                                   workplace=workplace)
    evidence, _ = _gather(session, [registration], now, [])
    return remarks_for(subject, evidence[registration.id])


def _duplicates(session: Session, registrations: list) -> set[int]:
    """Registrations with an earlier live registration of the same person, employer, workplace and date
    (for clockings: the same direction and minute)."""
    query = select(Registration.id, Registration.inss, Registration.limosa_id, Registration.enterprise_number,
                   Registration.foreign_vat, Registration.workplace, Registration.registration_date,
                   Registration.clocked_at, Registration.direction).where(
        Registration.lifecycle != str(Lifecycle.CANCELLED))
    # Only the same person on the same date can be a duplicate: the (person, date) indexes find them.
    days = {r.registration_date for r in registrations}
    rows = []
    for column, attribute in ((Registration.inss, "inss"), (Registration.limosa_id, "limosa_id")):
        people = {getattr(r, attribute) for r in registrations if getattr(r, attribute)}
        if people:
            rows += select_in(session, query.where(Registration.registration_date.in_(days)), column, people)
    first_of: dict[tuple, int] = {}
    for row in rows:
        key = duplicate_key(row)
        if key not in first_of or row.id < first_of[key]:
            first_of[key] = row.id
    return {r.id for r in registrations if first_of.get(duplicate_key(r), r.id) < r.id}


def _pairing(registrations: list, context: list, now: datetime) -> dict[int, RemarkCode]:
    remarks: dict[int, RemarkCode] = {}
    for result in pair_each([*registrations, *context], now):
        for registration_id in result.orphan_outs:
            remarks[registration_id] = RemarkCode.OUT_WITHOUT_IN
        for registration_id in result.second_ins:
            remarks[registration_id] = RemarkCode.SECOND_IN
    return remarks


def dependents_of(session: Session, changed: list[Registration]) -> set[int]:
    """Registrations whose remarks may depend on these (before they were cancelled or corrected): the later
    registrations of the same presence (one was a duplicate of it) and, in cleaning, the clockings paired
    after it."""
    affected: set[int] = set()
    for r in changed:
        person = Registration.inss == r.inss if r.inss else Registration.limosa_id == r.limosa_id
        others = [Registration.id != r.id, _LIVE, person]
        same_day = session.scalars(select(Registration).where(
            *others, Registration.id > r.id, Registration.registration_date == r.registration_date))
        affected.update(other.id for other in same_day if duplicate_key(other) == duplicate_key(r))
        if r.clocked_at is not None:
            affected.update(session.scalars(select(Registration.id).where(
                *others, Registration.workplace == r.workplace,
                Registration.clocked_at.between(r.clocked_at, r.clocked_at + PAIRING_CONTEXT))))
    return affected
