"""Pairing of check-ins and check-outs (cleaning) into shifts, breaks and worked time.

A worker checks in when starting and out when stopping; a break is an out followed by an in. Pairing is per
person and workplace, by instant (so shifts cross midnight naturally):
- an `out` with no open `in` is an orphan (remark CAW_18);
- an `in` while another is open is a second in (remark CAW_19); the earlier one is closed as a forgotten out;
- an `in` left open longer than `MAX_OPEN` is a forgotten out, and does not make the next `in` a second in;
- consecutive segments with a gap of at most `MAX_BREAK` form one shift, the gaps being its breaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_OPEN = timedelta(hours=16)  # *ours*: no cleaning shift lasts longer
MAX_BREAK = timedelta(hours=3)  # *ours*: a longer gap separates two shifts (split shifts are common)
# How far pairing reaches: a clocking's remark depends only on the clockings of the MAX_OPEN before it, and a
# new clocking can only change the remarks of those up to MAX_OPEN after it. With a margin.
PAIRING_CONTEXT = MAX_OPEN + timedelta(hours=8)


@dataclass(frozen=True)
class Clocking:
    registration_id: int
    direction: str  # in | out
    at: datetime


@dataclass(frozen=True)
class Segment:
    start: Clocking | None  # None: an out without in
    end: Clocking | None  # None: still open, or forgotten

    @property
    def worked(self) -> timedelta:
        if self.start and self.end:
            return self.end.at - self.start.at
        return timedelta(0)


@dataclass
class Shift:
    segments: list[Segment] = field(default_factory=list)
    forgotten_out: bool = False  # a check-in never closed by a check-out
    open: bool = False  # the last check-in is still running

    @property
    def start(self) -> datetime:
        first = self.segments[0]
        return (first.start or first.end).at

    @property
    def end(self) -> datetime | None:
        last = self.segments[-1]
        return last.end.at if last.end and not self.open else None

    @property
    def worked(self) -> timedelta:
        return sum((s.worked for s in self.segments), timedelta(0))

    @property
    def breaks(self) -> list[tuple[datetime, datetime]]:
        gaps = []
        for before, after in zip(self.segments, self.segments[1:], strict=False):
            if before.end and after.start:
                gaps.append((before.end.at, after.start.at))
        return gaps


@dataclass
class Pairing:
    shifts: list[Shift]
    orphan_outs: set[int]  # registration ids of outs without in
    second_ins: set[int]  # registration ids of ins while another was open


def pair(clockings: list[Clocking], now: datetime) -> Pairing:
    ordered = sorted(clockings, key=lambda c: (c.at, c.registration_id))
    segments: list[tuple[Segment, bool]] = []  # (segment, closed without its out)
    orphan_outs: set[int] = set()
    second_ins: set[int] = set()
    open_in: Clocking | None = None

    for clocking in ordered:
        if open_in is not None and clocking.at - open_in.at > MAX_OPEN:
            segments.append((Segment(open_in, None), True))
            open_in = None
        if clocking.direction == "in":
            if open_in is not None:
                second_ins.add(clocking.registration_id)
                segments.append((Segment(open_in, None), True))
            open_in = clocking
        else:
            if open_in is None:
                orphan_outs.add(clocking.registration_id)
                segments.append((Segment(None, clocking), False))
            else:
                segments.append((Segment(open_in, clocking), False))
                open_in = None
    still_open = False
    if open_in is not None:
        forgotten = now - open_in.at > MAX_OPEN
        segments.append((Segment(open_in, None), forgotten))
        still_open = not forgotten

    shifts: list[Shift] = []
    previous_end: datetime | None = None
    for segment, forgotten in segments:
        begins = (segment.start or segment.end).at
        joins = (shifts and previous_end is not None and segment.start is not None
                 and begins - previous_end <= MAX_BREAK)
        if not joins:
            shifts.append(Shift())
        shift = shifts[-1]
        shift.segments.append(segment)
        shift.forgotten_out = shift.forgotten_out or forgotten
        previous_end = segment.end.at if segment.end else None
    if shifts and still_open:
        shifts[-1].open = True
    return Pairing(shifts, orphan_outs, second_ins)


def pair_each(registrations, now: datetime) -> list[Pairing]:
    """Pair clockings per person and workplace. `registrations` have the registration's attributes (id, inss,
    workplace, direction, clocked_at); those without a person, a direction or an instant are left out, and a
    registration listed twice counts once."""
    sequences: dict[tuple[str, str], dict[int, Clocking]] = {}
    for r in registrations:
        if r.clocked_at is not None and r.inss and r.direction:
            sequences.setdefault((r.inss, r.workplace), {})[r.id] = Clocking(r.id, r.direction, r.clocked_at)
    return [pair(list(clockings.values()), now) for clockings in sequences.values()]
