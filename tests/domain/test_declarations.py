"""The rules of work declarations, at and around their boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from presence.domain.declarations import (
    NUMBER_ALPHABET,
    Link,
    chain_problems,
    must_be_declared,
    new_number,
    registration_threshold,
    subject_to_registration,
)
from presence.domain.identifiers import parse_work_declaration_number
from presence.domain.sectors import Sector


@pytest.mark.parametrize(("amount", "subcontractors", "declared"), [
    ("30000", 0, True), ("29999.99", 0, False), ("29999.99", 1, True),
    ("5000", 1, True), ("5000", 0, False), ("4999.99", 1, False), ("4999.99", 2, True), ("0", 2, True),
    ("0", 1, False), (Decimal("1e6"), 0, True),
])
def test_which_contracts_must_be_declared(amount, subcontractors, declared):
    assert must_be_declared(Decimal(amount) if isinstance(amount, str) else amount, subcontractors) is declared


@pytest.mark.parametrize(("start", "total", "subject"), [
    (date(2016, 3, 1), "500000", True), (date(2016, 3, 1), "499999.99", False),
    (date(2016, 2, 29), "500000", False), (date(2016, 2, 29), "799999.99", False),
    (date(2016, 2, 29), "800000", True), (date(2014, 4, 1), "800000", True),
    (date(2013, 1, 1), "800000", True), (date(2026, 12, 5), "620000", True),
])
def test_construction_is_subject_from_the_threshold_of_its_start(start, total, subject):
    assert subject_to_registration(Sector.CONSTRUCTION, Decimal(total), start) is subject


def test_meat_and_cleaning_always_are_subject():
    for sector in (Sector.MEAT, Sector.CLEANING):
        assert subject_to_registration(sector, 0, date(2026, 1, 1))
    assert registration_threshold(date(2020, 1, 1)) == 500_000


def test_new_numbers_are_well_formed_and_not_in_sequence():
    numbers = {new_number() for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(parse_work_declaration_number(number) == number for number in numbers)
    assert set("".join(numbers)) == set(NUMBER_ALPHABET)  # the whole alphabet, no I nor O


CONTRACTOR, A, B, C = "0448181966", "0403019261", "0566988259", "0428759497"
START, END = date(2026, 1, 1), date(2026, 12, 31)


def problems(*links, end=END):
    return [(p.field, p.reason) for p in chain_problems(CONTRACTOR, START, end, links)]


def test_a_tree_of_two_levels_inside_its_principals_periods_is_consistent():
    assert problems(Link(A, CONTRACTOR, START, END), Link(B, A, date(2026, 3, 1), date(2026, 6, 30)),
                    Link(C, CONTRACTOR, START, None), end=None) == []
    # listed before its principal: still fine
    assert problems(Link(B, A, date(2026, 3, 1), date(2026, 6, 30)), Link(A, CONTRACTOR, START, END)) == []


def test_a_subcontractor_outside_its_principals_period_is_named():
    assert problems(Link(A, CONTRACTOR, START, END), Link(B, A, date(2025, 12, 31), date(2026, 6, 30))) == [
        ("subcontractors.1.starts_on", "the period is not inside the principal's")]
    assert problems(Link(A, CONTRACTOR, START, date(2026, 6, 30)), Link(B, A, START, date(2026, 7, 1))) == [
        ("subcontractors.1.starts_on", "the period is not inside the principal's")]
    # Without an end of its own, it ends with its principal's subcontract.
    assert problems(Link(A, CONTRACTOR, START, date(2026, 6, 30)), Link(B, A, START, None)) == []


def test_unknown_principals_cycles_duplicates_and_bad_values_are_named():
    assert problems(Link(A, B, START, END)) == [("subcontractors.0.principal", "the principal is not in the chain")]
    assert problems(Link(A, B, START, END), Link(B, A, START, END)) == [
        ("subcontractors.0.principal", "the chain goes round in a circle"),
        ("subcontractors.1.principal", "the chain goes round in a circle")]
    assert problems(Link(A, CONTRACTOR, START, END), Link(A, CONTRACTOR, START, END)) == [
        ("subcontractors.1.enterprise", "this enterprise is in the chain already")]
    assert problems(Link(CONTRACTOR, CONTRACTOR, START, END)) == [
        ("subcontractors.0.enterprise", "this enterprise is in the chain already")]
    assert problems(Link(A, CONTRACTOR, END, START, Decimal(-1))) == [
        ("subcontractors.0.ends_on", "the end is before the start"),
        ("subcontractors.0.amount", "an amount cannot be negative")]
