"""Reading a Belgian eID card through a fake PC/SC connection that answers the card's APDUs as a card does: a
realistic identity file (tag-length-value, a length on two bytes, padding), read in chunks, with the `6Cxx`
answer that asks for the read to be repeated with the right length. Only the identity file is read, and of it
only the national number and the names are kept."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

import pytest

from presence.gateway.eid import IDENTITY_FILE, CardError, Holder, fields, holder_of, read_holder

from .cards import NATIONAL_NUMBER, FakeCard, identity_file, tlv


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
