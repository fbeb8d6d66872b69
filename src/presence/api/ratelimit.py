"""Rate limits per client id (token endpoint and REST API): a token bucket per client, answered with 429 and
`Retry-After` when empty.

The buckets live in the serving process. `presence serve --workers N` divides each limit by N, so that the
connections spread over the processes by the kernel get about the configured rate per client in total.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..config import get_settings


@dataclass(frozen=True)
class Limit:
    """`rate` requests per second on average, up to `burst` at once. A rate of 0 means no limit."""

    rate: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0


@dataclass(frozen=True)
class Limits:
    token: Limit
    api: Limit

    @classmethod
    def from_settings(cls, processes: int = 1) -> Limits:
        settings = get_settings()
        return cls(token=Limit(settings.token_requests_per_minute / 60 / processes,
                               max(1, settings.token_burst // processes)),
                   api=Limit(settings.api_requests_per_second / processes, max(1, settings.api_burst // processes)))

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
        rate, burst = self.limit.rate, self.limit.burst
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(client, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > self.MAX_CLIENTS:
                    self._forget_idle(now)
                return None
            self._buckets[client] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / rate))

    def _forget_idle(self, now: float) -> None:
        rate, burst = self.limit.rate, self.limit.burst
        for client, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * rate >= burst:
                del self._buckets[client]
