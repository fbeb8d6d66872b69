"""Acceptance: every remark, and the clean case, produced from simulation data; late source data turns a
FAILED registration VALIDATED with both validations in its history."""

from __future__ import annotations

import csv
import json
import threading
from datetime import date, datetime, time, timedelta

import pytest

from presence.clock import BRUSSELS
from presence.domain.channels import Channel
from presence.domain.registration import Submission
from presence.domain.remarks import RemarkCode
from presence.domain.sectors import Regime
from presence.domain.statuses import SoapStatus, Validity
from presence.domain.visibility import Caller
from presence.services.registrations import checking
from presence.services.registrations.consulting import get_presence
from presence.services.registrations.revalidation import import_source
from presence.sources import simulation
from presence.sources.importers import DeclarationRow
from presence.sources.models import WorkDeclaration

from ...conftest import TODAY
from ...helpers import (
    CLEANING_SITE,
    CONSTRUCTION_SITE,
    EMPLOYER,
    POSTED,
    WORKER,
    employee_today,
    register_one,
    run_checks,
)

OPERATOR = Caller.operator()


def scenario(remark: str | None) -> simulation.Scenario:
    """The scenario of that remark (None: the first clean one)."""
    return next(s for s in simulation.scenarios(TODAY) if s.expected_remark == remark)


def register_scenario(runtime, s, day=TODAY) -> int:
    submission = Submission(workplace=s.workplace, inss=s.inss, limosa_id=s.limosa_id,
                            enterprise_number=s.enterprise_number, foreign_vat=s.foreign_vat, registration_date=day)
    return register_one(runtime, submission, caller=OPERATOR, channel=Channel.ONLINE)


def test_every_remark_and_the_clean_case(runtime):
    scenarios = simulation.scenarios(TODAY)
    assert {s.expected_remark for s in scenarios} == {None} | {f"CAW_{n:02d}" for n in range(1, 18)}
    registered = [(s.expected_remark, register_scenario(runtime, s)) for s in scenarios]
    # CAW_14's data is clean: its first registration validates, the same presence again is the duplicate.
    registered = [(None if remark == "CAW_14" else remark, i) for remark, i in registered]
    registered.append(("CAW_14", register_scenario(runtime, scenario("CAW_14"))))
    run_checks(runtime)

    for remark, registration_id in registered:
        presence = get_presence(runtime, OPERATOR, registration_id)
        if remark is None:
            assert presence.status is SoapStatus.VALIDATED, presence.remarks
        else:
            assert presence.status is SoapStatus.FAILED
            assert presence.remarks == (RemarkCode(remark),), (remark, presence.remarks)
        assert len(presence.history) == 1


def test_the_scenarios_hold_tomorrow_too(runtime):
    tomorrow = TODAY + timedelta(days=1)
    ids = [(s.expected_remark, register_scenario(runtime, s, tomorrow)) for s in simulation.scenarios(TODAY)]
    run_checks(runtime)
    for remark, registration_id in ids:
        expected = () if remark in (None, "CAW_14") else (RemarkCode(remark),)
        assert get_presence(runtime, OPERATOR, registration_id).remarks == expected


def test_the_scenarios_hold_two_weeks_after_the_data_was_made(runtime, clock):
    clock.advance(timedelta(days=14))
    ids = [(s.expected_remark, register_scenario(runtime, s, TODAY + timedelta(days=14)))
           for s in simulation.scenarios(TODAY)]
    run_checks(runtime)
    for remark, registration_id in ids:
        expected = () if remark in (None, "CAW_14") else (RemarkCode(remark),)
        assert get_presence(runtime, OPERATOR, registration_id).remarks == expected


@pytest.mark.parametrize("day", [date(2013, 1, 1), date(2013, 12, 1), TODAY + timedelta(days=400)])
def test_the_public_examples_validate_on_any_day(runtime, clock, day):
    """The official SOAP and REST examples, whatever the day an integrator tries them."""
    clock.set(datetime.combine(day, time(9, 0), tzinfo=BRUSSELS))
    ids = [register_one(runtime, employee_today(registration_date=day)),
           register_one(runtime, Submission(registration_date=day, limosa_id=POSTED, workplace=CONSTRUCTION_SITE)),
           register_one(runtime, Submission(registration_date=day, limosa_id="24911936602056031",
                                             workplace=CONSTRUCTION_SITE)),
           register_one(runtime, Submission(workplace=CLEANING_SITE, inss=WORKER, enterprise_number=EMPLOYER,
                                             clocked_at=clock.now(), direction="in", latitude=50.85,
                                             longitude=4.35), channel=Channel.REST, regime=Regime.CLOCKING)]
    run_checks(runtime)
    for registration_id in ids:
        presence = get_presence(runtime, OPERATOR, registration_id)
        assert presence.status is SoapStatus.VALIDATED, (registration_id, presence.remarks)


