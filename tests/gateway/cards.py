"""A Belgian eID card as the tests have it: its identity file laid out as a card's, and a fake PC/SC connection
and reader that answer the card's APDUs as a card does."""

from __future__ import annotations

import threading

from presence.gateway.cards import NoCard
from presence.gateway.eid import IDENTITY_FILE

NATIONAL_NUMBER = "78012340961"


def tlv(tag: int, value: bytes) -> bytes:
    length, encoded = len(value), []
    encoded.append(length & 0x7F)
    length >>= 7
    while length:
        encoded.insert(0, 0x80 | (length & 0x7F))
        length >>= 7
    return bytes([tag, *encoded]) + value


def identity_file(national_number: str = NATIONAL_NUMBER, first_names: str = "Jan Pieter",
                  surname: str = "Janssens") -> bytes:
    """As a card's `3F00 DF01 4031` is laid out (eid-mw), padded with zeros."""
    return b"".join([
        tlv(0x01, b"592123456789"), tlv(0x02, bytes(range(16))), tlv(0x03, b"01.02.2021"),
        tlv(0x04, b"01.02.2031"), tlv(0x05, b"Bruxelles"), tlv(0x06, national_number.encode()),
        tlv(0x07, surname.encode()), tlv(0x08, first_names.encode()), tlv(0x09, b"M"),
        tlv(0x0A, b"Belg"), tlv(0x0B, b"Leuven"), tlv(0x0C, b"23 JAN 1978"), tlv(0x0D, b"M"),
        tlv(0x0F, b"1"), tlv(0x11, bytes(20)),
    ]) + bytes(40)


class FakeCard:
    """A card in a reader: answers SELECT by path and READ BINARY; a read longer than what is left is answered
    6Cxx (the length to ask for), one past the end 6B00. Records the APDUs it was sent."""

    def __init__(self, files: dict[tuple[int, ...], bytes]) -> None:
        self.files = files
        self.selected: bytes | None = None
        self.sent: list[list[int]] = []

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        self.sent.append(apdu)
        if apdu[:4] == [0x00, 0xA4, 0x08, 0x0C]:
            path = tuple(apdu[5:5 + apdu[4]])
            if path not in self.files:
                return [], 0x6A, 0x82
            self.selected = self.files[path]
            return [], 0x90, 0x00
        if apdu[:2] == [0x00, 0xB0] and self.selected is not None:
            offset, wanted = (apdu[2] << 8) | apdu[3], apdu[4] or 0x100
            left = len(self.selected) - offset
            if left <= 0:
                return [], 0x6B, 0x00
            if wanted > left:
                return [], 0x6C, left
            return list(self.selected[offset:offset + wanted]), 0x90, 0x00
        return [], 0x6D, 0x00


class FakeReader:
    """A PC/SC reader with a card put in and pulled out by the test."""

    ATR = bytes.fromhex("3B9813400AA503010101AD1311")  # a Belgian eID's

    def __init__(self) -> None:
        self._card: FakeCard | None = None
        self._lock = threading.Lock()

    def insert(self, national_number: str, first_names: str, surname: str) -> FakeCard:
        with self._lock:
            self._card = FakeCard({IDENTITY_FILE: identity_file(national_number, first_names, surname)})
            return self._card

    def insert_unreadable(self) -> None:
        """A card that is no Belgian eID (no identity file)."""
        with self._lock:
            self._card = FakeCard({})

    def pull(self) -> None:
        with self._lock:
            self._card = None

    def connect(self):
        with self._lock:
            if self._card is None:
                raise NoCard()
            return self.ATR, self._card
