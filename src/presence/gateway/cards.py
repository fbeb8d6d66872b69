"""The kiosk's card reader: which card is in it, and whose. `CardSlot` watches a reader in a thread of its own and
keeps the holder of the inserted card in memory only, until the kiosk takes it for a registration or the card is
pulled out; nothing of it is written anywhere.

`PcscReader` reaches a real reader through PC/SC with pyscard (`pip install 'presence[gateway]'`; on Debian also
`pcscd`); any object with the same `connect()` does for the tests."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from .eid import CardError, Connection, Holder, read_holder

log = logging.getLogger(__name__)


class NoCard(Exception):
    """No card in the reader (or no reader)."""


class Reader(Protocol):
    def connect(self) -> tuple[bytes, Connection]:
        """The inserted card's ATR and a connection to it; `NoCard` when there is none."""


class PcscReader:
    """The first PC/SC reader of the machine (or the one whose name contains `name`)."""

    def __init__(self, name: str = "") -> None:
        try:
            from smartcard.System import readers  # noqa: F401 (pyscard, only on kiosks)
        except ImportError as missing:
            raise RuntimeError("reading eID cards needs pyscard: pip install 'presence[gateway]' (and, on Debian, "
                               "apt-get install pcscd)") from missing
        self.name = name
        self._connection = None

    def connect(self) -> tuple[bytes, Connection]:
        from smartcard.Exceptions import CardConnectionException, NoCardException, SmartcardException
        from smartcard.System import readers

        try:
            found = [r for r in readers() if self.name in str(r)]
        except SmartcardException:  # no PC/SC service running
            raise NoCard() from None
        if not found:
            raise NoCard()
        if self._connection is not None:
            try:
                self._connection.disconnect()
            except SmartcardException:
                pass
        connection = found[0].createConnection()
        try:
            connection.connect()
        except (NoCardException, CardConnectionException):
            raise NoCard() from None
        self._connection = connection
        return bytes(connection.getATR()), connection


class CardSlot:
    """The card in the kiosk's reader, as the kiosk's page asks for it: `take()` gives the holder of a card
    inserted since the last one taken (once), `present` says whether a card is in."""

    def __init__(self, reader: Reader | None, interval: float = 0.3) -> None:
        self.reader = reader
        self.interval = interval
        self._lock = threading.Lock()
        self._atr: bytes | None = None
        self._holder: Holder | None = None
        self._unreadable = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def present(self) -> bool:
        return self._atr is not None

    def start(self) -> None:
        if self.reader is not None and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="card-slot", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def take(self) -> Holder | None:
        """The holder of the card inserted last, once; None when none waits."""
        with self._lock:
            holder, self._holder = self._holder, None
            return holder

    def unreadable(self) -> bool:
        """Whether the card inserted last could not be read (once)."""
        with self._lock:
            unreadable, self._unreadable = self._unreadable, False
            return unreadable

    def forget(self) -> None:
        with self._lock:
            self._holder = None

    def poll(self) -> None:
        """Look at the reader once: a new card is read, a pulled one forgotten."""
        try:
            atr, connection = self.reader.connect()
        except NoCard:
            with self._lock:
                self._atr, self._holder = None, None
            return
        with self._lock:
            if atr == self._atr:
                return
        try:
            holder, unreadable = read_holder(connection), False
        except CardError as error:  # its reason never quotes the card's content
            log.info("a card could not be read: %s", error.reason)
            holder, unreadable = None, True
        with self._lock:
            self._atr, self._holder, self._unreadable = atr, holder, unreadable

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # a reader unplugged mid-read: try again at the next turn
                log.exception("the card reader failed")
