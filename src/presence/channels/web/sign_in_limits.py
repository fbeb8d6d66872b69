"""Failed sign-ins are slowed down, per source address and per account, without letting anyone lock an account
out (OWASP's "device cookies").

A browser in which the person signed in before carries a device cookie for his account: its attempts count
against that device alone. Attempts from anywhere else count against the account's budget for unknown
devices, so that guessing a password is slow, while the owner, from his usual browser, is never held back by what
others try in his name. Every failure also counts against its source address (`FailureLimiter`: an address
that never failed is never held back).

The budgets live in the serving process, like the token endpoint's (`channels.http.ratelimit`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from ...config import get_settings
from ..http.ratelimit import FailureLimiter, Limit, RateLimiter

ADDRESS_FAILURES = Limit(10 / 60, 20)  # per source address: 20 at once, then 10 a minute
ADDRESSES_OVERALL = Limit(500 / 60, 1000)
UNKNOWN_DEVICE_FAILURES = Limit(1 / 60, 10)  # per account, from browsers it never signed in from
KNOWN_DEVICE_FAILURES = Limit(10 / 60, 20)  # per device cookie


@cache
def _device_key() -> bytes:
    # Without a configured secret (simulation), a key of this process: other processes merely trust no device.
    secret = get_settings().secret_key
    return hashlib.sha256(secret.encode()).digest() if secret else secrets.token_bytes(32)


def device_cookie(user_id: int) -> str:
    """A device cookie for an account the browser just signed in to."""
    nonce = secrets.token_urlsafe(12)
    return f"{user_id}.{nonce}.{_mac(user_id, nonce)}"


def _mac(user_id: int, nonce: str) -> str:
    return hmac.new(_device_key(), f"{user_id}.{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def known_device(cookie: str | None, user_key: str) -> str | None:
    """The device's key when `cookie` is a valid device cookie for the account `user_key` (`user:<id>`)."""
    parts = (cookie or "").split(".")
    if len(parts) != 3 or f"user:{parts[0]}" != user_key or not parts[0].isdigit():
        return None
    return f"device:{parts[1]}" if hmac.compare_digest(parts[2], _mac(int(parts[0]), parts[1])) else None


class SignInLimits:
    def __init__(self) -> None:
        self.addresses = FailureLimiter(ADDRESS_FAILURES, ADDRESSES_OVERALL)
        self.unknown_devices = RateLimiter(UNKNOWN_DEVICE_FAILURES)
        self.known_devices = RateLimiter(KNOWN_DEVICE_FAILURES)

    def _bucket(self, user_key: str, device: str | None) -> tuple[RateLimiter, str]:
        return (self.known_devices, device) if device else (self.unknown_devices, user_key)

    def wait(self, address: str, user_key: str, device: str | None) -> int | None:
        """Seconds to wait before this attempt may be tried, or None."""
        limiter, key = self._bucket(user_key, device)
        return self.addresses.retry_after(address) or limiter.wait(key)

    def failed(self, address: str, user_key: str, device: str | None) -> None:
        self.addresses.failed(address)
        limiter, key = self._bucket(user_key, device)
        limiter.retry_after(key)
