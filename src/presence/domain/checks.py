"""Content checks: the remarks a registration gets against the authentic sources.

Pure: the services gather the `Evidence` (what the sources say about one registration) and this module
decides. The remarks' meanings are in `remarks.py`; the decision tree for the employment relation is:

    Dimona covers the date ........................................ fine (employee)
    founder/mandatary of the enterprise on the date ............... fine (self-employed)
    founder/mandatary, but not on the date ........................ CAW_03
    enterprise registered as an employer, active on the date ...... CAW_01 (Dimona missing)
    enterprise registered as an employer, not active on the date .. CAW_16
    never an employer, a self-employed person's own enterprise .... CAW_05
    never an employer, a company .................................. CAW_02
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .remarks import MAX_REMARKS, RemarkCode


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date | None = None  # None: open-ended

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


def any_covers(periods, day: date) -> bool:
    return any(p.covers(day) for p in periods)


@dataclass(frozen=True)
class DeclarationFacts:
    period: Period
    subject_to_registration: bool
    declaring_contractor: str  # in the chain for the whole declaration period
    # The subcontractors at every level (and the declaring contractor, if listed), with the periods of their
    # contracts on these works.
    contracts: dict[str, list[Period]]


@dataclass(frozen=True)
class EnterpriseFacts:
    natural_person: bool  # a self-employed person's own enterprise, rather than a company
    existence: Period
    employer_periods: tuple[Period, ...] = ()


@dataclass(frozen=True)
class LimosaFacts:
    period: Period
    employer: str  # the foreign employer's VAT number
    inss: str | None  # the posted worker's INSS/BIS, when Limosa knows it


@dataclass(frozen=True)
class Subject:
    """The registration being checked."""

    registration_date: date
    inss: str | None
    limosa_id: str | None
    enterprise_number: str | None
    foreign_vat: str | None


def duplicate_key(r) -> tuple:
    """What two registrations share when the later is a duplicate of the earlier (remark CAW_14): the same
    person, employer, workplace and date; for clockings, the same direction and minute. `r` has the
    registration's attributes."""
    person = r.inss or r.limosa_id
    employer = r.enterprise_number or r.foreign_vat
    if r.clocked_at is not None:
        return (person, employer, r.workplace, r.direction, r.clocked_at.replace(second=0, microsecond=0))
    return (person, employer, r.workplace, r.registration_date)


@dataclass
class Evidence:
    declaration: DeclarationFacts | None = None
    person_known: bool = True
    enterprise: EnterpriseFacts | None = None
    dimona: list[Period] = field(default_factory=list)
    mandates: list[Period] = field(default_factory=list)
    limosa: LimosaFacts | None = None
    limosa_of_person: list[LimosaFacts] = field(default_factory=list)
    duplicate: bool = False
    pairing: RemarkCode | None = None  # cleaning: CAW_18 or CAW_19


def remarks_for(subject: Subject, evidence: Evidence) -> list[RemarkCode]:
    day = subject.registration_date
    found: list[RemarkCode] = []

    # The employer as the work declaration should know it: for a Limosa registration, the foreign employer
    # named in the Limosa declaration.
    employer = subject.enterprise_number or subject.foreign_vat
    if subject.limosa_id is not None:
        limosa = evidence.limosa
        if limosa is None:
            found.append(RemarkCode.LIMOSA_UNKNOWN)
            employer = None
        else:
            employer = limosa.employer
            if not limosa.period.covers(day):
                found.append(RemarkCode.LIMOSA_NOT_ACTIVE)

    found.extend(_declaration_remarks(evidence.declaration, employer, day))

    if subject.inss is not None:
        if not evidence.person_known:
            found.append(RemarkCode.INSS_UNKNOWN)
        if subject.enterprise_number is not None:
            found.extend(_employment_remarks(evidence, day))
        elif subject.foreign_vat is not None:
            if not evidence.limosa_of_person:
                found.append(RemarkCode.INSS_NOT_IN_LIMOSA)
            elif not any(d.period.covers(day) for d in evidence.limosa_of_person):
                found.append(RemarkCode.INSS_NOT_ACTIVE_IN_LIMOSA)

    if evidence.duplicate:
        found.append(RemarkCode.DUPLICATE)
    if evidence.pairing is not None:
        found.append(evidence.pairing)
    return sorted(set(found))[:MAX_REMARKS]


def _declaration_remarks(declaration: DeclarationFacts | None, employer: str | None, day: date):
    if declaration is None:
        return [RemarkCode.DECLARATION_UNKNOWN]
    found = []
    if not declaration.period.covers(day):
        found.append(RemarkCode.DECLARATION_NOT_ACTIVE)
    if not declaration.subject_to_registration:
        found.append(RemarkCode.SITE_NOT_SUBJECT)
    if employer is not None and employer != declaration.declaring_contractor:
        contracts = declaration.contracts.get(employer)
        if contracts is None:
            found.append(RemarkCode.COMPANY_NOT_IN_DECLARATION)
        elif not any_covers(contracts, day):
            found.append(RemarkCode.CONTRACT_NOT_ACTIVE)
    return found


def _employment_remarks(evidence: Evidence, day: date):
    enterprise = evidence.enterprise
    if enterprise is None or not enterprise.existence.covers(day):
        # An unknown number is refused when registering (error 3); it can only be missing here when the
        # enterprise register was corrected since.
        return [RemarkCode.COMPANY_DOES_NOT_EXIST]
    if any_covers(evidence.dimona, day) or any_covers(evidence.mandates, day):
        return []
    if evidence.mandates:
        return [RemarkCode.EMPLOYER_NOT_FOUNDER]
    if enterprise.employer_periods:
        if any_covers(enterprise.employer_periods, day):
            return [RemarkCode.DIMONA_NOT_OK]
        return [RemarkCode.EMPLOYER_NOT_ACTIVE]
    if enterprise.natural_person:
        return [RemarkCode.INDEPENDENT_NOT_FOUNDER]
    return [RemarkCode.INSS_NOT_FOUNDER]
