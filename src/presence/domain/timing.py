"""When things may happen: registration windows per channel, cancellation cut-off, corrections, retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..clock import belgian_date
from .channels import Channel
from .texts import N_

# Day regime (construction, meat): the first and last registration date allowed, in days after today
# (Belgian local date). The web service: today or tomorrow (contract). The online services: up to 35 days
# ahead (as reported by a payroll provider). The gateway registers whoever stands in front of it: today.
DAY_WINDOWS: dict[Channel, tuple[int, int]] = {
    Channel.WEB_SERVICE: (0, 1),
    Channel.ONLINE: (0, 35),
    Channel.MOBILE: (0, 35),
    Channel.GATEWAY: (0, 0),
    Channel.OPERATOR: (0, 35),
}

# Clocking regime (cleaning): real time. At most 10 minutes late (law); a small tolerance for clocks that
# run ahead (*ours*).
CLOCKING_MAX_DELAY = timedelta(minutes=10)
CLOCKING_MAX_AHEAD = timedelta(minutes=2)

# Corrections: requested within 30 days of the registration date (law).
CORRECTION_DAYS = 30

# Registrations are kept 7 years (as reported), then purged.
RETENTION_YEARS = 7


def day_window(channel: Channel, today: date) -> tuple[date, date]:
    first, last = DAY_WINDOWS.get(channel, (0, 1))
    return today + timedelta(days=first), today + timedelta(days=last)


def clocking_in_window(clocked_at: datetime, received_at: datetime) -> str | None:
    """None when the instant is acceptable, else why not."""
    if clocked_at > received_at + CLOCKING_MAX_AHEAD:
        return N_("in the future: register when the work starts or stops, not in advance")
    if clocked_at < received_at - CLOCKING_MAX_DELAY:
        return N_("more than 10 minutes ago: registration must be made in real time")
    return None


def cancellation_deadline(registration_date: date) -> date:
    """*Ours*: a registration can be cancelled until the end of the day after its date (Belgian time)."""
    return registration_date + timedelta(days=1)


def may_still_cancel(registration_date: date, now: datetime) -> bool:
    return belgian_date(now) <= cancellation_deadline(registration_date)


def may_still_correct(registration_date: date, requested_on: date) -> bool:
    return requested_on <= registration_date + timedelta(days=CORRECTION_DAYS)
