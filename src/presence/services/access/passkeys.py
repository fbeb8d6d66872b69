"""Passkeys (WebAuthn, with the `webauthn` library): a person adds them on his account page and then signs in
with one instead of his password and one-time code. The authenticator must verify the person (fingerprint,
face, PIN): a passkey is then both factors at once.

Each ceremony gets a challenge kept here (`db.models.WebAuthnChallenge`), good once and for 5 minutes: the
browser's answer names it, and it is used up as it is checked.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...db.models import Passkey, User, WebAuthnChallenge
from ...domain.channels import Channel
from ...i18n import gettext
from .. import audit
from ..errors import InvalidRequest, NotFound
from ..runtime import Runtime
from .users import Authenticated, SignedInWith, UserView, actor_of

CHALLENGE_LIFETIME = timedelta(minutes=5)
NAME_LENGTH = 100
MAX_PASSKEYS = 10
RP_NAME = "presence"


@dataclass(frozen=True)
class Party:
    """Who asks (the relying party): this registry, by its host name, as the browser sees it."""

    rp_id: str  # the host name: registry.example
    origin: str  # https://registry.example


@dataclass(frozen=True)
class PasskeyView:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keep_challenge(runtime: Runtime, challenge: bytes, purpose: str, user_id: int | None) -> None:
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < now))
        session.add(WebAuthnChallenge(challenge=_b64(challenge), purpose=purpose, user_id=user_id,
                                      expires_at=now + CHALLENGE_LIFETIME))


def _use_challenge(runtime: Runtime, credential: dict, purpose: str, user_id: int | None) -> bytes:
    """The challenge the browser's answer signed, once it is used up; refused when unknown, used or too old."""
    try:
        client_data = json.loads(_unb64(credential["response"]["clientDataJSON"]))
        challenge = str(client_data["challenge"])
    except (KeyError, TypeError, ValueError):
        raise InvalidRequest(gettext("The passkey's answer could not be read. Try again."), field="passkey") \
            from None
    with runtime.db.writing() as session:
        used = session.execute(delete(WebAuthnChallenge).where(
            WebAuthnChallenge.challenge == challenge, WebAuthnChallenge.purpose == purpose,
            WebAuthnChallenge.user_id.is_(None) if user_id is None else WebAuthnChallenge.user_id == user_id,
            WebAuthnChallenge.expires_at >= runtime.clock.now())).rowcount
    if not used:
        raise InvalidRequest(gettext("This passkey request has expired. Try again."), field="passkey")
    return _unb64(challenge)


def registration_options(runtime: Runtime, user_id: int, party: Party) -> str:
    """The options (JSON) of `navigator.credentials.create()` for a new passkey of the person."""
    with runtime.db.reading() as session:
        user = session.get(User, user_id)
        known = session.scalars(select(Passkey.credential_id).where(Passkey.user_id == user_id)).all()
    options = generate_registration_options(
        rp_id=party.rp_id, rp_name=RP_NAME, user_id=f"presence-user-{user.id}".encode(),
        user_name=user.email or user.name, user_display_name=user.name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_unb64(c)) for c in known])
    _keep_challenge(runtime, options.challenge, "register", user_id)
    return options_to_json(options)


def add_passkey(runtime: Runtime, user_id: int, credential: dict, name: str, party: Party, *,
                channel: str = Channel.ONLINE) -> PasskeyView:
    name = " ".join((name or "").split())[:NAME_LENGTH] or gettext("Passkey")
    challenge = _use_challenge(runtime, credential, "register", user_id)
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=party.rp_id, expected_origin=party.origin,
                                                require_user_verification=True)
    except InvalidRegistrationResponse:
        raise InvalidRequest(gettext("The passkey could not be checked. Try again, or with another one."),
                             field="passkey") from None
    now = runtime.clock.now()
    try:
        with runtime.db.writing() as session:
            count = session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id))
            if count >= MAX_PASSKEYS:
                raise InvalidRequest(gettext("You have %(count)s passkeys already: remove one first.",
                                             count=MAX_PASSKEYS), field="passkey")
            passkey = Passkey(user_id=user_id, credential_id=_b64(verified.credential_id),
                              public_key=_b64(verified.credential_public_key), sign_count=verified.sign_count,
                              name=name, created_at=now, last_used_at=None)
            session.add(passkey)
            session.flush()
            audit.record(session, actor_of(session.get(User, user_id)), channel, "user.passkey_added", "user",
                         [user_id], now, {"passkey": passkey.id, "name": name})
            return PasskeyView(passkey.id, name, now, None)
    except IntegrityError:
        raise InvalidRequest(gettext("This passkey is registered already."), field="passkey") from None


def passkeys_of(runtime: Runtime, user_id: int) -> list[PasskeyView]:
    with runtime.db.reading() as session:
        rows = session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)).all()
        return [PasskeyView(row.id, row.name, row.created_at, row.last_used_at) for row in rows]


def remove_passkey(runtime: Runtime, user_id: int, passkey_id: int, *, channel: str = Channel.ONLINE) -> None:
    now = runtime.clock.now()
    with runtime.db.writing() as session:
        removed = session.execute(delete(Passkey).where(Passkey.id == passkey_id,
                                                        Passkey.user_id == user_id)).rowcount
        if not removed:
            raise NotFound(gettext("This passkey was already removed."))
        audit.record(session, actor_of(session.get(User, user_id)), channel, "user.passkey_removed", "user",
                     [user_id], now, {"passkey": passkey_id})


def sign_in_options(runtime: Runtime, party: Party) -> str:
    """The options (JSON) of `navigator.credentials.get()`: any of this registry's passkeys on the device."""
    options = generate_authentication_options(rp_id=party.rp_id,
                                              user_verification=UserVerificationRequirement.REQUIRED,
                                              challenge=secrets.token_bytes(32))
    _keep_challenge(runtime, options.challenge, "sign-in", None)
    return options_to_json(options)


def sign_in_with_passkey(runtime: Runtime, credential: dict, party: Party, *,
                         channel: str = Channel.ONLINE) -> Authenticated:
    """The person whose passkey signed the challenge (and verified him); `InvalidRequest` otherwise."""
    challenge = _use_challenge(runtime, credential, "sign-in", None)
    refused = gettext("This passkey cannot sign you in here. Sign in with your password and one-time code, then "
                      "add the passkey on your account page.")
    now = runtime.clock.now()
    outcome: Authenticated | None = None
    with runtime.db.writing() as session:  # a failure is recorded too: the refusal is raised after the commit
        passkey = session.scalar(select(Passkey).where(Passkey.credential_id == str(credential.get("id", ""))))
        if passkey is None:
            raise InvalidRequest(refused, field="passkey")
        user = session.get(User, passkey.user_id)
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=challenge, expected_rp_id=party.rp_id,
                expected_origin=party.origin, credential_public_key=_unb64(passkey.public_key),
                credential_current_sign_count=passkey.sign_count, require_user_verification=True)
        except InvalidAuthenticationResponse:
            audit.record(session, actor_of(user), channel, "user.sign_in_failed", "user", [user.id], now,
                         {"reason": "passkey"})
        else:
            passkey.sign_count, passkey.last_used_at = verified.new_sign_count, now
            audit.record(session, actor_of(user), channel, "user.signed_in", "user", [user.id], now,
                         {"method": str(SignedInWith.PASSKEY)})
            outcome = Authenticated(UserView.of(user), SignedInWith.PASSKEY)
    if outcome is None:
        raise InvalidRequest(refused, field="passkey")
    return outcome
