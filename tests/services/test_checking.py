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
from presence.services import checking
from presence.services.consulting import get_presence
from presence.services.revalidation import import_source
from presence.sources import simulation
from presence.sources.models import WorkDeclaration

from ..conftest import TODAY
from ..helpers import (
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


def register_scenario(registry, s, day=TODAY) -> int:
    submission = Submission(workplace=s.workplace, inss=s.inss, limosa_id=s.limosa_id,
                            enterprise_number=s.enterprise_number, foreign_vat=s.foreign_vat, registration_date=day)
    return register_one(registry, submission, caller=OPERATOR, channel=Channel.ONLINE)


def test_every_remark_and_the_clean_case(registry):
    scenarios = simulation.scenarios(TODAY)
    assert {s.expected_remark for s in scenarios} == {None} | {f"CAW_{n:02d}" for n in range(1, 18)}
    registered = [(s.expected_remark, register_scenario(registry, s)) for s in scenarios]
    # CAW_14's data is clean: its first registration validates, the same presence again is the duplicate.
    registered = [(None if remark == "CAW_14" else remark, i) for remark, i in registered]
    registered.append(("CAW_14", register_scenario(registry, scenario("CAW_14"))))
    run_checks(registry)

    for remark, registration_id in registered:
        presence = get_presence(registry, OPERATOR, registration_id)
        if remark is None:
            assert presence.status is SoapStatus.VALIDATED, presence.remarks
        else:
            assert presence.status is SoapStatus.FAILED
            assert presence.remarks == (RemarkCode(remark),), (remark, presence.remarks)
        assert len(presence.history) == 1


def test_the_scenarios_hold_tomorrow_too(registry):
    tomorrow = TODAY + timedelta(days=1)
    ids = [(s.expected_remark, register_scenario(registry, s, tomorrow)) for s in simulation.scenarios(TODAY)]
    run_checks(registry)
    for remark, registration_id in ids:
        expected = () if remark in (None, "CAW_14") else (RemarkCode(remark),)
        assert get_presence(registry, OPERATOR, registration_id).remarks == expected


def test_the_scenarios_hold_two_weeks_after_the_data_was_made(registry, clock):
    clock.advance(timedelta(days=14))
    ids = [(s.expected_remark, register_scenario(registry, s, TODAY + timedelta(days=14)))
           for s in simulation.scenarios(TODAY)]
    run_checks(registry)
    for remark, registration_id in ids:
        expected = () if remark in (None, "CAW_14") else (RemarkCode(remark),)
        assert get_presence(registry, OPERATOR, registration_id).remarks == expected


@pytest.mark.parametrize("day", [date(2013, 1, 1), date(2013, 12, 1), TODAY + timedelta(days=400)])
def test_the_public_examples_validate_on_any_day(registry, clock, day):
    """The official SOAP and REST examples, whatever the day an integrator tries them."""
    clock.set(datetime.combine(day, time(9, 0), tzinfo=BRUSSELS))
    ids = [register_one(registry, employee_today(registration_date=day)),
           register_one(registry, Submission(registration_date=day, limosa_id=POSTED, workplace=CONSTRUCTION_SITE)),
           register_one(registry, Submission(registration_date=day, limosa_id="24911936602056031",
                                             workplace=CONSTRUCTION_SITE)),
           register_one(registry, Submission(workplace=CLEANING_SITE, inss=WORKER, enterprise_number=EMPLOYER,
                                             clocked_at=clock.now(), direction="in", latitude=50.85,
                                             longitude=4.35), channel=Channel.REST, regime=Regime.CLOCKING)]
    run_checks(registry)
    for registration_id in ids:
        presence = get_presence(registry, OPERATOR, registration_id)
        assert presence.status is SoapStatus.VALIDATED, (registration_id, presence.remarks)


def test_a_late_dimona_validates_a_failed_registration(registry, tmp_path):
    s = scenario("CAW_01")
    registration_id = register_scenario(registry, s)
    register_scenario(registry, scenario(None))  # someone else: the Dimona does not concern him
    run_checks(registry)
    assert get_presence(registry, OPERATOR, registration_id).status is SoapStatus.FAILED

    late = tmp_path / "dimona.csv"
    with late.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["dimona_id", "inss", "employer", "starts_on", "ends_on", "worker_type"])
        writer.writerow(["LATE-1", s.inss, s.enterprise_number, TODAY.isoformat(), "", "OTH"])
    assert import_source(registry, OPERATOR, "dimona", late).revalidated == 1
    run_checks(registry)

    presence = get_presence(registry, OPERATOR, registration_id)
    assert presence.status is SoapStatus.VALIDATED
    assert [(v.validity, v.remarks, v.trigger) for v in presence.history] == [
        (Validity.INVALID, (RemarkCode.DIMONA_NOT_OK,), "registration"),
        (Validity.VALID, (), "source:dimona"),
    ]


def test_an_extended_declaration_validates_again(registry, tmp_path):
    s = scenario("CAW_11")
    registration_id = register_scenario(registry, s)
    run_checks(registry)
    with registry.db.reading() as session:
        declaration = session.get(WorkDeclaration, s.workplace)
        row = {column: getattr(declaration, column) for column in WorkDeclaration.__table__.columns.keys()
               if column != "updated_at"}
    row["ends_on"] = TODAY + timedelta(days=90)
    extended = tmp_path / "declarations.json"
    extended.write_text(json.dumps([row], default=str))
    import_source(registry, OPERATOR, "declarations", extended)
    run_checks(registry)
    presence = get_presence(registry, OPERATOR, registration_id)
    assert presence.status is SoapStatus.VALIDATED
    assert [v.trigger for v in presence.history] == ["registration", "source:declarations"]


def test_an_import_that_changes_nothing_leaves_the_history_alone(registry, tmp_path):
    s = scenario(None)
    registration_id = register_scenario(registry, s)
    run_checks(registry)
    same = tmp_path / "people.json"
    with registry.db.reading() as session:
        from presence.sources.models import Person

        person = session.get(Person, s.inss)
        same.write_text(json.dumps([{"inss": person.inss, "given_name": person.given_name,
                                     "family_name": person.family_name,
                                     "birth_date": person.birth_date.isoformat() if person.birth_date else None}]))
    import_source(registry, OPERATOR, "people", same)
    run_checks(registry)
    assert len(get_presence(registry, OPERATOR, registration_id).history) == 1


def test_a_check_that_read_older_sources_cannot_have_the_last_word(registry, tmp_path, monkeypatch):
    """Two checks of one registration run one after the other: the one that saw the late Dimona wins."""
    if registry.db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: the import itself waits for the first check")
    s = scenario("CAW_01")
    registration_id = register_scenario(registry, s)
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
    first = threading.Thread(target=run_checks, args=(registry,))
    first.start()
    assert gathered.wait(30)
    import_source(registry, OPERATOR, "dimona", late)  # queues the second check
    second = threading.Thread(target=run_checks, args=(registry,))
    second.start()
    second.join(timeout=2)
    assert second.is_alive(), "the second check did not wait for the first"
    go.set()
    first.join(30)
    second.join(30)
    presence = get_presence(registry, OPERATOR, registration_id)
    assert presence.status is SoapStatus.VALIDATED
    assert [v.validity for v in presence.history] == [Validity.INVALID, Validity.VALID]