def test_a_late_dimona_validates_a_failed_registration(runtime, tmp_path):
    s = scenario("CAW_01")
    registration_id = register_scenario(runtime, s)
    register_scenario(runtime, scenario(None))  # someone else: the Dimona does not concern him
    run_checks(runtime)
    assert get_presence(runtime, OPERATOR, registration_id).status is SoapStatus.FAILED

    late = tmp_path / "dimona.csv"
    with late.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["dimona_id", "inss", "employer", "starts_on", "ends_on", "worker_type"])
        writer.writerow(["LATE-1", s.inss, s.enterprise_number, TODAY.isoformat(), "", "OTH"])
    assert import_source(runtime, OPERATOR, "dimona", late).revalidated == 1
    run_checks(runtime)

    presence = get_presence(runtime, OPERATOR, registration_id)
    assert presence.status is SoapStatus.VALIDATED
    assert [(v.validity, v.remarks, v.trigger) for v in presence.history] == [
        (Validity.INVALID, (RemarkCode.DIMONA_NOT_OK,), "registration"),
        (Validity.VALID, (), "source:dimona"),
    ]


def test_an_extended_declaration_validates_again(runtime, tmp_path):
    s = scenario("CAW_11")
    registration_id = register_scenario(runtime, s)
    run_checks(runtime)
    with runtime.db.reading() as session:
        declaration = session.get(WorkDeclaration, s.workplace)
        row = {column: getattr(declaration, column) for column in DeclarationRow.model_fields}  # the source's format
    row["ends_on"] = TODAY + timedelta(days=90)
    extended = tmp_path / "declarations.json"
    extended.write_text(json.dumps([row], default=str))
    import_source(runtime, OPERATOR, "declarations", extended)
    run_checks(runtime)
    presence = get_presence(runtime, OPERATOR, registration_id)
    assert presence.status is SoapStatus.VALIDATED
    assert [v.trigger for v in presence.history] == ["registration", "source:declarations"]


def test_an_import_that_changes_nothing_leaves_the_history_alone(runtime, tmp_path):
    s = scenario(None)
    registration_id = register_scenario(runtime, s)
    run_checks(runtime)
    same = tmp_path / "people.json"
    with runtime.db.reading() as session:
        from presence.sources.models import Person

        person = session.get(Person, s.inss)
        same.write_text(json.dumps([{"inss": person.inss, "given_name": person.given_name,
                                     "family_name": person.family_name,
                                     "birth_date": person.birth_date.isoformat() if person.birth_date else None}]))
    import_source(runtime, OPERATOR, "people", same)
    run_checks(runtime)
    assert len(get_presence(runtime, OPERATOR, registration_id).history) == 1


def test_a_check_that_read_older_sources_cannot_have_the_last_word(runtime, tmp_path, monkeypatch):
    """Two checks of one registration run one after the other: the one that saw the late Dimona wins."""
    if runtime.db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: the import itself waits for the first check")
    s = scenario("CAW_01")
    registration_id = register_scenario(runtime, s)
    late = tmp_path / "dimona.json"
    late.write_text(json.dumps([{"dimona_id": "LATE-2", "inss": s.inss, "employer": s.enterprise_number,
                                 "starts_on": TODAY.isoformat()}]))

    # The first check pauses after reading the sources (no Dimona yet), before writing its outcome.
    gathered, go = threading.Event(), threading.Event()
    real_gather = checking._gather

    def slow_gather(*args):
        found = real_gather(*args)
        if not gathered.is_set():
            gathered.set()
            go.wait(30)
        return found

    monkeypatch.setattr(checking, "_gather", slow_gather)
    first = threading.Thread(target=run_checks, args=(runtime,))
    first.start()
    assert gathered.wait(30)
    import_source(runtime, OPERATOR, "dimona", late)  # queues the second check
    second = threading.Thread(target=run_checks, args=(runtime,))
    second.start()
    second.join(timeout=2)
    assert second.is_alive(), "the second check did not wait for the first"
    go.set()
    first.join(30)
    second.join(30)
    presence = get_presence(runtime, OPERATOR, registration_id)
    assert presence.status is SoapStatus.VALIDATED
    assert [v.validity for v in presence.history] == [Validity.INVALID, Validity.VALID]


# --- check jobs done together --------------------------------------------------------------------------------

