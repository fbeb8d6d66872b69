from presence.domain.visibility import Caller, Parties, Role, Scope, consultation_scope, may_cancel, may_register

WORKER = "78012340961"
EMPLOYER = "0448181966"
CONTRACTOR = "0566988259"
CLIENT = "0403019261"

PARTIES = Parties(inss=WORKER, limosa_id=None, employer=EMPLOYER, sender_enterprise=EMPLOYER,
                  declaring_contractor=CONTRACTOR)


def test_scopes():
    assert consultation_scope(Caller.person(WORKER)) == Scope(person=WORKER)
    assert consultation_scope(Caller.enterprise_account(EMPLOYER)) == Scope(enterprise=EMPLOYER)
    assert consultation_scope(Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT])) == Scope(
        enterprise=EMPLOYER)
    assert consultation_scope(Caller.enterprise_account(EMPLOYER, roles=[Role.TECHNICAL_MANAGER])) is None
    assert consultation_scope(Caller.inspector()) == Scope(everything=True)


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
