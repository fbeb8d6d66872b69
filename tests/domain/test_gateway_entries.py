"""A gateway's offline entries, as the registry judges them: signed by the kiosk's key, numbered, chained by hash,
never back-dated nor ahead. Every way of spoiling a queue is refused, each with its reason; a kiosk goes on from
the last entry taken after some were refused. Its other requests are signed and fresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from presence.domain.gateway_entries import GENESIS, Chain, Entry, judge, judge_request, sign, sign_request

NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()
START = Chain(0, GENESIS, None, NOW - timedelta(days=1))


def queue(count: int = 3) -> list[Entry]:
    entries, previous = [], GENESIS
    for n in range(1, count + 1):
        entry = sign(Entry(n, (NOW - timedelta(minutes=30 - n)).isoformat(), "1Y1000003EQCZ", "78012340961", None,
                           "0448181966", previous), KEY)
        entries.append(entry)
        previous = entry.digest()
    return entries


def after(entry: Entry) -> Chain:
    return Chain(entry.counter, entry.digest(), entry.instant(), START.enrolled_at)


def test_a_queue_is_taken_in_order():
    chain = START
    for entry in queue():
        assert judge(entry, chain, PUBLIC, NOW) is None
        chain = after(entry)


def test_every_spoilt_entry_is_refused_with_its_reason():
    first, second, third = queue()
    other = ec.generate_private_key(ec.SECP256R1())
    cases = [
        (replace(first, inss="85073003328"), START, "forged"),  # tampered after signing
        (sign(first, other), START, "forged"),  # signed by another kiosk
        (first, after(first), "replayed"),
        (third, after(first), "out of order"),  # the second is missing
        (sign(replace(second, previous=GENESIS), KEY), after(first), "chain is broken"),
        (sign(replace(second, made_at=(NOW - timedelta(hours=1)).isoformat()), KEY), after(first), "back-dated"),
        (sign(replace(first, made_at=(NOW + timedelta(minutes=5)).isoformat()), KEY), START, "in the future"),
        (sign(replace(first, made_at="yesterday"), KEY), START, "not a date"),
    ]
    for entry, chain, reason in cases:
        assert reason in (judge(entry, chain, PUBLIC, NOW) or ""), (entry.counter, reason)


@pytest.mark.parametrize("signature", ["", "not base64!", "AAAA"])
def test_a_missing_or_garbled_signature_is_a_forgery(signature):
    assert "forged" in judge(replace(queue(1)[0], signature=signature), START, PUBLIC, NOW)


def test_after_refused_entries_the_kiosk_goes_on_from_the_last_one_taken():
    first, second, third = queue()
    # The second was refused (say, spoilt on disk): the kiosk's next entry follows the first, with counter 4.
    resumed = sign(replace(third, counter=4, previous=first.digest()), KEY)
    assert judge(resumed, after(first), PUBLIC, NOW) is None
    # Without the kiosk's key, nobody can make such an entry.
    other = ec.generate_private_key(ec.SECP256R1())
    assert "forged" in judge(sign(resumed, other), after(first), PUBLIC, NOW)


def test_a_kiosks_requests_hold_only_signed_by_its_key_and_fresh():
    at = NOW.isoformat()
    signature = sign_request(KEY, 7, "person", at, {"inss": "78012340961"})
    assert judge_request(PUBLIC, signature, 7, "person", at, {"inss": "78012340961"}, NOW) is None
    spoilt = [
        (8, "person", {"inss": "78012340961"}, NOW, "forged"),  # another kiosk's number
        (7, "state", {"inss": "78012340961"}, NOW, "forged"),  # asked for something else
        (7, "person", {"inss": "85073003328"}, NOW, "forged"),  # about someone else
        (7, "person", {"inss": "78012340961"}, NOW + timedelta(minutes=3), "clock"),  # sent again later
    ]
    for kiosk, purpose, fields, now, reason in spoilt:
        assert reason in judge_request(PUBLIC, signature, kiosk, purpose, at, fields, now), (kiosk, purpose)
    assert "forged" in judge_request(PUBLIC, "garbage", 7, "person", at, {}, NOW)
