from datetime import timedelta

import pytest
from sqlalchemy import select

from presence.db.models import AuditEvent, Registration, Validation
from presence.domain.channels import Channel
from presence.domain.errors import BatchSizeError, ErrorCode
from presence.domain.registration import Submission
from presence.domain.remarks import RemarkCode
from presence.domain.sectors import Regime
from presence.domain.statuses import SoapStatus, Validity
from presence.domain.visibility import Caller, Role
from presence.jobs.models import Job
from presence.services.errors import NotAllowed
from presence.services.registrations.consulting import get_presence
from presence.services.registrations.registering import Accepted, Refused

from ...conftest import TODAY
from ...helpers import (
    CONSTRUCTION_SITE,
    EMPLOYER,
    EMPLOYER_ACCOUNT,
    POSTED,
    WORKER,
    count,
    employee_today,
    register,
    run_checks,
)


def test_official_example_validates_without_remark(runtime):
    """The two items of the official SOAP request example, dated today."""
    outcomes = register(
        runtime,
        Submission(registration_date=TODAY, inss=WORKER, enterprise_number=448181966, workplace=CONSTRUCTION_SITE),
        Submission(registration_date=TODAY, limosa_id=POSTED, workplace=CONSTRUCTION_SITE, client_reference="Ref 1"),
    )
    assert all(isinstance(o, Accepted) for o in outcomes)
    first, second = (o.presence for o in outcomes)
    assert second.id > first.id
    assert first.status is SoapStatus.SUCCESSFULLY_REGISTERED and first.validated_at is None
    assert second.client_reference == "Ref 1"

    run_checks(runtime)
    for presence in (first, second):
        checked = get_presence(runtime, EMPLOYER_ACCOUNT, presence.id)
        assert checked.status is SoapStatus.VALIDATED, checked.remarks
        assert [v.validity for v in checked.history] == [Validity.VALID]
        assert checked.sector == 1


def test_refused_items_store_nothing_and_the_rest_is_stored_together(runtime):
    before = count(runtime.db, Registration)
    outcomes = register(
        runtime,
        employee_today(),
        employee_today(inss="05011512379"),
        employee_today(enterprise_number="0431150351"),
        employee_today(workplace="1Y1000003EQOZ"),
        employee_today(registration_date=TODAY + timedelta(days=2)),
        employee_today(registration_date=TODAY + timedelta(days=1)),
    )
    assert [type(o) for o in outcomes] == [Accepted, Refused, Refused, Refused, Refused, Accepted]
    assert [o.errors[0].code for o in outcomes if isinstance(o, Refused)] == [
        ErrorCode.INSS_INVALID, ErrorCode.ENTERPRISE_INVALID, ErrorCode.WORKPLACE_INVALID,
        ErrorCode.DATE_OUT_OF_WINDOW]
    assert count(runtime.db, Registration) == before + 2
    stored = [o.presence.id for o in outcomes if isinstance(o, Accepted)]
    with runtime.db.reading() as session:
        [event] = session.scalars(select(AuditEvent)).all()
        assert event.subject_ids == stored and event.action == "registration.created"
        [job] = session.scalars(select(Job)).all()
        assert job.payload["ids"] == stored


def test_unknown_enterprise_is_error_3(runtime):
    # Valid check digits, unknown to the enterprise register.
    [outcome] = register(runtime, employee_today(enterprise_number="0123456749"))
    assert outcome.errors[0].code is ErrorCode.ENTERPRISE_UNKNOWN
    assert count(runtime.db, Registration) == 0


@pytest.mark.parametrize("size", [0, 201])
def test_batch_size_refused_whole(runtime, size):
    with pytest.raises(BatchSizeError):
        register(runtime, *[employee_today()] * size)
    assert count(runtime.db, Registration) == 0
    assert count(runtime.db, Job) == 0


