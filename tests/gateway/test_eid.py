"""Reading a Belgian eID card through a fake PC/SC connection that answers the card's APDUs as a card does: a
realistic identity file (tag-length-value, a length on two bytes, padding), read in chunks, with the `6Cxx`
answer that asks for the read to be repeated with the right length. Only the identity file is read, and of it
only the national number and the names are kept."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

import pytest

from presence.gateway.eid import IDENTITY_FILE, CardError, Holder, fields, holder_of, read_holder

NATIONAL_NUMBER = "78012340961"


def tlv(tag: int, value: bytes) -> bytes:
    length, encoded = len(value), []
    encoded.append(length & 0x7F)
    length >>= 7
    while length:
        encoded.insert(0, 0x80 | (length & 0x7F))
        length >>= 7
    return bytes([tag, *encoded]) + value


def identity_file(national_number: str = NATIONAL_NUMBER, first_names: str = "Jan Pieter") -> bytes:
    """As a card's `3F00 DF01 4031` is laid out (eid-mw), padded with zeros."""
    return b"".join([
        tlv(0x01, b"592123456789"), tlv(0x02, bytes(range(16))), tlv(0x03, b"01.02.2021"),
        tlv(0x04, b"01.02.2031"), tlv(0x05, b"Bruxelles"), tlv(0x06, national_number.encode()),
        tlv(0x07, b"Janssens"), tlv(0x08, first_names.encode()), tlv(0x09, b"M"),
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


def test_the_holder_is_read_in_chunks_and_the_6cxx_answer_is_followed():
    content = identity_file(first_names="Jan " + "Pieter " * 25)  # long: a two-byte length, a file over 248 bytes
    card = FakeCard({IDENTITY_FILE: content})
    holder = read_holder(card)
    assert (holder.national_number, holder.surname) == (NATIONAL_NUMBER, "Janssens")
    assert holder.first_names.startswith("Jan Pieter Pieter")
    reads = [apdu for apdu in card.sent if apdu[:2] == [0x00, 0xB0]]
    assert [apdu[4] for apdu in reads] == [0xF8, 0xF8, len(content) - 0xF8]  # asked, refused 6Cxx, asked again


def test_only_the_identity_file_is_read_and_only_three_of_its_fields_are_kept():
    card = FakeCard({IDENTITY_FILE: identity_file(), (0x3F, 0x00, 0xDF, 0x01, 0x40, 0x33): b"address",
                     (0x3F, 0x00, 0xDF, 0x01, 0x40, 0x35): b"photo"})
    read_holder(card)
    selects = [tuple(apdu[5:]) for apdu in card.sent if apdu[1] == 0xA4]
    assert selects == [IDENTITY_FILE]  # neither the address nor the photo
    assert [f.name for f in dataclass_fields(Holder)] == ["national_number", "surname", "first_names"]


def test_the_tags_and_lengths_of_the_file():
    parsed = dict(fields(identity_file()))
    assert parsed[0x06] == NATIONAL_NUMBER.encode() and parsed[0x0C] == b"23 JAN 1978" and len(parsed[0x11]) == 20


@pytest.mark.parametrize(("card", "reason"), [
    (FakeCard({}), "not a Belgian eID"),  # another card: no identity file
    (FakeCard({IDENTITY_FILE: identity_file()[:60]}), "cut short"),
    (FakeCard({IDENTITY_FILE: identity_file(national_number="78012340962")}), "not valid"),
    (FakeCard({IDENTITY_FILE: tlv(0x07, b"Janssens")}), "no national number"),
])
def test_a_card_that_is_not_a_good_eid_is_refused_without_quoting_it(card, reason):
    with pytest.raises(CardError) as refused:
        read_holder(card)
    assert reason in refused.value.reason and "7801234096" not in str(refused.value)


def test_a_holder_from_the_file_alone():
    assert holder_of(identity_file()).name == "Jan Pieter Janssens"
