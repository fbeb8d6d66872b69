"""Retention: registrations are kept 7 years, then purged with their history; finished jobs are pruned, and so
are the signed messages no replay of which could be accepted any more, expired access tokens and the client
assertions past their expiry.

On PostgreSQL the registrations live in monthly partitions (`db.partitions`): the purge drops the months wholly
past the 7 years, deletes row by row only in the month the limit falls in, and makes the coming months ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from ..clock import belgian_today, start_of_belgian_day
from ..db import partitions
from ..db.models import AccessToken, AuditEvent, ReceivedMessage, Registration, UsedAssertion, UserSession
from ..domain.channels import Channel
from ..domain.timing import RETENTION_YEARS
from ..domain.visibility import Caller
from ..jobs.models import Job, JobState
from . import audit
from .access import access_tokens, replays, sessions
from .runtime import Runtime

DONE_JOBS_KEPT = timedelta(days=30)  # *ours*: long enough to investigate a complaint about a check
CHUNK = 5_000  # registrations deleted per transaction, so a purge never holds a long lock


@dataclass(frozen=True)
class PurgeReport:
    cutoff: date  # registrations dated before this day are purged
    registrations: int
    audit_events: int
    jobs: int
    received_messages: int  # signed SOAP messages past the time a replay of them could be accepted
    used_assertions: int  # OAuth client assertions past their expiry (their `jti` could not be used again)
    access_tokens: int  # expired
    user_sessions: int = 0  # people's web sessions that ended or expired
    months_dropped: tuple[date, ...] = ()  # PostgreSQL: the monthly partitions dropped whole


def retention_cutoff(today: date, years: int = RETENTION_YEARS) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge_expired(runtime: Runtime, caller: Caller, dry_run: bool = False) -> PurgeReport:
    now = runtime.clock.now()
    cutoff = retention_cutoff(belgian_today(runtime.clock))
    expired = Registration.registration_date < cutoff
    old_events = AuditEvent.occurred_at < start_of_belgian_day(cutoff)
    old_jobs = (Job.state == JobState.DONE) & (Job.finished_at < now - DONE_JOBS_KEPT)
    if dry_run:
        with runtime.db.reading() as session:
            def count(model, condition) -> int:
                return session.scalar(select(func.count()).select_from(model).where(condition))

            return PurgeReport(cutoff, count(Registration, expired), count(AuditEvent, old_events),
                               count(Job, old_jobs), count(ReceivedMessage, ReceivedMessage.expires_at < now),
                               count(UsedAssertion, UsedAssertion.expires_at < now),
                               count(AccessToken, AccessToken.expires_at < now),
                               count(UserSession, (UserSession.expires_at < now) | UserSession.ended_at.is_not(None)))
    prepare_months(runtime)
    dropped = runtime.db.drop_months_before(partitions.month_of(cutoff))
    purged = sum(month.registrations for month in dropped)
    while True:
        with runtime.db.writing() as session:
            ids = list(session.scalars(select(Registration.id).where(expired).limit(CHUNK)))
            if not ids:
                break
            # Validations and revisions go with their registration (ON DELETE CASCADE).
            session.execute(delete(Registration).where(Registration.id.in_(ids)))
            purged += len(ids)
    with runtime.db.writing() as session:
        events = session.execute(delete(AuditEvent).where(old_events)).rowcount
        jobs = session.execute(delete(Job).where(old_jobs)).rowcount
        messages = replays.prune(session, now)
        assertions, tokens = access_tokens.prune_expired(session, now)
        ended_sessions = sessions.prune(session, now)
        audit.record(session, caller, Channel.OPERATOR, "registration.purged", "registration", [], now,
                     {"before": cutoff.isoformat(), "registrations": purged, "audit_events": events, "jobs": jobs,
                      "months_dropped": [d.month.isoformat() for d in dropped]})
    return PurgeReport(cutoff, purged, events, jobs, messages, assertions, tokens, ended_sessions,
                       tuple(d.month for d in dropped))


def prepare_months(runtime: Runtime) -> None:
    """Make the partitions of this month and the next ones ready before anything is registered in them (the
    worker does it hourly, the purge too)."""
    today = belgian_today(runtime.clock)
    runtime.db.ensure_months(partitions.coming_months(today))