def test_200_items_in_one_batch(runtime):
    outcomes = register(runtime, *[employee_today()] * 200)
    ids = [o.presence.id for o in outcomes]
    assert ids == sorted(ids) and len(set(ids)) == 200
    run_checks(runtime)
    presences = [get_presence(runtime, EMPLOYER_ACCOUNT, i) for i in (ids[0], ids[1], ids[-1])]
    assert presences[0].remarks == ()
    assert presences[1].remarks == (RemarkCode.DUPLICATE,)
    assert presences[2].remarks == (RemarkCode.DUPLICATE,)


def test_consultant_may_not_register(runtime):
    consultant = Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT])
    with pytest.raises(NotAllowed):
        register(runtime, employee_today(), caller=consultant)
    assert count(runtime.db, Registration) == 0


def test_a_worker_registers_only_himself(runtime):
    me = Caller.person(WORKER, sender_id="user-1")
    ok, other = register(runtime, employee_today(), employee_today(inss="85073003328"), caller=me)
    assert isinstance(ok, Accepted) and ok.presence.sender_user_type == "PERSON"
    assert other.errors[0].code is ErrorCode.NOT_ALLOWED_FOR_PERSON


def test_receipt_numbers_increase_across_batches(runtime):
    first = [o.presence.id for o in register(runtime, *[employee_today()] * 3)]
    second = [o.presence.id for o in register(runtime, *[employee_today()] * 3)]
    assert first + second == sorted(first + second)
    assert len(set(first + second)) == 6


def test_first_validation_is_recorded_once(runtime):
    [outcome] = register(runtime, employee_today())
    run_checks(runtime)
    run_checks(runtime)
    with runtime.db.reading() as session:
        assert len(session.scalars(select(Validation).where(
            Validation.registration_id == outcome.presence.id)).all()) == 1


def test_a_workplace_of_the_other_regime_is_refused(runtime):
    day_on_cleaning = employee_today(workplace="1Y1003SQ5VSSZ")
    [outcome] = register(runtime, day_on_cleaning)
    assert outcome.errors[0].code is ErrorCode.WORKPLACE_INVALID and "cleaning" in outcome.errors[0].message
    clocking_on_construction = employee_today(clocked_at=runtime.clock.now(), direction="in", latitude=50.85,
                                              longitude=4.35)
    [outcome] = register(runtime, clocking_on_construction, channel=Channel.REST, regime=Regime.CLOCKING)
    assert outcome.errors[0].code is ErrorCode.WORKPLACE_INVALID and "per day" in outcome.errors[0].message
    assert count(runtime.db, Registration) == 0


def test_the_sector_is_known_at_once(runtime):
    [outcome] = register(runtime, employee_today())
    assert outcome.presence.sector == 1


def test_registrations_audit_event_and_check_job_commit_together_or_not_at_all(runtime, monkeypatch):
    from presence.db.bulk import bulk_insert
    from presence.services.registrations import registering

    def broken_enqueue(session, kind, payloads, now):
        bulk_insert(session, Job.__table__, [{"kind": kind, "payload": None}])  # payload is required

    before = [count(runtime.db, model) for model in (Registration, AuditEvent, Job)]
    monkeypatch.setattr(registering, "enqueue", broken_enqueue)
    with pytest.raises(Exception, match="payload"):
        register(runtime, employee_today(), employee_today(client_reference="second"))
    assert [count(runtime.db, model) for model in (Registration, AuditEvent, Job)] == before

    monkeypatch.undo()
    first, second = register(runtime, employee_today(), employee_today(client_reference="second"))
    assert second.presence.id == first.presence.id + 1 and second.presence.client_reference == "second"
    after = [count(runtime.db, model) for model in (Registration, AuditEvent, Job)]
    assert after == [n + k for n, k in zip(before, (2, 1, 1), strict=True)]
    with runtime.db.reading() as session:
        [payload] = session.scalars(select(Job.payload).order_by(Job.id.desc()).limit(1))
        [subjects] = session.scalars(select(AuditEvent.subject_ids).order_by(AuditEvent.id.desc()).limit(1))
    assert payload["ids"] == subjects == [first.presence.id, second.presence.id]
