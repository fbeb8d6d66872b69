from datetime import date, timedelta

from sqlalchemy import func, select

from presence.db.models import Registration, Validation
from presence.domain.visibility import Caller
from presence.jobs.models import Job
from presence.services.registrations.consulting import get_presence
from presence.services.retention import purge_expired, retention_cutoff

from ..helpers import EMPLOYER_ACCOUNT, employee_today, register_one, run_checks


def count(db, model):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_cutoff_is_seven_years_back():
    assert retention_cutoff(date(2026, 3, 3)) == date(2019, 3, 3)
    assert retention_cutoff(date(2028, 2, 29)) == date(2021, 2, 28)


def test_registrations_are_purged_after_seven_years_with_their_history(runtime, clock):
    old = register_one(runtime, employee_today())
    run_checks(runtime)
    clock.advance(timedelta(days=7 * 366))  # past the 7 years, leap days included
    recent = register_one(runtime, employee_today(registration_date=None))
    run_checks(runtime)

    dry = purge_expired(runtime, Caller.operator(), dry_run=True)
    assert dry.registrations == 1 and count(runtime.db, Registration) == 2

    report = purge_expired(runtime, Caller.operator())
    assert report.registrations == 1 and report.jobs == 1  # the old registration's check job
    assert get_presence(runtime, EMPLOYER_ACCOUNT, old) is None
    assert get_presence(runtime, EMPLOYER_ACCOUNT, recent) is not None
    with runtime.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Validation)
                              .where(Validation.registration_id == old)) == 0
    assert count(runtime.db, Job) == 1
