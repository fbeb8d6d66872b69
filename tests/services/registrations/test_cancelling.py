from datetime import timedelta

import pytest
from sqlalchemy import select

from presence.db.models import AuditEvent
from presence.domain.channels import Channel
from presence.domain.errors import BatchSizeError, ErrorCode
from presence.domain.remarks import RemarkCode
from presence.domain.statuses import SoapStatus
from presence.domain.visibility import Caller, Role
from presence.jobs.models import Job
from presence.services.registrations.cancelling import Cancelled, CancelRequest, NotCancelled, cancel_presences
from presence.services.registrations.consulting import get_presence

from ...helpers import CLIENT, EMPLOYER, EMPLOYER_ACCOUNT, employee_today, register_one, run_checks


def cancel(runtime, *requests, caller=EMPLOYER_ACCOUNT):
    return cancel_presences(runtime, caller, Channel.WEB_SERVICE, [CancelRequest(*r) for r in requests])


def error_code(outcome):
    assert isinstance(outcome, NotCancelled), outcome
    [error] = outcome.errors
    return error.code


def test_cancel_and_every_error_code(runtime):
    mine = register_one(runtime, employee_today())
    other = register_one(runtime, employee_today(), caller=Caller.enterprise_account("0566988259"))

    outcomes = cancel(runtime, (mine, "HOLIDAY"), (mine, "DISEASE"), (mine, "VACATION"), (0, "PLANNING"),
                      (other + 1, "PLANNING"), ("1" * 16, "PLANNING"), ("abc", "PLANNING"))
    assert isinstance(outcomes[0], Cancelled)
    assert outcomes[0].presence.status is SoapStatus.SUCCESSFULLY_CANCELLED
    assert outcomes[0].presence.cancellation_reason == "HOLIDAY"
    assert [error_code(o) for o in outcomes[1:]] == [
        ErrorCode.ALREADY_CANCELLED, ErrorCode.CANCELLATION_REASON_INVALID, ErrorCode.REGISTRATION_ID_UNKNOWN,
        ErrorCode.REGISTRATION_ID_UNKNOWN, ErrorCode.REGISTRATION_ID_UNKNOWN, ErrorCode.REGISTRATION_ID_UNKNOWN]

    # Registered by another enterprise for a worker of EMPLOYER: EMPLOYER sees it as employer, may cancel.
    assert isinstance(cancel(runtime, (other, "c32a"))[0], Cancelled)
    with runtime.db.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "registration.cancelled")).all()
    assert [e.subject_ids for e in events] == [[mine], [other]]


def test_outside_scope_is_not_found_and_client_may_not_cancel(runtime):
    presence = register_one(runtime, employee_today())
    stranger = Caller.enterprise_account("0428759497")
    assert error_code(cancel(runtime, (presence, "HOLIDAY"), caller=stranger)[0]) is ErrorCode.REGISTRATION_NOT_FOUND
    client = Caller.enterprise_account(CLIENT)
    assert error_code(cancel(runtime, (presence, "HOLIDAY"), caller=client)[0]) is ErrorCode.NOT_ALLOWED
    consultant = Caller.enterprise_account(EMPLOYER, roles=[Role.CONSULTANT])
    assert error_code(cancel(runtime, (presence, "HOLIDAY"), caller=consultant)[0]) is ErrorCode.NOT_ALLOWED
    inspector = Caller.inspector()
    assert error_code(cancel(runtime, (presence, "HOLIDAY"), caller=inspector)[0]) is ErrorCode.NOT_ALLOWED
    assert get_presence(runtime, EMPLOYER_ACCOUNT, presence).status is SoapStatus.SUCCESSFULLY_REGISTERED


def test_cut_off_is_the_end_of_the_next_day(runtime, clock):
    presence = register_one(runtime, employee_today())
    late = register_one(runtime, employee_today())
    clock.advance(timedelta(days=1, hours=14))  # the next day, 23:30 in Brussels
    assert isinstance(cancel(runtime, (presence, "PLANNING"))[0], Cancelled)
    clock.advance(timedelta(hours=1))  # two days after the registration date
    assert error_code(cancel(runtime, (late, "PLANNING"))[0]) is ErrorCode.TOO_LATE_TO_CANCEL


def test_batch_limit(runtime):
    with pytest.raises(BatchSizeError):
        cancel(runtime, *[(1, "HOLIDAY")] * 201)


def test_cancelling_the_first_frees_its_duplicate(runtime):
    first = register_one(runtime, employee_today())
    second = register_one(runtime, employee_today())
    run_checks(runtime)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, second).remarks == (RemarkCode.DUPLICATE,)
    cancel(runtime, (first, "PLANNING"))
    run_checks(runtime)
    freed = get_presence(runtime, EMPLOYER_ACCOUNT, second)
    assert freed.status is SoapStatus.VALIDATED
    assert [v.remarks for v in freed.history] == [(RemarkCode.DUPLICATE,), ()]


def test_cancelling_queues_a_new_check_of_a_duplicate_not_yet_checked(runtime):
    first = register_one(runtime, employee_today())
    second = register_one(runtime, employee_today())
    cancel(runtime, (first, "PLANNING"))  # before any check ran: the second has no remark yet
    with runtime.db.reading() as session:
        queued = session.scalars(select(Job.payload).order_by(Job.id)).all()
    assert {"ids": [second], "trigger": "cancellation"} in queued
    run_checks(runtime)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, second).status is SoapStatus.VALIDATED
