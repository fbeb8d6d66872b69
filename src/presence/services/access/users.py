"""People who sign in to the web pages (`db.models.User`): built-in accounts with a password and one-time codes,
created by the operator (`presence users add`), by the simulation's personas, or on a first OpenID Connect
sign-in. Every sign-in, failure and change of credentials is an audit event.

A sign-in needs both factors: the password, then a one-time code of the authenticator app (or one of the
recovery codes). A person without a confirmed one-time-code secret yet signs in with his password only to enrol
one (`SignedInWith.ENROLMENT`), and can do nothing else until he has.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...auth import one_time_codes, passwords
from ...db.models import RecoveryCode, User
from ...domain.channels import Channel
from ...domain.identifiers import InvalidIdentifier, parse_inss
from ...domain.visibility import Caller, CallerKind
from ...i18n import LANGUAGES, gettext
from ...sources.models import Person
from .. import audit
from ..errors import InvalidRequest, NotAllowed, NotFound
from ..runtime import Runtime

ENROLMENT_LINK_DAYS = 7
NAME_LENGTH = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class Staff(StrEnum):
    """The service's own people: they act for no enterprise."""

    INSPECTOR = "inspector"
    BACK_OFFICE = "back_office"


class SignedInWith(StrEnum):
    PASSWORD_AND_CODE = "password+totp"
    RECOVERY_CODE = "password+recovery"
    ENROLMENT = "password"  # the password alone: only to enrol a one-time-code app
    OPENID_CONNECT = "openid-connect"
    PASSKEY = "passkey"  # the authenticator verified the person: both factors at once


@dataclass(frozen=True)
class UserView:
    id: int
    national_number: str
    name: str
    email: str | None
    language: str | None
    staff: Staff | None
    has_password: bool
    has_one_time_codes: bool
    recovery_codes_left: int = 0

    @classmethod
    def of(cls, user: User, recovery_codes_left: int = 0) -> UserView:
        return cls(user.id, user.national_number, user.name, user.email, user.language,
                   Staff(user.staff) if user.staff else None, user.password_hash is not None,
                   user.totp_secret is not None, recovery_codes_left)


class SignInFailed(InvalidRequest):
    """The identifier, password or code is wrong: one message for all, so that it tells nothing about which."""


def actor_of(user: User | UserView) -> Caller:
    """The user as the actor of his own audit events."""
    return Caller.person(user.national_number, sender_id=f"user:{user.id}")


def parse_email(value: str | None) -> str | None:
    email = (value or "").strip().lower()
    if not email:
        return None
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidRequest(gettext("Enter an e-mail address like name@example.be."), field="email")
    return email


def parse_national_number(value: str, field: str = "national_number") -> str:
    try:
        return parse_inss(value)
    except InvalidIdentifier as error:
        raise InvalidRequest(gettext("National number: %(reason)s.", reason=gettext(error.reason)),
                             field=field) from None


def _name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidRequest(gettext("Enter the person's name."), field="name")
    if len(name) > NAME_LENGTH:
        raise InvalidRequest(gettext("Use at most %(count)s characters.", count=NAME_LENGTH), field="name")
    return name


def _password(password: str) -> str:
    problem = passwords.password_problem(password)
    if problem:
        raise InvalidRequest(problem, field="password")
    return password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewUser:
    user: UserView
    enrolment_token: str | None  # for the enrolment link, when created without a password


def create_user(runtime: Runtime, caller: Caller, national_number: str, name: str, email: str | None, *,
                password: str | None = None, totp_secret: str | None = None, language: str | None = None,
                staff: Staff | None = None, channel: str = Channel.OPERATOR) -> NewUser:
    """A built-in account. Without a password, it comes with an enrolment link's token (valid 7 days) with which
    the person chooses his password and enrols his one-time codes."""
    if caller.kind is not CallerKind.OPERATOR:
        raise NotAllowed(gettext("Only the registry's operator creates accounts."))
    national_number = parse_national_number(national_number)
    name, email = _name(name), parse_email(email)
    if language is not None and language not in LANGUAGES:
        raise InvalidRequest(f"language: one of {', '.join(LANGUAGES)}", field="language")
    now = runtime.clock.now()
    token = None if password is not None else secrets.token_urlsafe(32)
    user = User(national_number=national_number, name=name, email=email, language=language,
                password_hash=passwords.hash_password(_password(password)) if password is not None else None,
                totp_secret=totp_secret, staff=str(staff) if staff else None, created_at=now,
                credentials_changed_at=now,
                enrolment_token_hash=_token_hash(token) if token else None,
                enrolment_expires_at=now + timedelta(days=ENROLMENT_LINK_DAYS) if token else None)
    try:
        with runtime.db.writing() as session:
            session.add(user)
            session.flush()
            audit.record(session, caller, channel, "user.created", "user", [user.id], now,
                         {"name": name, "staff": user.staff, "with_password": password is not None})
            view = UserView.of(user)
    except IntegrityError:
        raise InvalidRequest(gettext("There is already an account with this national number or e-mail address."),
                             field="national_number") from None
    return NewUser(view, token)


