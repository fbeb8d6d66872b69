"""What the kiosk does, whatever its screen: learn which kiosk it is, find who a person is, register him for today
(an entry signed, numbered and chained on disk, then sent), and send what waits whenever the registry can be
reached. The screen (`screens.py`) only shows it.

A registration never waits for the registry: it is an entry on disk first. Sending it right away gives its
receipt number and what covers the person (the green light); when the registry cannot be reached, the entry
waits and is sent later, with the instant it was made. One lock keeps making and sending in order."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ..clock import Clock
from ..domain.gateway_entries import Entry
from ..domain.identifiers import InvalidIdentifier, parse_any_enterprise
from ..domain.texts import N_
from .link import Refused, RegistryLink, Unreachable
from .store import Enrolment, KioskStore, Queued

log = logging.getLogger(__name__)
REVOKED = "the kiosk is revoked"  # the registry's reasons, marked there
REPLAYED = "replayed:"
UNKNOWN_KIOSK = "no kiosk has this number"
COVER_AT_MOST = 10  # the green light is asked for a registration just made, not for a backlog
BATCH = 100  # entries a request: a backlog goes in several, a person's registration waits for one at the most


@dataclass(frozen=True)
class Found:
    """Who a person is, as far as the kiosk can tell: a name to show (None: unknown, or the registry could not be
    asked) and the enterprises to offer."""

    name: str | None
    enterprises: tuple[tuple[str, str], ...]
    online: bool
    known: bool = True


@dataclass
class Outcome:
    """A registration made on the kiosk: its entry, and once sent its receipt (or why it was refused) and what
    covers the person."""

    entry: Entry
    receipt: int | None = None
    refused: str | None = None
    coverage: dict | None = None
    sent: bool = False


@dataclass
class Status:
    online: bool | None = None  # None: not tried yet
    waiting: int = 0
    refused: int = 0
    problem: str | None = None  # why the registry refuses the kiosk's requests (its clock, say), marked


class Kiosk:
    def __init__(self, store: KioskStore, server: str, clock: Clock, timeout: float = 4.0) -> None:
        self.store = store
        self.server = server.rstrip("/")
        self.clock = clock
        self.timeout = timeout
        self.online: bool | None = None
        self.problem: str | None = None
        self._lock = threading.RLock()

    @property
    def enrolment(self) -> Enrolment | None:
        return self.store.enrolment()

    def _link(self, kiosk: int | None = None) -> RegistryLink:
        """To the registry, as kiosk number `kiosk` (setting up), else as the one it is set up as."""
        return RegistryLink(self.server, kiosk or self.enrolment.kiosk, self.store.key, self.clock, self.timeout)

    # --- setting up ----------------------------------------------------------------------------------------------

    def enrol(self, kiosk: int) -> Enrolment:
        """The registry says it set this kiosk up as number `kiosk`: ask it, signed with our key, which proves the
        kiosk it enrolled has our key; then keep its workplace. `Refused` or `Unreachable` otherwise."""
        state = self._link(kiosk).state()
        if state["revoked"]:
            raise Refused(403, REVOKED)
        enrolment = Enrolment(self.server, kiosk, state["name"], state["workplace"], state["address"],
                              state["enterprise"], state["chain"])
        with self._lock:
            self.store.save_enrolment(enrolment)
            self.store.go_on_from(state["digest"])
        self.online = True
        return enrolment

    def refresh(self) -> None:
        """Learn again where the kiosk stands (its workplace's chain may have changed; it may be revoked)."""
        enrolment = self.enrolment
        if enrolment is None or enrolment.revoked:
            return
        try:
            state = self._link().state()
        except Unreachable:
            self.online = False
            return
        except Refused as refused:
            if refused.reason == UNKNOWN_KIOSK:
                self._revoked(enrolment)
            self.problem = refused.reason
            return
        self.online, self.problem = True, None
        with self._lock:
            enrolment = self.enrolment
            enrolment.chain, enrolment.address, enrolment.name = state["chain"], state["address"], state["name"]
            enrolment.revoked = enrolment.revoked or state["revoked"]
            self.store.save_enrolment(enrolment)

    def _revoked(self, enrolment: Enrolment) -> None:
        with self._lock:
            enrolment.revoked = True
            self.store.save_enrolment(enrolment)

    # --- people --------------------------------------------------------------------------------------------------

    def find(self, inss: str | None = None, limosa_id: str | None = None) -> Found:
        """Ask the registry who the person is; when it cannot be reached, the kiosk goes on without."""
        enrolment = self.enrolment
        try:
            found = self._link().person(inss, limosa_id)
        except Unreachable:
            self.online = False
            return Found(None, (), online=False)
        except Refused as refused:
            if refused.reason == REVOKED:
                self._revoked(enrolment)
            self.problem = refused.reason
            return Found(None, (), online=False)
        self.online, self.problem = True, None
        return Found(found["name"] or None, tuple((e["number"], e["name"]) for e in found["enterprises"]),
                     online=True, known=found["found"])

    @staticmethod
    def enterprise_number(text: str) -> str:
        """A typed enterprise number (Belgian, or a foreign VAT number), or `ValueError` with a marked reason."""
        try:
            return parse_any_enterprise(text)
        except InvalidIdentifier:
            raise ValueError(N_("This is not an enterprise number: 10 digits (0123 456 789), or a foreign VAT "
                                "number with its country code.")) from None

    # --- registering and sending ---------------------------------------------------------------------------------

    def register(self, inss: str | None, limosa_id: str | None, enterprise: str | None) -> Outcome:
        """Register the person for today on the kiosk's workplace, now: on disk first, then sent."""
        enrolment = self.enrolment
        with self._lock:
            entry = self.store.make(self.clock.now(), enrolment.workplace, inss, limosa_id, enterprise)
        outcome = Outcome(entry)
        answer = self.send().get(entry.counter)
        if answer is not None:
            outcome.sent = True
            outcome.receipt, outcome.refused, outcome.coverage = answer["receipt"], answer["refused"], \
                answer.get("coverage")
        return outcome

    def send(self) -> dict[int, dict]:
        """Send what waits, in its order, a batch at a time; the registry's answer for each, by counter (none
        for what could not be sent). Refused entries leave the queue, noted; the chain then goes on from the last
        entry the registry took."""
        answers: dict[int, dict] = {}
        while self.enrolment is not None:
            with self._lock:  # a person's registration waits for one batch at the most
                queued = self.store.waiting(self.clock.now(), BATCH)
                if not queued:
                    break
                try:
                    answered = self._send_batch(queued)
                except Unreachable:
                    self.online = False
                    break
            answers.update(answered)
            if len(queued) < BATCH:
                break
        return answers

    def _send_batch(self, queued: list[Queued]) -> dict[int, dict]:
        enrolment = self.enrolment
        try:
            answer = self._link().send([q.entry for q in queued], cover=len(queued) <= COVER_AT_MOST)
        except Unreachable as lost:
            if lost.maybe_received:  # the registry may have taken them: "received already" next time is no refusal
                self.store.mark_sent(queued)
            raise
        except Refused as refused:
            if refused.status == 400 and len(queued) > 1:  # one of them the registry cannot read: one by one
                answers: dict[int, dict] = {}
                for one in queued:
                    answers.update(self._send_batch([one]))
                return answers
            if refused.status == 400:  # it cannot be read: spoilt on disk
                self.store.spoilt(queued[0].position, queued[0].entry.counter, self.clock.now())
                return {}
            if refused.reason == UNKNOWN_KIOSK:
                self._revoked(enrolment)
            log.warning("the registry refused the kiosk's entries: %s", refused.reason)
            raise Unreachable(refused.reason, maybe_received=False) from None
        self.online = True
        try:
            results = answer["results"]
            refusals = {q.position: r["refused"] for q, r in zip(queued, results, strict=True)
                        if r["refused"] is not None and not (q.sent and r["refused"].startswith(REPLAYED))}
            head = answer["digest"]
        except (KeyError, TypeError, ValueError):
            log.warning("the registry's answer is not one for the kiosk's entries")
            self.store.mark_sent(queued)
            raise Unreachable("a strange answer") from None
        # An entry sent before without an answer, now "received already", was taken then: delivered.
        self.store.answered(queued, refusals, self.clock.now(), go_on_from=head if refusals else None)
        if any(reason == REVOKED for reason in refusals.values()):
            self._revoked(enrolment)
        return {q.entry.counter: r for q, r in zip(queued, results, strict=True)}

    def status(self) -> Status:
        return Status(self.online, self.store.count_waiting(), self.store.count_refusals(), self.problem)


class Sender:
    """Sends what waits every `interval` seconds, and learns where the kiosk stands every `refresh_every`."""

    def __init__(self, kiosk: Kiosk, interval: float = 15.0, refresh_every: float = 300.0) -> None:
        self.kiosk = kiosk
        self.interval = interval
        self.refresh_every = refresh_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        since_refresh = self.refresh_every
        while not self._stop.wait(self.interval):
            try:
                if since_refresh >= self.refresh_every or self.kiosk.online is False:  # also: is the link back?
                    self.kiosk.refresh()
                    since_refresh = 0.0
                since_refresh += self.interval
                self.kiosk.send()
            except Exception:  # noqa: BLE001 (the kiosk must keep running; the next turn tries again)
                log.exception("sending the kiosk's entries failed")
