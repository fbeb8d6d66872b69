from datetime import UTC, datetime, timedelta

from presence.domain.shifts import Clocking, pair

T0 = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 23:00 in Brussels


def clockings(*steps):
    """(hours after T0, direction) -> clockings numbered from 1."""
    return [Clocking(i, direction, T0 + timedelta(hours=h)) for i, (h, direction) in enumerate(steps, 1)]


def test_a_night_shift_with_a_break_across_midnight():
    result = pair(clockings((0, "in"), (2, "out"), (2.5, "in"), (7, "out")), now=T0 + timedelta(hours=8))
    assert not result.orphan_outs and not result.second_ins
    [shift] = result.shifts
    assert shift.worked == timedelta(hours=6.5)
    assert shift.breaks == [(T0 + timedelta(hours=2), T0 + timedelta(hours=2.5))]
    assert shift.end == T0 + timedelta(hours=7)
    assert not shift.open and not shift.forgotten_out


def test_split_shift_is_two_shifts():
    result = pair(clockings((0, "in"), (3, "out"), (10, "in"), (13, "out")), now=T0 + timedelta(days=1))
    assert [s.worked for s in result.shifts] == [timedelta(hours=3), timedelta(hours=3)]


def test_out_without_in():
    result = pair(clockings((0, "out")), now=T0)
    assert result.orphan_outs == {1}
    assert result.shifts[0].worked == timedelta(0)


def test_second_in_while_open():
    result = pair(clockings((0, "in"), (1, "in"), (4, "out")), now=T0 + timedelta(hours=5))
    assert result.second_ins == {2}
    assert result.shifts[-1].worked == timedelta(hours=3)
    assert result.shifts[0].forgotten_out


def test_forgotten_out_does_not_make_next_day_a_second_in():
    result = pair(clockings((0, "in"), (24, "in"), (30, "out")), now=T0 + timedelta(hours=31))
    assert result.second_ins == set()
    assert result.shifts[0].forgotten_out
    assert result.shifts[-1].worked == timedelta(hours=6)


def test_a_shift_still_running():
    result = pair(clockings((0, "in")), now=T0 + timedelta(hours=3))
    assert result.shifts[0].open and result.shifts[0].end is None and not result.shifts[0].forgotten_out
    late = pair(clockings((0, "in")), now=T0 + timedelta(hours=20))
    assert late.shifts[0].forgotten_out and not late.shifts[0].open
