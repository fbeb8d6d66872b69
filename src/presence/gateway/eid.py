"""Reading a Belgian eID card: the identity file `3F00 DF01 4031`, and of it only what a registration needs (the
national number and the names), as the data-protection authority asks. The card is reached through any
connection with pyscard's `transmit(apdu) -> (data, sw1, sw2)`: a PC/SC reader, or a fake one in the tests.

APDUs (eid-mw): select the file by its path from the master file `00 A4 08 0C 06 3F00DF014031`; read it with
`00 B0 <offset> <length>` in chunks until the card says the offset is past the end (`6B00`) or gives less than
asked; a card answering `6Cxx` asks for the read to be repeated with length `xx`.

The identity file is tag-length-value: a tag byte, a length of one or more bytes (seven bits each, the high bit
saying another byte follows), the value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ..domain.identifiers import InvalidIdentifier, parse_inss

IDENTITY_FILE = (0x3F, 0x00, 0xDF, 0x01, 0x40, 0x31)
CHUNK = 0xF8  # bytes per read, as eid-mw reads
MAX_FILE = 4096  # an identity file holds a few hundred bytes: anything longer is not one
OK = (0x90, 0x00)

# The identity file's tags, of which only these are kept.
NATIONAL_NUMBER, SURNAME, FIRST_NAMES = 0x06, 0x07, 0x08
WANTED = (NATIONAL_NUMBER, SURNAME, FIRST_NAMES)


class Connection(Protocol):
    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]: ...


class CardError(Exception):
    """The card could not be read as a Belgian eID: `reason` says why, in English, never quoting its content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Holder:
    """Who the card belongs to: all a registration needs."""

    national_number: str
    surname: str
    first_names: str

    @property
    def name(self) -> str:
        return f"{self.first_names} {self.surname}".strip()


def _status(sw1: int, sw2: int) -> str:
    return f"{sw1:02X}{sw2:02X}"


def read_file(connection: Connection, path: tuple[int, ...] = IDENTITY_FILE) -> bytes:
    """The whole content of a file of the card."""
    _, sw1, sw2 = connection.transmit([0x00, 0xA4, 0x08, 0x0C, len(path), *path])
    if (sw1, sw2) != OK:
        raise CardError(f"the card has no such file (status {_status(sw1, sw2)}): not a Belgian eID")
    content = bytearray()
    length = CHUNK
    while len(content) < MAX_FILE:
        offset = len(content)
        data, sw1, sw2 = connection.transmit([0x00, 0xB0, offset >> 8, offset & 0xFF, length])
        last = sw1 == 0x6C
        if last:  # the card says how much is left: ask again for exactly that, the file's end
            length = sw2 or 0x100
            data, sw1, sw2 = connection.transmit([0x00, 0xB0, offset >> 8, offset & 0xFF, sw2])
        if (sw1, sw2) == (0x6B, 0x00) or (sw1 == 0x62 and sw2 == 0x82):  # past the end
            break
        if (sw1, sw2) != OK:
            raise CardError(f"the card refused to be read (status {_status(sw1, sw2)})")
        content.extend(data)
        if last or len(data) < length:
            break
        length = CHUNK
    else:
        raise CardError("the file is longer than an identity file")
    return bytes(content)


def fields(content: bytes) -> Iterator[tuple[int, bytes]]:
    """The (tag, value) of a tag-length-value file; `CardError` when it is cut short."""
    index = 0
    while index < len(content):
        tag = content[index]
        index += 1
        if tag == 0x00 and not any(content[index:]):  # the padding after the last field
            return
        length, more = 0, True
        while more:
            if index >= len(content):
                raise CardError("the identity file is cut short")
            byte = content[index]
            index += 1
            length = (length << 7) | (byte & 0x7F)
            more = bool(byte & 0x80)
        if index + length > len(content):
            raise CardError("the identity file is cut short")
        yield tag, content[index:index + length]
        index += length


def holder_of(content: bytes) -> Holder:
    """The holder named by an identity file: only the national number and the names are kept."""
    found: dict[int, bytes] = {}
    for tag, value in fields(content):
        if tag in WANTED:
            found.setdefault(tag, value)
    if NATIONAL_NUMBER not in found:
        raise CardError("the identity file names no national number")
    try:
        national_number = parse_inss(found[NATIONAL_NUMBER].decode("ascii"))
    except (UnicodeDecodeError, InvalidIdentifier):
        raise CardError("the card's national number is not valid") from None
    text = {tag: found.get(tag, b"").decode("utf-8", errors="replace").strip() for tag in (SURNAME, FIRST_NAMES)}
    return Holder(national_number, text[SURNAME][:100], text[FIRST_NAMES][:100])


def read_holder(connection: Connection) -> Holder:
    """Who the inserted card belongs to."""
    return holder_of(read_file(connection))