def _find(session: Session, identifier: str) -> User | None:
    """The account of a national number (any punctuation) or an e-mail address."""
    text = (identifier or "").strip()
    if "@" in text:
        return session.scalar(select(User).where(User.email == text.lower()))
    try:
        national_number = parse_inss(text)
    except InvalidIdentifier:
        return None
    return session.scalar(select(User).where(User.national_number == national_number))


def user_by_id(runtime: Runtime, user_id: int) -> UserView:
    with runtime.db.reading() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such account")
        left = session.scalar(select(func.count()).select_from(RecoveryCode)
                              .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))
        return UserView.of(user, left or 0)


def user_key(runtime: Runtime, identifier: str) -> str:
    """What the sign-in limits count failures against: the account's id when the identifier names one, else
    the identifier itself (hashed: it may be a national number)."""
    with runtime.db.reading() as session:
        user = _find(session, identifier)
    return f"user:{user.id}" if user else "unknown:" + _token_hash((identifier or "").strip().lower())[:16]


@dataclass(frozen=True)
class Authenticated:
    user: UserView
    method: SignedInWith


def authenticate(runtime: Runtime, identifier: str, password: str, code: str, *,
                 channel: str = Channel.ONLINE) -> Authenticated:
    """Check a sign-in: the password, then the one-time code (or a recovery code). A person without one-time
    codes yet is let in to enrol them (`SignedInWith.ENROLMENT`). Refused with `SignInFailed`, the same message
    whatever was wrong; the audit event says what."""
    now = runtime.clock.now()
    outcome: Authenticated | None = None
    with runtime.db.writing() as session:  # a failure is recorded too: the refusal is raised after the commit
        user = _find(session, identifier)
        if user is None or not passwords.verify_password(user.password_hash, password or ""):
            if user is not None:
                audit.record(session, actor_of(user), channel, "user.sign_in_failed", "user", [user.id], now,
                             {"reason": "password"})
        else:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            method = SignedInWith.ENROLMENT if user.totp_secret is None else _second_factor(session, user, code, now)
            if method is None:
                audit.record(session, actor_of(user), channel, "user.sign_in_failed", "user", [user.id], now,
                             {"reason": "one-time code"})
            else:
                audit.record(session, actor_of(user), channel, "user.signed_in", "user", [user.id], now,
                             {"method": str(method)})
                outcome = Authenticated(UserView.of(user), method)
    if user is None:
        passwords.verify_password(None, password or "")  # as long as for a known account
    if outcome is None:
        raise SignInFailed(gettext("The national number or e-mail, the password or the one-time code is wrong. "
                                   "Check them and try again."))
    return outcome


def _second_factor(session: Session, user: User, code: str, now: datetime) -> SignedInWith | None:
    step = one_time_codes.matching_step(user.totp_secret, code, now, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return SignedInWith.PASSWORD_AND_CODE
    if one_time_codes.looks_like_recovery_code(code):
        used = session.execute(
            update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                       RecoveryCode.code_hash == one_time_codes.recovery_hash(code))
            .values(used_at=now)).rowcount
        if used:
            return SignedInWith.RECOVERY_CODE
    return None


