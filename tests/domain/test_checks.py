"""The decision rules of the content checks, one remark at a time."""

from datetime import date

from presence.domain.checks import (
    DeclarationFacts,
    EnterpriseFacts,
    Evidence,
    LimosaFacts,
    Period,
    Subject,
    remarks_for,
)
from presence.domain.remarks import RemarkCode as R

DAY = date(2026, 3, 3)
ALWAYS = Period(date(2000, 1, 1))
PAST = Period(date(2020, 1, 1), date(2026, 1, 1))
EMPLOYER = "0448181966"
VAT = "DE136695976"


def declaration(**overrides):
    values = {"period": ALWAYS, "subject_to_registration": True, "declaring_contractor": "0403019261",
              "contracts": {EMPLOYER: [ALWAYS], VAT: [ALWAYS]}}
    values.update(overrides)
    return DeclarationFacts(**values)


def company(**overrides):
    values = {"natural_person": False, "existence": ALWAYS, "employer_periods": (ALWAYS,)}
    values.update(overrides)
    return EnterpriseFacts(**values)


def employee(**overrides):
    values = {"declaration": declaration(), "enterprise": company(), "dimona": [ALWAYS]}
    values.update(overrides)
    return Evidence(**values)


EMPLOYEE = Subject(DAY, "78012340961", None, EMPLOYER, None)
POSTED_BY_LIMOSA = Subject(DAY, None, "24910158641968060", None, None)
POSTED_BY_INSS = Subject(DAY, "98472899765", None, None, VAT)


def test_clean_employee():
    assert remarks_for(EMPLOYEE, employee()) == []


def test_declaration_remarks():
    assert remarks_for(EMPLOYEE, employee(declaration=None)) == [R.DECLARATION_UNKNOWN]
    assert remarks_for(EMPLOYEE, employee(declaration=declaration(period=PAST))) == [R.DECLARATION_NOT_ACTIVE]
    assert remarks_for(EMPLOYEE, employee(declaration=declaration(subject_to_registration=False))) == [
        R.SITE_NOT_SUBJECT]
    assert remarks_for(EMPLOYEE, employee(declaration=declaration(contracts={}))) == [R.COMPANY_NOT_IN_DECLARATION]
    assert remarks_for(EMPLOYEE, employee(declaration=declaration(contracts={EMPLOYER: [PAST]}))) == [
        R.CONTRACT_NOT_ACTIVE]


def test_the_declaring_contractor_is_in_the_chain_without_a_contract_row():
    own = declaration(declaring_contractor=EMPLOYER, contracts={})
    assert remarks_for(EMPLOYEE, employee(declaration=own)) == []
    assert remarks_for(EMPLOYEE, employee(declaration=declaration(declaring_contractor=EMPLOYER, period=PAST,
                                                                  contracts={}))) == [R.DECLARATION_NOT_ACTIVE]


def test_employment_decision_tree():
    assert remarks_for(EMPLOYEE, employee(dimona=[], mandates=[ALWAYS])) == []  # self-employed founder
    assert remarks_for(EMPLOYEE, employee(dimona=[PAST], mandates=[])) == [R.DIMONA_NOT_OK]
    assert remarks_for(EMPLOYEE, employee(dimona=[], mandates=[PAST])) == [R.EMPLOYER_NOT_FOUNDER]
    assert remarks_for(EMPLOYEE, employee(dimona=[], enterprise=company(employer_periods=(PAST,)))) == [
        R.EMPLOYER_NOT_ACTIVE]
    assert remarks_for(EMPLOYEE, employee(dimona=[], enterprise=company(employer_periods=()))) == [
        R.INSS_NOT_FOUNDER]
    assert remarks_for(EMPLOYEE, employee(dimona=[], enterprise=company(employer_periods=(),
                                                                        natural_person=True))) == [
        R.INDEPENDENT_NOT_FOUNDER]
    assert remarks_for(EMPLOYEE, employee(enterprise=company(existence=PAST))) == [R.COMPANY_DOES_NOT_EXIST]


def test_unknown_person():
    assert remarks_for(EMPLOYEE, employee(person_known=False)) == [R.INSS_UNKNOWN]


def test_limosa_registration():
    posted = LimosaFacts(ALWAYS, VAT, None)
    assert remarks_for(POSTED_BY_LIMOSA, Evidence(declaration=declaration(), limosa=posted)) == []
    assert remarks_for(POSTED_BY_LIMOSA, Evidence(declaration=declaration(), limosa=None)) == [R.LIMOSA_UNKNOWN]
    assert remarks_for(POSTED_BY_LIMOSA, Evidence(declaration=declaration(),
                                                  limosa=LimosaFacts(PAST, VAT, None))) == [R.LIMOSA_NOT_ACTIVE]
    # The foreign employer of the Limosa declaration must be in the declaration's chain.
    assert remarks_for(POSTED_BY_LIMOSA, Evidence(declaration=declaration(contracts={EMPLOYER: [ALWAYS]}),
                                                  limosa=posted)) == [R.COMPANY_NOT_IN_DECLARATION]


def test_posted_worker_by_inss_and_foreign_vat():
    evidence = lambda found: Evidence(declaration=declaration(), limosa_of_person=found)  # noqa: E731
    assert remarks_for(POSTED_BY_INSS, evidence([LimosaFacts(ALWAYS, VAT, "98472899765")])) == []
    assert remarks_for(POSTED_BY_INSS, evidence([])) == [R.INSS_NOT_IN_LIMOSA]
    assert remarks_for(POSTED_BY_INSS, evidence([LimosaFacts(PAST, VAT, "98472899765")])) == [
        R.INSS_NOT_ACTIVE_IN_LIMOSA]


def test_remarks_accumulate_sorted_and_capped():
    found = remarks_for(EMPLOYEE, employee(declaration=None, person_known=False, dimona=[], duplicate=True,
                                           pairing=R.SECOND_IN))
    assert found == [R.DIMONA_NOT_OK, R.DECLARATION_UNKNOWN, R.DUPLICATE, R.INSS_UNKNOWN, R.SECOND_IN]
