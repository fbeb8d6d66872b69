"""What a gateway kiosk sends when the registry could not be reached: each registration it made meanwhile, signed
with the kiosk's own key (ECDSA P-256, SHA-256), numbered by a counter that only goes up, and chained by the
SHA-256 of the entry before it. The registry takes an entry only when its signature holds, it follows the last
one taken in the chain (no replay, nothing missing, nothing swapped), and its instant is neither before the last
one's nor ahead of the registry's clock: `judge` says which of these fails. A kiosk whose entries were refused
goes on from the last entry the registry took: its counter still only goes up, so that gap is the only one
allowed, and only the kiosk's key can make such an entry.

The kiosk's other requests (where its chain stands, who a person is) are signed too (`sign_request`): the key is
the kiosk's only credential."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .texts import N_

GENESIS = "0" * 64  # the `previous` of a kiosk's first entry
MAX_AHEAD = timedelta(minutes=2)  # a kiosk's clock may run a little ahead of the registry's


@dataclass(frozen=True)
class Entry:
    counter: int  # 1, 2, 3... per kiosk, never reused
    made_at: str  # the instant the person registered on site, ISO 8601 with its offset
    workplace: str
    inss: str | None  # the person: national or BIS number, or
    limosa_id: str | None  # a posted worker's Limosa number
    enterprise: str | None  # for whom he works (none with a Limosa number)
    previous: str  # SHA-256 (hex) of the entry before it, `GENESIS` for the first
    signature: str = ""  # base64 of the kiosk's signature of `signed_part`

    def signed_part(self) -> bytes:
        """What is signed: every field but the signature, as canonical JSON."""
        fields = asdict(self)
        del fields["signature"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()

    def digest(self) -> str:
        """What the next entry names as its `previous`: the signed entry's SHA-256."""
        return hashlib.sha256(self.signed_part() + self.signature.encode()).hexdigest()

    def instant(self) -> datetime | None:
        try:
            made = datetime.fromisoformat(self.made_at)
        except ValueError:
            return None
        return made if made.tzinfo is not None else None


def sign(entry: Entry, private_key: ec.EllipticCurvePrivateKey) -> Entry:
    signature = private_key.sign(entry.signed_part(), ec.ECDSA(hashes.SHA256()))
    return replace(entry, signature=base64.b64encode(signature).decode())


def _signed_by(public_key_pem: str, signature: str, data: bytes) -> bool:
    """Whether `signature` (base64) is the kiosk's ECDSA signature of `data` with the key of `public_key_pem`."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        key.verify(base64.b64decode(signature, validate=True), data, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def signature_holds(entry: Entry, public_key_pem: str) -> bool:
    return _signed_by(public_key_pem, entry.signature, entry.signed_part())


@dataclass(frozen=True)
class Chain:
    """Where a kiosk's chain stands at the registry: the last entry taken."""

    counter: int
    digest: str
    made_at: datetime | None
    enrolled_at: datetime


def judge(entry: Entry, chain: Chain, public_key_pem: str, now: datetime) -> str | None:
    """Why the registry refuses this entry (a reason marked for the catalogues), or None to take it."""
    if not signature_holds(entry, public_key_pem):
        return N_("forged: the kiosk's signature does not hold")
    if entry.counter <= chain.counter:
        return N_("replayed: this entry was received already")
    if entry.previous != chain.digest:
        if entry.counter != chain.counter + 1:
            return N_("out of order: an entry before it is missing")
        return N_("the chain is broken: it does not follow the last entry received")
    made = entry.instant()
    if made is None:
        return N_("its instant is not a date and time with its offset")
    if made < chain.enrolled_at or (chain.made_at is not None and made < chain.made_at):
        return N_("back-dated: made before the entry before it")
    if made > now + MAX_AHEAD:
        return N_("in the future: the kiosk's clock is ahead")
    return None


def request_part(kiosk: int, purpose: str, at: str, fields: dict) -> bytes:
    """What a kiosk signs for a request that is not an entry: its number, what it asks, when, and what with."""
    return json.dumps({"kiosk": kiosk, "purpose": purpose, "at": at, **fields}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True).encode()


def sign_request(private_key: ec.EllipticCurvePrivateKey, kiosk: int, purpose: str, at: str, fields: dict) -> str:
    return base64.b64encode(private_key.sign(request_part(kiosk, purpose, at, fields),
                                             ec.ECDSA(hashes.SHA256()))).decode()


def judge_request(public_key_pem: str, signature: str, kiosk: int, purpose: str, at: str, fields: dict,
                  now: datetime) -> str | None:
    """Why a kiosk's request is refused (marked for the catalogues), or None: signed by its key, made within two
    minutes of the registry's clock (an old one is not taken again)."""
    if not _signed_by(public_key_pem, signature, request_part(kiosk, purpose, at, fields)):
        return N_("forged: the kiosk's signature does not hold")
    try:
        made = datetime.fromisoformat(at)
    except ValueError:
        made = None
    if made is None or made.tzinfo is None or abs(made - now) > MAX_AHEAD:
        return N_("the kiosk's clock is wrong: set it right")
    return None


def key_in_link(public_key: ec.EllipticCurvePublicKey) -> str:
    """A kiosk's public key as it travels in the address of its enrolment page: base64url of its DER form."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(der).decode().rstrip("=")


def key_from_link(text: str) -> str | None:
    """The PEM of the public key `key_in_link` wrote, or None when it is none."""
    try:
        der = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        return None
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(public_key_pem: str) -> str:
    """What the person setting a kiosk up compares between the kiosk's screen and the registry's page: the first
    64 bits of the SHA-256 of its key, in groups of four."""
    key = serialization.load_pem_public_key(public_key_pem.encode())
    digest = hashlib.sha256(key.public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest().upper()
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))
