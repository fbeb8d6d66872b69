"""Work declarations (Déclaration de travaux / Aangifte van werken, art. 30bis): when a contract must be
declared, when its workplace is subject to presence registration, and what makes a declaration's chain of
subcontractors consistent. Pure rules, no I/O; the README's "Work declarations" section gives their sources.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .sectors import Sector
from .texts import N_

# When a contract must be declared before the works start (amounts excl. VAT).
DECLARE_ALWAYS_FROM_EUR = Decimal(30_000)
DECLARE_WITH_ONE_SUBCONTRACTOR_FROM_EUR = Decimal(5_000)

# Presence registration in construction: from 1 April 2014 for works of €800,000 or more; for works started after
# 29 February 2016, from €500,000. Works started before 1 April 2014 and still running are held to the first
# threshold (*ours*: the obligation reached the works running then).
LOWER_THRESHOLD_FROM = date(2016, 3, 1)
THRESHOLD_BEFORE_MARCH_2016_EUR = Decimal(800_000)
THRESHOLD_EUR = Decimal(500_000)

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"  # no I, no O
NUMBER_LENGTH = 13


def must_be_declared(amount_eur: Decimal | float, subcontractors: int) -> bool:
    """Whether a contract must be declared: from €30,000; from €5,000 with at least one subcontractor; below
    that with two or more."""
    amount = Decimal(str(amount_eur))
    if amount >= DECLARE_ALWAYS_FROM_EUR:
        return True
    if amount >= DECLARE_WITH_ONE_SUBCONTRACTOR_FROM_EUR:
        return subcontractors >= 1
    return subcontractors >= 2


def registration_threshold(works_start: date) -> Decimal:
    """The total (excl. VAT) from which construction works started on `works_start` are subject to presence
    registration."""
    return THRESHOLD_BEFORE_MARCH_2016_EUR if works_start < LOWER_THRESHOLD_FROM else THRESHOLD_EUR


def subject_to_registration(sector: Sector, total_eur: Decimal | float, works_start: date) -> bool:
    """Whether the workplace is subject to presence registration: construction when the declared contracts with
    the client total the threshold of the works' start; meat and cleaning always."""
    if sector is not Sector.CONSTRUCTION:
        return True
    return Decimal(str(total_eur)) >= registration_threshold(works_start)


def new_number() -> str:
    """A new declaration number: 13 characters of the alphabet, drawn at random (never guessable in sequence)."""
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


@dataclass(frozen=True)
class Link:
    """A subcontractor in a declaration's chain: the enterprise, its direct principal, its period."""

    enterprise: str
    principal: str
    starts_on: date
    ends_on: date | None
    amount_eur: Decimal | None = None


@dataclass(frozen=True)
class Problem:
    """What is wrong with a declaration, for the field it concerns (`subcontractors.3.starts_on`...)."""

    field: str
    reason: str  # English, marked for the catalogues


def chain_problems(contractor: str, starts_on: date, ends_on: date | None, links: Iterable[Link]) -> list[Problem]:
    """Every reason the chain of subcontractors is not consistent: each has a principal already in the chain
    (the declaring contractor or a subcontractor), no enterprise twice, no cycle, and a period inside its
    principal's (a subcontract without an end ends with its principal's)."""
    problems: list[Problem] = []
    links = list(links)
    periods: dict[str, tuple[date, date | None]] = {contractor: (starts_on, ends_on)}
    principals: dict[str, str] = {}
    for index, link in enumerate(links):
        where = f"subcontractors.{index}"
        if link.enterprise == contractor or link.enterprise in principals:
            problems.append(Problem(f"{where}.enterprise", N_("this enterprise is in the chain already")))
            continue
        if link.ends_on is not None and link.ends_on < link.starts_on:
            problems.append(Problem(f"{where}.ends_on", N_("the end is before the start")))
        if link.amount_eur is not None and Decimal(str(link.amount_eur)) < 0:
            problems.append(Problem(f"{where}.amount", N_("an amount cannot be negative")))
        principals[link.enterprise] = link.principal
        periods[link.enterprise] = (link.starts_on, link.ends_on)
    for index, link in enumerate(links):
        where = f"subcontractors.{index}"
        if principals.get(link.enterprise) != link.principal:
            continue  # a duplicate, said above
        if link.principal not in periods:
            problems.append(Problem(f"{where}.principal", N_("the principal is not in the chain")))
            continue
        if _in_cycle(link.enterprise, principals, contractor):
            problems.append(Problem(f"{where}.principal", N_("the chain goes round in a circle")))
            continue
        start, end = periods[link.principal]
        # No end of its own: it ends with its principal's subcontract.
        if link.starts_on < start or (end is not None and link.ends_on is not None and link.ends_on > end):
            problems.append(Problem(f"{where}.starts_on", N_("the period is not inside the principal's")))
    return problems


def _in_cycle(enterprise: str, principals: dict[str, str], contractor: str) -> bool:
    seen = {enterprise}
    current = principals.get(enterprise)
    while current is not None and current != contractor:
        if current in seen:
            return True
        seen.add(current)
        current = principals.get(current)
    return False


def under(chain: Iterable[tuple[str, str | None]], enterprise: str) -> set[str]:
    """The enterprises under `enterprise` in a chain given as (enterprise, its direct principal) pairs: its
    subcontractors, theirs, and so on (not itself)."""
    children: dict[str, list[str]] = {}
    for child, principal in chain:
        children.setdefault(principal or "", []).append(child)
    seen: set[str] = set()
    todo = list(children.get(enterprise, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(children.get(current, ()))
    return seen