def _register_one_at_a_time(runtime, clock) -> list[int]:
    """Every remark's scenario, a duplicate, and the cleaning scenarios' clockings five minutes apart: one
    registration (one check job) per call, as the person-facing channels send them."""
    ids = [register_scenario(runtime, s) for s in simulation.scenarios(TODAY)]
    ids.append(register_scenario(runtime, scenario("CAW_14")))
    for s in simulation.cleaning_scenarios(TODAY):
        for direction in s.clockings:
            place = simulation.CLEANING_PLACE
            ids.append(register_one(runtime, Submission(
                workplace=s.workplace, inss=s.inss, enterprise_number=s.enterprise_number, clocked_at=clock.now(),
                direction=direction, latitude=place.latitude, longitude=place.longitude),
                channel=Channel.REST, regime=Regime.CLOCKING))
            clock.advance(timedelta(minutes=5))
    return ids


def _history(runtime) -> list[tuple]:
    from sqlalchemy import select

    from presence.db.models import Validation

    with runtime.db.reading() as session:
        return [tuple(row) for row in session.execute(
            select(Validation.registration_id, Validation.validated_at, Validation.validity, Validation.remark_codes,
                   Validation.trigger, Validation.job_id).order_by(Validation.registration_id, Validation.id))]


def test_a_registrations_history_is_the_same_whether_its_job_ran_alone_or_with_others(runtime, clock,
                                                                                        second_demo_db, caplog):
    import logging

    from presence.clock import FrozenClock
    from presence.services.background import make_worker
    from presence.services.runtime import Runtime

    from ...conftest import NOW

    alone_ids = _register_one_at_a_time(runtime, clock)
    assert make_worker(runtime, batch=1).run_until_idle() == len(alone_ids)

    twin_clock = FrozenClock(NOW)
    twin = Runtime(db=second_demo_db, clock=twin_clock)
    together_ids = _register_one_at_a_time(twin, twin_clock)
    with caplog.at_level(logging.INFO, logger="presence.jobs.worker"):
        assert make_worker(twin).run_until_idle() == len(together_ids)
    assert "done together" in caplog.text  # not one by one after all

    assert together_ids == alone_ids
    history = _history(runtime)
    assert len(history) == len(alone_ids)  # one validation each: checked once
    assert _history(twin) == history
    remarks = {codes for _, _, _, codes, _, _ in history}
    assert len(remarks) > 10  # every kind of outcome, pairing remarks included
    assert any("CAW_18" in (codes or "") for codes in remarks) and any("CAW_19" in (codes or "") for codes in remarks)


def test_a_malformed_check_job_fails_alone_and_the_registrations_beside_it_are_checked(runtime, caplog):
    import logging

    from sqlalchemy import select

    from presence.jobs import queue
    from presence.jobs.models import Job, JobState
    from presence.services.background import make_worker
    from presence.services.registrations.registering import CHECK_JOB

    ids = [register_scenario(runtime, scenario(None))]
    with runtime.db.writing() as session:
        queue.enqueue(session, CHECK_JOB, [{"trigger": "registration"}], runtime.clock.now())  # no ids
    ids += [register_scenario(runtime, scenario(remark)) for remark in ("CAW_01", "CAW_12")]
    with caplog.at_level(logging.INFO, logger="presence.jobs.worker"):
        assert make_worker(runtime).run_once() == 4
    assert "4 jobs (check) failed together (KeyError): each is tried again alone" in caplog.text
    with runtime.db.reading() as session:
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
    assert [job.state for job in jobs] == [JobState.DONE, JobState.READY, JobState.DONE, JobState.DONE]
    assert jobs[1].attempts == 1 and "KeyError" in jobs[1].last_error
    assert all(job.attempts == 1 for job in jobs if job.state == JobState.DONE)
    assert [get_presence(runtime, OPERATOR, i).status for i in ids] == [
        SoapStatus.VALIDATED, SoapStatus.FAILED, SoapStatus.FAILED]


def _check_in_a_process(url: str) -> None:
    from presence.db.engine import Database
    from presence.services.background import make_worker
    from presence.services.runtime import Runtime

    db = Database(url)
    make_worker(Runtime(db=db), max_items=20).run_until_idle()
    db.dispose()


def test_two_worker_processes_never_check_a_registration_twice(runtime):
    """Three hundred single registrations, their jobs shared by two worker processes taking them together."""
    import multiprocessing

    from sqlalchemy import func, select

    from presence.db.models import Validation

    if not runtime.db.is_postgresql:
        pytest.skip("several workers share the queue on PostgreSQL")
    ids = [register_scenario(runtime, s) for s in simulation.scenarios(TODAY) * 15][:300]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_check_in_a_process, args=(runtime.db.url,)) for _ in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    with runtime.db.reading() as session:
        checked = dict(session.execute(select(Validation.registration_id, func.count())
                                       .group_by(Validation.registration_id)).all())
    assert checked == dict.fromkeys(ids, 1)
