"""The kiosk's link to the registry (`channels/gateway_api.py`): every request signed with the kiosk's key.
`Unreachable` when the registry cannot be reached or fails (the kiosk then keeps its entries for later);
`Refused` when it answers no (an unknown or revoked kiosk, a wrong clock)."""

from __future__ import annotations

from dataclasses import asdict

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from ..clock import Clock
from ..domain.gateway_entries import Entry, sign_request


class Unreachable(Exception):
    """The registry could not be reached, or failed: try again later. `maybe_received`: the request reached it
    (only its answer is missing), so what it carried may have been taken."""

    def __init__(self, reason: str, maybe_received: bool = True) -> None:
        super().__init__(reason)
        self.maybe_received = maybe_received


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RegistryLink:
    def __init__(self, server: str, kiosk: int, key: ec.EllipticCurvePrivateKey, clock: Clock,
                 timeout: float = 4.0) -> None:
        self.base = f"{server.rstrip('/')}/gateway/v1/kiosks/{kiosk}"
        self.kiosk = kiosk
        self.key = key
        self.clock = clock
        self.timeout = timeout

    def _post(self, path: str, body: dict, read_timeout: float | None = None) -> dict:
        timeout = httpx.Timeout(self.timeout, read=read_timeout or self.timeout)
        try:
            answer = httpx.post(f"{self.base}/{path}", json=body, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:  # nothing left the kiosk
            raise Unreachable(type(error).__name__, maybe_received=False) from None
        except httpx.HTTPError as error:
            raise Unreachable(type(error).__name__) from None
        if answer.status_code >= 500:
            raise Unreachable(f"HTTP {answer.status_code}")
        try:
            found = answer.json()
        except ValueError:
            raise Unreachable("not the registry's answer") from None
        if answer.status_code != 200:
            raise Refused(answer.status_code, str(found.get("error", "")) if isinstance(found, dict) else "")
        return found

    def _signed(self, purpose: str, fields: dict) -> dict:
        at = self.clock.now().isoformat()
        return {"at": at, **fields, "signature": sign_request(self.key, self.kiosk, purpose, at, fields)}

    def state(self) -> dict:
        return self._post("state", self._signed("state", {}))

    def person(self, inss: str | None = None, limosa_id: str | None = None) -> dict:
        fields = {"inss": inss} if inss else {"limosa_id": limosa_id}
        return self._post("people", self._signed("person", fields))

    def send(self, entries: list[Entry], cover: bool = False) -> dict:
        """The registry's answer: `results`, one per entry, and the last entry it took (`counter`, `digest`).
        A batch takes a while at the registry (each entry is its own transaction): its answer is waited for."""
        return self._post("entries", {"entries": [asdict(e) for e in entries], "cover": cover}, read_timeout=60)
