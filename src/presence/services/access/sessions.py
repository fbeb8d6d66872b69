"""People's sessions in the web pages, kept server-side (`db.models.UserSession`) so that they can be ended at
once: signing out, signing out everywhere, a revoked role taking effect on the next request.

The browser holds a random token; the table its SHA-256, with a CSRF token for the session's forms. A session
ends after `idle` without a request, at its absolute end whatever happens, or when ended.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from ...config import get_settings
from ...db.models import User, UserSession
from ...domain.channels import Channel
from .. import audit
from ..runtime import Runtime
from .users import SignedInWith, Staff, UserView, actor_of

# A session seen less than this long ago is not written again on each request (its idle end moves by as much).
TOUCH_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A valid session: who is signed in, how, and for which enterprise he acts (None: for himself)."""

    token_hash: str
    user_id: int
    national_number: str
    name: str
    language: str | None
    staff: Staff | None
    method: SignedInWith
    enterprise: str | None
    csrf_token: str
    expires_at: datetime

    @property
    def enrolling(self) -> bool:
        """Signed in with the password alone, to enrol one-time codes: nothing else is open to him."""
        return self.method is SignedInWith.ENROLMENT


def _limits() -> tuple[timedelta, timedelta]:
    settings = get_settings()
    return timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_hours)


def open_session(runtime: Runtime, user: UserView, method: SignedInWith) -> str:
    """A new session for `user`: the token for the browser's cookie."""
    now = runtime.clock.now()
    idle, absolute = _limits()
    token = secrets.token_urlsafe(32)
    lifetime = min(absolute, timedelta(minutes=15)) if method is SignedInWith.ENROLMENT else absolute
    with runtime.db.writing() as session:
        session.add(UserSession(token_hash=_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                                method=str(method), enterprise=None, created_at=now, last_seen_at=now,
                                expires_at=now + lifetime))
    return token


def session_of(runtime: Runtime, token: str | None) -> SignedIn | None:
    """The valid session of a cookie's token, or None (unknown, ended, idle too long, past its end)."""
    if not token:
        return None
    now = runtime.clock.now()
    idle, _ = _limits()
    token_hash = _hash(token)
    with runtime.db.reading() as session:
        found = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                                .where(UserSession.token_hash == token_hash)).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + idle <= now and not _worker_only(runtime, row, user):
        return None
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        with runtime.db.writing() as session:
            session.execute(update(UserSession).where(UserSession.token_hash == token_hash)
                            .values(last_seen_at=now))
    return SignedIn(token_hash, user.id, user.national_number, user.name, user.language,
                    Staff(user.staff) if user.staff else None, SignedInWith(row.method), row.enterprise,
                    row.csrf_token, row.expires_at)


def _worker_only(runtime: Runtime, row: UserSession, user: User) -> bool:
    """A worker who acts for himself only (no role in any enterprise, not the service's staff) stays signed in on
    his phone for the session's life, idle or not: a cleaner checks in, and checks out hours later without
    signing in again. What he can do is register himself and see his own registrations. Asked only of a session
    idle past the limit (one query)."""
    if row.enterprise is not None or user.staff is not None:
        return False
    from .roles import enterprises_of  # roles needs sessions' types

    return not enterprises_of(runtime, user.national_number)


def act_for(runtime: Runtime, signed_in: SignedIn, enterprise: str | None) -> None:
    """Remember for which enterprise the person acts (None: for himself). Whether he may is checked on every
    request (`roles.caller_of`): a role revoked meanwhile gives nothing."""
    with runtime.db.writing() as session:
        session.execute(update(UserSession).where(UserSession.token_hash == signed_in.token_hash)
                        .values(enterprise=enterprise))


def end_session(runtime: Runtime, signed_in: SignedIn, *, channel: str = Channel.ONLINE) -> None:
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        session.execute(update(UserSession).where(UserSession.token_hash == signed_in.token_hash,
                                                  UserSession.ended_at.is_(None)).values(ended_at=now))
        user = session.get(User, signed_in.user_id)
        audit.record(session, actor_of(user), channel, "user.signed_out", "user", [user.id], now)


def end_every_session(runtime: Runtime, user_id: int, *, channel: str = Channel.ONLINE) -> int:
    """Sign out everywhere: every session of the person ends now. Answers how many were open."""
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        ended = session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                          UserSession.ended_at.is_(None),
                                                          UserSession.expires_at > now)
                                .values(ended_at=now)).rowcount
        user = session.get(User, user_id)
        audit.record(session, actor_of(user), channel, "user.signed_out_everywhere", "user", [user.id], now,
                     {"sessions": ended})
    return ended


def prune(session, now: datetime) -> int:
    """Forget the sessions that ended or expired (the purge): nothing reads them again."""
    return session.execute(delete(UserSession).where(or_(UserSession.expires_at < now,
                                                         UserSession.ended_at.is_not(None)))).rowcount