def sign_in_with_identity(runtime: Runtime, national_number: str, name: str, email: str | None,
                          language: str | None, *, channel: str = Channel.ONLINE) -> Authenticated:
    """A person an OpenID Connect provider vouches for (`auth.openid_connect`): his account, made at his first
    sign-in (the name and e-mail the provider gave; an e-mail another account holds is left out)."""
    now = runtime.clock.now()
    national_number = parse_national_number(national_number)
    language = language if language in LANGUAGES else None
    with runtime.db.writing() as session:
        user = session.scalar(select(User).where(User.national_number == national_number))
        if user is None:
            email = parse_email(email) if email and _EMAIL.match(email.strip().lower()) else None
            if email and session.scalar(select(User.id).where(User.email == email)) is not None:
                email = None
            if not (name or "").strip():  # the provider gave no name: the national register's
                found = session.execute(select(Person.given_name, Person.family_name)
                                        .where(Person.inss == national_number)).first()
                name = " ".join(found) if found else gettext("(no name)")
            user = User(national_number=national_number, name=_name(name), email=email,
                        language=language, created_at=now, credentials_changed_at=now)
            session.add(user)
            session.flush()
            audit.record(session, actor_of(user), channel, "user.created", "user", [user.id], now,
                         {"name": user.name, "by": "openid-connect"})
        audit.record(session, actor_of(user), channel, "user.signed_in", "user", [user.id], now,
                     {"method": str(SignedInWith.OPENID_CONNECT)})
        return Authenticated(UserView.of(user), SignedInWith.OPENID_CONNECT)


def confirm_one_time_codes(runtime: Runtime, user_id: int, secret: str, code: str, *,
                           channel: str = Channel.ONLINE) -> list[str]:
    """Enrol an authenticator app: `secret` (shown as a QR code) becomes the account's once `code` shows the app
    has it. Replaces any earlier app and recovery codes; answers the new recovery codes, to be shown once."""
    now = runtime.clock.now()
    if not re.fullmatch(r"[A-Z2-7]{32}", secret or ""):
        raise InvalidRequest("the enrolment expired: start again", field="code")
    step = one_time_codes.matching_step(secret, code, now, None)
    if step is None:
        raise InvalidRequest(gettext("The code is not the one your app shows now. Type the 6 digits it shows, "
                                     "or wait for the next ones."), field="code")
    codes = one_time_codes.new_recovery_codes()
    with runtime.db.writing() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such account")
        replaced = user.totp_secret is not None
        user.totp_secret, user.totp_last_step, user.credentials_changed_at = secret, step, now
        session.query(RecoveryCode).filter(RecoveryCode.user_id == user_id).delete()
        session.add_all(RecoveryCode(user_id=user_id, code_hash=one_time_codes.recovery_hash(c)) for c in codes)
        audit.record(session, actor_of(user), channel, "user.one_time_codes_enrolled", "user", [user.id], now,
                     {"replaced": replaced})
    return codes


def change_password(runtime: Runtime, user_id: int, current: str, new: str, *,
                    channel: str = Channel.ONLINE) -> None:
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such account")
        if not passwords.verify_password(user.password_hash, current or ""):
            raise InvalidRequest(gettext("This is not your current password."), field="current_password")
        user.password_hash = passwords.hash_password(_password(new))
        user.credentials_changed_at = now
        audit.record(session, actor_of(user), channel, "user.password_changed", "user", [user.id], now)


def enrolment_user(runtime: Runtime, token: str) -> UserView | None:
    """The account of an enrolment link still valid, or None."""
    with runtime.db.reading() as session:
        user = session.scalar(select(User).where(User.enrolment_token_hash == _token_hash(token or "")))
        if user is None or user.enrolment_expires_at is None or user.enrolment_expires_at < runtime.clock.now():
            return None
        return UserView.of(user)


def set_first_password(runtime: Runtime, token: str, password: str, *, channel: str = Channel.ONLINE) -> UserView:
    """The enrolment link's first step: the person chooses his password; the link is used up."""
    now = runtime.clock.now()
    _password(password)
    with runtime.db.writing() as session:
        user = session.scalar(select(User).where(User.enrolment_token_hash == _token_hash(token or "")))
        if user is None or user.enrolment_expires_at is None or user.enrolment_expires_at < now:
            raise NotFound(gettext("This enrolment link has expired or was already used. Ask for a new one."))
        user.password_hash = passwords.hash_password(password)
        user.enrolment_token_hash = user.enrolment_expires_at = None
        user.credentials_changed_at = now
        audit.record(session, actor_of(user), channel, "user.password_set", "user", [user.id], now)
        return UserView.of(user)


def set_language(runtime: Runtime, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidRequest(f"language: one of {', '.join(LANGUAGES)}", field="language")
    with runtime.db.writing() as session:
        session.execute(update(User).where(User.id == user_id).values(language=language))

