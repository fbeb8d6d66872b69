"""Rate limits (token endpoint and REST API): token buckets, answered with 429 and `Retry-After` when empty.

Requests are counted per client id only once the client is authenticated, so that nobody spends another's
budget by naming it. Failed authentications at the token endpoint are counted per source address, and all
together (`FailureLimiter`).

The buckets live in the serving process. `presence serve --workers N` divides each limit by N, so that the
connections spread over the processes by the kernel get about the configured rate per client in total.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ...config import get_settings


@dataclass(frozen=True)
class Limit:
    """`rate` requests per second on average, up to `burst` at once. A rate of 0 means no limit."""

    rate: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0


# Failed token requests from all addresses together may be this many times those of one address.
OVERALL_FAILURES = 50


@dataclass(frozen=True)
class Limits:
    token: Limit  # token requests per authenticated client id
    api: Limit  # REST requests per authenticated client id
    token_failures: Limit = Limit(0, 0)  # failed token requests per source address
    token_failures_overall: Limit = Limit(0, 0)  # failed token requests from everywhere

    @classmethod
    def from_settings(cls, processes: int = 1) -> Limits:
        settings = get_settings()

        def share(per_second: float, burst: int) -> Limit:
            return Limit(per_second / processes, max(1, burst // processes))

        failures = settings.token_failures_per_minute / 60
        return cls(token=share(settings.token_requests_per_minute / 60, settings.token_burst),
                   api=share(settings.api_requests_per_second, settings.api_burst),
                   token_failures=share(failures, settings.token_failure_burst),
                   token_failures_overall=share(failures * OVERALL_FAILURES,
                                                settings.token_failure_burst * OVERALL_FAILURES))

    @classmethod
    def none(cls) -> Limits:
        return cls(Limit(0, 0), Limit(0, 0))


class RateLimiter:
    MAX_CLIENTS = 100_000  # buckets kept; full (idle) ones are dropped first, they hold no information

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Take one request from `client`'s bucket: None if allowed, else the whole seconds to wait."""
        if self.limit.unlimited:
            return None
        with self._lock:
            now = self._clock()
            tokens = self._level(client, now)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > self.MAX_CLIENTS:
                    self._forget_idle(now)
                return None
            self._buckets[client] = (tokens, now)
            return self._wait(tokens)

    def wait(self, client: str) -> int | None:
        """Like `retry_after`, without taking anything: None while `client` has a request left."""
        if self.limit.unlimited:
            return None
        with self._lock:
            tokens = self._level(client, self._clock())
        return None if tokens >= 1 else self._wait(tokens)

    def has_spent(self, client: str) -> bool:
        """Whether `client` took from its bucket lately (it is not full again yet)."""
        if self.limit.unlimited:
            return False
        with self._lock:
            return client in self._buckets and self._level(client, self._clock()) < self.limit.burst

    def _level(self, client: str, now: float) -> float:
        tokens, at = self._buckets.get(client, (self.limit.burst, now))
        return min(self.limit.burst, tokens + (now - at) * self.limit.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1 - tokens) / self.limit.rate))

    def _forget_idle(self, now: float) -> None:
        rate, burst = self.limit.rate, self.limit.burst
        for client, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * rate >= burst:
                del self._buckets[client]


class FailureLimiter:
    """Holds back the sources of failed authentications, without ever holding back anyone else.

    Each source address may fail `per_address.burst` times, then at `per_address.rate`; its requests are refused
    (before any work) while its failures are spent. When failures from all addresses together pass `overall`, an
    address that failed lately is also held back until the overall budget refills: a flood from many addresses
    is slowed down as a whole. An address that has not failed lately is never held back, so the owner of a
    client id is never refused because of what others sent in its name.
    """

    OVERALL = "(all addresses)"

    def __init__(self, per_address: Limit, overall: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_address = RateLimiter(per_address, clock)
        self.overall = RateLimiter(overall, clock)

    def retry_after(self, address: str) -> int | None:
        """None when a request from `address` may be tried, else the whole seconds to wait."""
        own = self.per_address.wait(address)
        if own is not None:
            return own
        return self.overall.wait(self.OVERALL) if self.per_address.has_spent(address) else None

    def failed(self, address: str) -> None:
        self.per_address.retry_after(address)
        self.overall.retry_after(self.OVERALL)
