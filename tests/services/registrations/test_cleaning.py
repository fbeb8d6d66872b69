"""Check-ins and check-outs (cleaning): real time, pairing remarks, re-pairing when one arrives or goes."""

from datetime import timedelta

from presence.domain.channels import Channel
from presence.domain.registration import Submission
from presence.domain.remarks import RemarkCode
from presence.domain.sectors import Regime, Sector
from presence.domain.statuses import SoapStatus
from presence.domain.visibility import Caller
from presence.services.registrations.cancelling import CancelRequest, cancel_presences
from presence.services.registrations.consulting import SearchCriteria, get_presence, search_presences, shifts_of
from presence.sources.simulation import PUBLIC_OTHER_ENTERPRISE

from ...conftest import TODAY
from ...helpers import CLEANING_SITE, EMPLOYER, EMPLOYER_ACCOUNT, WORKER, register_one, run_checks


def clock_in_out(runtime, direction, caller=EMPLOYER_ACCOUNT, **values):
    values = {"enterprise_number": EMPLOYER, **values}
    submission = Submission(workplace=CLEANING_SITE, inss=WORKER, clocked_at=runtime.clock.now(),
                            direction=direction, latitude=50.85, longitude=4.35, **values)
    return register_one(runtime, submission, caller=caller, channel=Channel.REST, regime=Regime.CLOCKING)


def remarks(runtime, registration_id):
    return get_presence(runtime, EMPLOYER_ACCOUNT, registration_id).remarks


def test_a_day_with_a_break_is_clean(runtime, clock):
    ids = []
    for direction, pause in (("in", 2), ("out", 0.5), ("in", 3), ("out", 0)):
        ids.append(clock_in_out(runtime, direction))
        clock.advance(timedelta(hours=pause))
    run_checks(runtime)
    for registration_id in ids:
        presence = get_presence(runtime, EMPLOYER_ACCOUNT, registration_id)
        assert presence.status is SoapStatus.VALIDATED, presence.remarks
        assert presence.sector == Sector.CLEANING


def test_out_without_in_and_second_in(runtime, clock):
    orphan = clock_in_out(runtime, "out")
    clock.advance(timedelta(minutes=30))
    first_in = clock_in_out(runtime, "in")
    clock.advance(timedelta(hours=1))
    second_in = clock_in_out(runtime, "in")
    run_checks(runtime)
    assert remarks(runtime, orphan) == (RemarkCode.OUT_WITHOUT_IN,)
    assert remarks(runtime, first_in) == ()
    assert remarks(runtime, second_in) == (RemarkCode.SECOND_IN,)


def test_cancelling_a_stray_in_clears_the_remark_of_the_next(runtime, clock):
    stray = clock_in_out(runtime, "in")
    clock.advance(timedelta(minutes=5))
    real = clock_in_out(runtime, "in")
    run_checks(runtime)
    assert remarks(runtime, real) == (RemarkCode.SECOND_IN,)
    cancel_presences(runtime, EMPLOYER_ACCOUNT, Channel.REST, [CancelRequest(stray, "PLANNING")])
    run_checks(runtime)
    assert remarks(runtime, real) == ()
    assert len(get_presence(runtime, EMPLOYER_ACCOUNT, real).history) == 2


def test_same_minute_twice_is_a_duplicate(runtime):
    first = clock_in_out(runtime, "in")
    second = clock_in_out(runtime, "in")
    run_checks(runtime)
    assert remarks(runtime, first) == ()
    assert RemarkCode.DUPLICATE in remarks(runtime, second)


def test_the_next_days_check_in_leaves_yesterdays_shift_alone(runtime, clock):
    """A shift of 9 hours, then the next morning's check-in: yesterday's check-out keeps its pairing."""
    clock.set(clock.now().replace(hour=6))  # 07:00 in Brussels
    first_in = clock_in_out(runtime, "in")
    clock.advance(timedelta(hours=9))
    out = clock_in_out(runtime, "out")
    run_checks(runtime)
    clock.advance(timedelta(hours=16))
    next_in = clock_in_out(runtime, "in")
    run_checks(runtime)
    for registration_id in (first_in, out, next_in):
        assert remarks(runtime, registration_id) == ()
    assert len(get_presence(runtime, EMPLOYER_ACCOUNT, out).history) == 1


def test_a_shift_is_paired_from_the_clockings_its_reader_may_see(runtime, clock):
    """EMPLOYER checks its worker in on its workplace; three hours later STRANGER, with no role there, registers
    an out for him. STRANGER's shift is its out alone: neither EMPLOYER's check-in instant nor its worked time."""
    stranger = Caller.enterprise_account(PUBLIC_OTHER_ENTERPRISE)
    check_in = clock_in_out(runtime, "in")
    clock.advance(timedelta(hours=3))
    out = clock_in_out(runtime, "out", caller=stranger, enterprise_number=PUBLIC_OTHER_ENTERPRISE)
    run_checks(runtime)

    [theirs] = search_presences(runtime, stranger, SearchCriteria(periods=[(TODAY, TODAY)])).items
    shift = shifts_of(runtime, stranger, [theirs])[out]
    assert (shift.start, shift.end, shift.worked) == (clock.now(), clock.now(), timedelta(0))
    assert shift.breaks == []
    # EMPLOYER, the declaring contractor, consults both: the whole shift.
    ours = get_presence(runtime, EMPLOYER_ACCOUNT, check_in)
    shift = shifts_of(runtime, EMPLOYER_ACCOUNT, [ours])[check_in]
    assert (shift.start, shift.end, shift.worked) == (clock.now() - timedelta(hours=3), clock.now(),
                                                      timedelta(hours=3))


def test_the_cleaning_scenarios_of_the_simulation_get_their_remark(runtime, clock):
    from presence.sources import simulation

    place = simulation.CLEANING_PLACE
    last = {}
    for scenario in simulation.cleaning_scenarios(TODAY):
        for direction in scenario.clockings:
            submission = Submission(workplace=scenario.workplace, inss=scenario.inss,
                                    enterprise_number=scenario.enterprise_number, clocked_at=clock.now(),
                                    direction=direction, latitude=place.latitude, longitude=place.longitude)
            last[scenario.expected_remark] = register_one(runtime, submission, channel=Channel.REST,
                                                          regime=Regime.CLOCKING)
            clock.advance(timedelta(minutes=5))
    assert set(last) == {None, "CAW_18", "CAW_19"}
    run_checks(runtime)
    for remark, registration_id in last.items():
        presence = get_presence(runtime, EMPLOYER_ACCOUNT, registration_id)
        assert presence.remarks == ((RemarkCode(remark),) if remark else ()), remark
        assert presence.status is (SoapStatus.FAILED if remark else SoapStatus.VALIDATED)
