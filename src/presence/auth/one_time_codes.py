"""One-time codes (TOTP, RFC 6238: 6 digits, 30-second steps, SHA-1 as every authenticator app does), and the
recovery codes that stand in for them when the phone is lost."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "presence"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted: phones' clocks drift
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_uri(secret: str, account_name: str) -> str:
    """The `otpauth://` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def enrolment_qr_svg(secret: str, account_name: str) -> str:
    """The enrolment QR code as an inline SVG (no external image, no script)."""
    return segno.make(enrolment_uri(secret, account_name), error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", omitsize=False)


def code_of(text: str) -> str:
    """What a person typed, without spaces and dashes."""
    return re.sub(r"[\s\-]", "", text or "")


def matching_step(secret: str, code: str, at: datetime, after_step: int | None) -> int | None:
    """The time step whose code is `code` (within the drift allowed), if later than `after_step` (a code is
    never accepted twice); None otherwise."""
    code = code_of(code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if (after_step is None or step > after_step) and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 10 characters, shown once as xxxxx-xxxxx."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(code: str) -> str:
    return hashlib.sha256(code_of(code).lower().encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9]{10}", code_of(code).lower())) and not code_of(code).isdigit()
