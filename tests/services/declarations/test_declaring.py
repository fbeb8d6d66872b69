"""Work declarations made here (both engines): declared with a tree of subcontractors, their consequences on the
registrations of the workplace, their history, and bad input that stores nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from presence.db.models import AuditEvent
from presence.domain.declarations import NUMBER_ALPHABET
from presence.domain.remarks import RemarkCode
from presence.domain.sectors import Sector
from presence.domain.statuses import SoapStatus, Validity
from presence.domain.visibility import Caller, Role
from presence.services.declarations import declaring
from presence.services.declarations.declaring import Declaration, DeclarationRefused, Subcontractor
from presence.services.errors import NotAllowed, NotFound
from presence.services.registrations.consulting import get_presence
from presence.sources import simulation
from presence.sources.models import Contract, WorkDeclaration

from ...conftest import TODAY
from ...helpers import count, employee_today, register_one, run_checks

CONTRACTOR = simulation.PUBLIC_ENTERPRISE  # Exemplum Construct SA: employs the public example worker
CLIENT = simulation.PUBLIC_CLIENT
SUB = simulation.PUBLIC_OTHER_ENTERPRISE  # Exemplum Techniek BV, an employer
SUB_SUB = simulation.SCENARIO_BUILDER
DECLARANT = Caller.enterprise_account(CONTRACTOR, (Role.DECLARANT,), sender_id="user:1", user_type="PERSON")
OPERATOR = Caller.operator()


def works(amount="620000", subcontractors=(), **changes) -> Declaration:
    values = dict(sector=Sector.CONSTRUCTION, client=CLIENT, client_name="Immo Exemplum NV", street="Rue Haute",
                  house_number="12", post_code="1000", municipality="Bruxelles", starts_on=TODAY - timedelta(days=30),
                  ends_on=TODAY + timedelta(days=300), amount_eur=Decimal(amount), description="Renovation",
                  contact_name="Nathalie Lambert", contact_email="works@exemplum.example",
                  subcontractors=tuple(subcontractors))
    values.update(changes)
    return Declaration(**values)


def two_levels() -> tuple[Subcontractor, ...]:
    start = TODAY - timedelta(days=10)
    return (Subcontractor("0428.759.497", CONTRACTOR, start, TODAY + timedelta(days=100), "electricity",
                          Decimal("90000")),
            Subcontractor(SUB_SUB, SUB, start, TODAY + timedelta(days=50), "cabling", Decimal("20000")))


def test_a_declaration_with_two_levels_of_subcontractors(runtime):
    number = declaring.declare(runtime, DECLARANT, works(subcontractors=two_levels()))
    assert len(number) == 13 and set(number) <= set(NUMBER_ALPHABET)
    with runtime.db.reading() as session:
        declaration = session.get(WorkDeclaration, number)
        chain = [(c.enterprise, c.parent, c.level) for c in session.scalars(
            select(Contract).where(Contract.declaration_number == number).order_by(Contract.level))]
    assert (declaration.origin, declaration.subject_to_registration, declaration.declaring_contractor) == (
        "online", True, CONTRACTOR)
    assert chain == [(CONTRACTOR, None, 0), (SUB, CONTRACTOR, 1), (SUB_SUB, SUB, 2)]
    seen = declaring.declaration_of(runtime, DECLARANT, number)
    assert seen.names[SUB] == "Exemplum Techniek BV" and seen.names[CONTRACTOR] == "Exemplum Construct SA"
    assert [r.change for r in seen.revisions] == ["declared"] and seen.revisions[0].actor == "user:1"
    # A subcontractor sees its own branch; a stranger, nothing.
    branch = declaring.declaration_of(runtime, Caller.enterprise_account(SUB, (Role.CONSULTANT,)), number)
    assert {s.enterprise for s in branch.subcontractors} == {SUB, SUB_SUB}
    with pytest.raises(NotFound):
        declaring.declaration_of(runtime, Caller.enterprise_account("0566988259", (Role.DECLARANT,)), number)


def test_below_the_threshold_its_registrations_carry_the_not_subject_remark(runtime):
    number = declaring.declare(runtime, DECLARANT, works("499999.99"))
    registration = register_one(runtime, employee_today(workplace=number, registration_date=TODAY))
    run_checks(runtime)
    presence = get_presence(runtime, OPERATOR, registration)
    assert presence.status is SoapStatus.FAILED
    assert [v.remarks for v in presence.history] == [(RemarkCode.SITE_NOT_SUBJECT,)]
    subject = declaring.declare(runtime, DECLARANT, works("500000"))
    registration = register_one(runtime, employee_today(workplace=subject, registration_date=TODAY))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).status is SoapStatus.VALIDATED


def test_a_subcontractor_added_later_validates_the_registration_it_concerns(runtime):
    """CAW_12 (the company is not in the chain), then its subcontract declared: VALIDATED, both in its history."""
    number = declaring.declare(runtime, DECLARANT, works())
    worker, employer = simulation._scenario_inss(1), simulation._scenario_enterprise(11)  # a clean employee
    registration = register_one(runtime, employee_today(workplace=number, inss=worker, enterprise_number=employer,
                                                        registration_date=TODAY))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).status is SoapStatus.FAILED
    declaring.add_subcontractor(runtime, DECLARANT, number,
                                Subcontractor(employer, CONTRACTOR, TODAY - timedelta(days=1), None, "painting"))
    run_checks(runtime)
    presence = get_presence(runtime, OPERATOR, registration)
    assert presence.status is SoapStatus.VALIDATED
    assert [(v.validity, v.remarks, v.trigger) for v in presence.history] == [
        (Validity.INVALID, (RemarkCode.COMPANY_NOT_IN_DECLARATION,), "registration"),
        (Validity.VALID, (), "source:declaration")]
    changes = [r.change for r in declaring.declaration_of(runtime, DECLARANT, number).revisions]
    assert changes == ["declared", "subcontractor_added"]
    with runtime.db.reading() as session:
        assert list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "work_declaration"))) \
            == ["declaration.declared", "declaration.subcontractor_added"]


def test_a_cancelled_declaration_is_as_none_for_the_checks(runtime):
    number = declaring.declare(runtime, DECLARANT, works())
    registration = register_one(runtime, employee_today(workplace=number, registration_date=TODAY))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).status is SoapStatus.VALIDATED
    declaring.cancel_declaration(runtime, DECLARANT, number)
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).history[-1].remarks == (RemarkCode.DECLARATION_UNKNOWN,)
    with pytest.raises(NotFound):
        declaring.add_subcontractor(runtime, DECLARANT, number, two_levels()[0])


@pytest.mark.parametrize(("declaration", "problem"), [
    (works(subcontractors=(Subcontractor(SUB, CONTRACTOR, TODAY - timedelta(days=40), None),)),
     ("subcontractors.0.starts_on", "the period is not inside the principal's")),
    (works(client="0403019262"), ("client", "Enterprise number: wrong check digits.")),
    (works("-1"), ("amount", "Enter an amount in euros, not negative, with at most 2 decimals.")),
    (works(subcontractors=(Subcontractor(SUB, SUB_SUB, TODAY, None), Subcontractor(SUB_SUB, SUB, TODAY, None))),
     ("subcontractors.0.principal", "the chain goes round in a circle")),
    (works(post_code="123"), ("post_code", "Enter a Belgian post code of 4 digits.")),
    (works(ends_on=TODAY - timedelta(days=31)), ("ends_on", "The end is before the start.")),
])
def test_bad_input_is_named_and_stores_nothing(runtime, declaration, problem):
    before = count(runtime.db, WorkDeclaration), count(runtime.db, Contract)
    with pytest.raises(DeclarationRefused) as refused:
        declaring.declare(runtime, DECLARANT, declaration)
    assert problem in refused.value.problems.items()
    assert (count(runtime.db, WorkDeclaration), count(runtime.db, Contract)) == before


def test_only_declarants_declare_and_only_the_chain_adds_subcontractors(runtime):
    with pytest.raises(NotAllowed):
        declaring.declare(runtime, Caller.enterprise_account(CONTRACTOR, (Role.REGISTRAR,)), works())
    number = declaring.declare(runtime, DECLARANT, works(subcontractors=two_levels()[:1]))
    stranger = Caller.enterprise_account("0566988259", (Role.DECLARANT,))
    with pytest.raises(NotAllowed):  # someone else's declaration
        declaring.add_subcontractor(runtime, stranger, number, Subcontractor("0566988259", CONTRACTOR, TODAY))
    sub = Caller.enterprise_account(SUB, (Role.DECLARANT,))
    with pytest.raises(NotAllowed):  # a subcontractor declares under itself only
        declaring.add_subcontractor(runtime, sub, number, Subcontractor(SUB_SUB, CONTRACTOR, TODAY))
    declaring.add_subcontractor(runtime, sub, number, Subcontractor(SUB_SUB, SUB, TODAY, None))
    with pytest.raises(DeclarationRefused) as refused:  # twice
        declaring.add_subcontractor(runtime, sub, number, Subcontractor(SUB_SUB, SUB, TODAY, None))
    assert refused.value.problems == {"enterprise": "this enterprise is in the chain already"}


def test_raising_the_amount_past_the_threshold_makes_its_registrations_valid(runtime):
    number = declaring.declare(runtime, DECLARANT, works("400000"))
    registration = register_one(runtime, employee_today(workplace=number, registration_date=TODAY))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).history[-1].remarks == (RemarkCode.SITE_NOT_SUBJECT,)
    seen = declaring.declaration_of(runtime, DECLARANT, number)
    changes = declaring.change_terms(runtime, DECLARANT, number,
                                     declaring.Terms(seen.starts_on, seen.ends_on, "620000"))
    assert changes == {"amount": ["400000.00", "620000.00"], "subject_to_registration": [False, True]}
    run_checks(runtime)
    presence = get_presence(runtime, OPERATOR, registration)
    assert presence.status is SoapStatus.VALIDATED
    assert [v.trigger for v in presence.history] == ["registration", "source:declaration"]
    revisions = declaring.declaration_of(runtime, DECLARANT, number).revisions
    assert [(r.change, r.actor) for r in revisions] == [("declared", "user:1"), ("changed", "user:1")]
    assert revisions[-1].details["amount"] == ["400000.00", "620000.00"]
    # The same terms again change nothing and leave no revision.
    assert declaring.change_terms(runtime, DECLARANT, number,
                                  declaring.Terms(seen.starts_on, seen.ends_on, "620000.00")) == {}
    assert len(declaring.declaration_of(runtime, DECLARANT, number).revisions) == 2


def test_moving_the_works_start_after_a_registration_makes_it_out_of_the_period(runtime):
    number = declaring.declare(runtime, DECLARANT, works())
    registration = register_one(runtime, employee_today(workplace=number, registration_date=TODAY))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).status is SoapStatus.VALIDATED
    declaring.change_terms(runtime, DECLARANT, number,
                           declaring.Terms(TODAY + timedelta(days=1), TODAY + timedelta(days=300), "620000"))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).history[-1].remarks == (RemarkCode.DECLARATION_NOT_ACTIVE,)


def test_the_terms_cannot_leave_a_subcontract_outside_the_works(runtime):
    number = declaring.declare(runtime, DECLARANT, works(subcontractors=two_levels()))
    seen = declaring.declaration_of(runtime, DECLARANT, number)
    with pytest.raises(DeclarationRefused) as refused:  # the subcontracts start 10 days ago
        declaring.change_terms(runtime, DECLARANT, number, declaring.Terms(TODAY, seen.ends_on, "620000"))
    assert refused.value.problems == {
        "starts_on": "A subcontract would be outside the works' period: end it first, or choose other days."}
    with pytest.raises(DeclarationRefused) as refused:
        declaring.change_terms(runtime, DECLARANT, number, declaring.Terms(seen.starts_on, seen.ends_on, "-5"))
    assert set(refused.value.problems) == {"amount"}
    with pytest.raises(NotAllowed):  # a subcontractor does not change the declaring contractor's contract
        declaring.change_terms(runtime, Caller.enterprise_account(SUB, (Role.DECLARANT,)), number,
                               declaring.Terms(seen.starts_on, seen.ends_on, "700000"))
    after = declaring.declaration_of(runtime, DECLARANT, number)
    assert (after.starts_on, after.amount_eur, len(after.revisions)) == (seen.starts_on, Decimal("620000.00"), 1)


def test_ending_a_subcontractor_ends_its_branch_and_its_workers_presence_fails(runtime):
    number = declaring.declare(runtime, DECLARANT, works(subcontractors=two_levels()))
    worker, employer = simulation._scenario_inss(1), simulation._scenario_enterprise(11)  # a clean employee
    sub = Caller.enterprise_account(SUB, (Role.DECLARANT,))
    declaring.add_subcontractor(runtime, sub, number, Subcontractor(employer, SUB, TODAY - timedelta(days=5), None))
    registration = register_one(runtime, employee_today(workplace=number, inss=worker, enterprise_number=employer,
                                                        registration_date=TODAY))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).status is SoapStatus.VALIDATED
    with pytest.raises(NotAllowed):  # the subcontractor itself does not end its own subcontract
        declaring.end_subcontractor(runtime, sub, number, SUB, TODAY)
    with pytest.raises(DeclarationRefused) as refused:  # before it started
        declaring.end_subcontractor(runtime, DECLARANT, number, SUB, TODAY - timedelta(days=11))
    assert set(refused.value.problems) == {"ends_on"}
    declaring.end_subcontractor(runtime, DECLARANT, number, SUB, TODAY - timedelta(days=1))
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration).history[-1].remarks == (RemarkCode.CONTRACT_NOT_ACTIVE,)
    chain = {s.enterprise: s.ends_on for s in declaring.declaration_of(runtime, DECLARANT, number).subcontractors}
    assert chain == {SUB: TODAY - timedelta(days=1), SUB_SUB: TODAY - timedelta(days=1),
                     employer: TODAY - timedelta(days=1)}
    revision = declaring.declaration_of(runtime, DECLARANT, number).revisions[-1]
    assert (revision.change, revision.details["enterprise"], revision.details["with"]) == (
        "subcontractor_ended", SUB, sorted([SUB_SUB, employer]))
