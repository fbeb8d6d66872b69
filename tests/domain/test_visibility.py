from datetime import date

from presence.domain.checks import Period
from presence.domain.visibility import (
    GRANTABLE_ROLES,
    Caller,
    Chain,
    Link,
    Parties,
    Role,
    Visibility,
    consultation_visibility,
    may_cancel,
    may_grant,
    may_manage_access,
    may_register,
    may_see_name,
)

WORKER = "78012340961"
EMPLOYER = "0448181966"
CONTRACTOR = "0566988259"
CLIENT = "0403019261"

PARTIES = Parties(inss=WORKER, limosa_id=None, employer=EMPLOYER, sender_enterprise=EMPLOYER,
                  declaring_contractor=CONTRACTOR)


def test_scopes():
    assert consultation_visibility(Caller.person(WORKER)) == Visibility(person=WORKER)
    assert consultation_visibility(Caller.enterprise_account(EMPLOYER)) == Visibility(enterprise=EMPLOYER)
    assert consultation_visibility(Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT])) == Visibility(
        enterprise=EMPLOYER)
    assert consultation_visibility(Caller.enterprise_account(EMPLOYER, roles=[Role.TECHNICAL_MANAGER])) is None
    assert consultation_visibility(Caller.inspector()) == Visibility(everything=True)


def test_who_may_cancel():
    assert may_cancel(Caller.person(WORKER), PARTIES)
    assert not may_cancel(Caller.person("85073003328"), PARTIES)
    assert may_cancel(Caller.enterprise_account(EMPLOYER), PARTIES)
    assert may_cancel(Caller.enterprise_account(CONTRACTOR), PARTIES)
    assert not may_cancel(Caller.enterprise_account(CLIENT), PARTIES)  # the client only consults
    assert not may_cancel(Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT]), PARTIES)
    assert not may_cancel(Caller.inspector(), PARTIES)
    assert may_cancel(Caller.back_office(), PARTIES)


def test_a_posted_worker_cannot_cancel_his_limosa_registration():
    limosa = Parties(inss=WORKER, limosa_id="24910158641968060", employer=None, sender_enterprise=EMPLOYER,
                     declaring_contractor=CONTRACTOR)
    assert not may_cancel(Caller.person(WORKER), limosa)


def test_who_may_register():
    assert may_register(Caller.enterprise_account(EMPLOYER))
    assert not may_register(Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT]))
    assert not may_register(Caller.inspector())
    assert may_register(Caller.person(WORKER))


DAY = date(2026, 3, 3)
SUBCONTRACTOR = "0428759497"
STRANGER = "0202239951"
CHAIN = Chain(client=CLIENT, declaring_contractor=CONTRACTOR, period=Period(date(2020, 1, 1)),
              contracts={SUBCONTRACTOR: [Period(date(2026, 1, 1), DAY)]})


def sees(caller, links, chain=CHAIN, inss=WORKER) -> bool:
    return may_see_name(caller, DAY, inss, links, chain)


def test_the_name_is_shown_to_the_person_inspectors_and_staff_without_links():
    for caller in (Caller.person(WORKER), Caller.inspector(), Caller.back_office(), Caller.operator()):
        assert sees(caller, [], chain=None)
    assert not sees(Caller.person("85073003328"), [])


def test_an_enterprise_sees_the_name_of_a_person_linked_to_it_on_the_day():
    employed = [Link(EMPLOYER, Period(date(2010, 1, 1)))]
    assert sees(Caller.enterprise_account(EMPLOYER), employed)
    assert sees(Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT]), employed)
    assert not sees(Caller.enterprise_account(STRANGER), employed)
    assert not sees(Caller.enterprise_account(EMPLOYER), [])  # registering him, or naming oneself, is no link
    for ended in (Period(date(2010, 1, 1), date(2026, 3, 2)), Period(date(2026, 3, 4))):
        assert not sees(Caller.enterprise_account(EMPLOYER), [Link(EMPLOYER, ended)])
    assert sees(Caller.enterprise_account(EMPLOYER), [Link(EMPLOYER, Period(DAY, DAY))])


def test_the_heads_of_the_chain_see_the_name_while_the_chain_holds_his_employer():
    """The client and the declaring contractor; a subcontractor while its contract runs, the declaring
    contractor for the declaration's whole period."""
    by_subcontractor = [Link(SUBCONTRACTOR, Period(date(2020, 1, 1)))]
    by_contractor = [Link(CONTRACTOR, Period(date(2020, 1, 1)))]
    for head in (CLIENT, CONTRACTOR):
        assert sees(Caller.enterprise_account(head), by_subcontractor)
        assert not sees(Caller.enterprise_account(head), by_subcontractor, chain=None)
        assert not sees(Caller.enterprise_account(head), [Link(STRANGER, Period(date(2020, 1, 1)))])
        left = [Link(SUBCONTRACTOR, Period(date(2020, 1, 1), date(2026, 3, 2)))]  # his Dimona ended yesterday
        assert not sees(Caller.enterprise_account(head), left)
    assert sees(Caller.enterprise_account(CLIENT), by_contractor)
    ended = Chain(CLIENT, CONTRACTOR, Period(date(2020, 1, 1)),
                  {SUBCONTRACTOR: [Period(date(2025, 1, 1), date(2026, 3, 2))]})
    assert not sees(Caller.enterprise_account(CLIENT), by_subcontractor, chain=ended)
    declared_later = Chain(CLIENT, CONTRACTOR, Period(date(2026, 3, 4)), {})
    assert not sees(Caller.enterprise_account(CLIENT), by_contractor, chain=declared_later)
    # A subcontractor in the chain does not see the name of another's worker.
    assert not sees(Caller.enterprise_account(SUBCONTRACTOR), [Link(CONTRACTOR, Period(date(2020, 1, 1)))])


def test_who_manages_access_and_which_roles_each_grants():
    enterprise = "0448181966"
    main = Caller.enterprise_account(enterprise, (Role.MAIN_ACCESS_MANAGER,), user_type="PERSON")
    manager = Caller.enterprise_account(enterprise, (Role.ACCESS_MANAGER,), user_type="PERSON")
    registrar = Caller.enterprise_account(enterprise, (Role.REGISTRAR, Role.CONSULTANT), user_type="PERSON")
    assert may_manage_access(main, enterprise) and may_manage_access(manager, enterprise)
    assert not may_manage_access(registrar, enterprise) and not may_manage_access(main, "0403019261")
    assert not may_manage_access(Caller.inspector(), enterprise)
    assert [role for role in GRANTABLE_ROLES if may_grant(main, enterprise, role)] == list(GRANTABLE_ROLES)
    assert [role for role in GRANTABLE_ROLES if may_grant(manager, enterprise, role)] == [
        Role.TECHNICAL_MANAGER, Role.DECLARANT, Role.REGISTRAR, Role.CONSULTANT]
    assert not may_grant(main, enterprise, Role.MAIN_ACCESS_MANAGER)  # the enterprise register says who he is
    assert may_grant(Caller.operator(), enterprise, Role.ACCESS_MANAGER)
