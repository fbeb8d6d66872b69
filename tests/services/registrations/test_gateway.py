"""Gateway kiosks at the registry (both engines): enrolled by the declaring contractor for its workplace; five
people registered while the registry could not be reached arrive with their original instants, exactly once;
a tampered, reordered or replayed entry is refused with its reason; a revoked kiosk's entries are refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select

from presence.db.models import Registration
from presence.domain.gateway_entries import GENESIS, Entry, sign
from presence.domain.visibility import Caller, Role
from presence.services.errors import InvalidRequest, NotAllowed
from presence.services.registrations import gateway
from presence.sources.simulation import PUBLIC_ENTERPRISE, PUBLIC_WORKPLACE, crew_inss

from ...helpers import count

CONTRACTOR = Caller.enterprise_account(PUBLIC_ENTERPRISE, (Role.REGISTRAR,), sender_id="user:3", user_type="PERSON")


def pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
def kiosk(runtime, clock):
    """A kiosk set up this morning; it is later now."""
    key = ec.generate_private_key(ec.SECP256R1())
    device = gateway.enrol_device(runtime, CONTRACTOR, PUBLIC_WORKPLACE, "site hut", pem(key))
    clock.advance(timedelta(minutes=45))
    return device, key


def offline(runtime, key, count_: int = 5) -> list[Entry]:
    """What the kiosk made while the link was down: one person a minute, chained and signed."""
    entries, previous = [], GENESIS
    for n in range(1, count_ + 1):
        made = runtime.clock.now() - timedelta(minutes=20 - n)
        entry = sign(Entry(n, made.isoformat(), PUBLIC_WORKPLACE, crew_inss(n), None, PUBLIC_ENTERPRISE, previous),
                     key)
        entries.append(entry)
        previous = entry.digest()
    return entries


def test_five_offline_registrations_arrive_with_their_instants_exactly_once(runtime, kiosk):
    device, key = kiosk
    entries = offline(runtime, key)
    before = count(runtime.db, Registration)
    received = gateway.receive(runtime, device.id, entries)
    assert [r.refused for r in received] == [None] * 5
    with runtime.db.reading() as session:
        rows = session.scalars(select(Registration).where(Registration.id.in_([r.receipt for r in received]))
                               .order_by(Registration.id)).all()
    assert [(r.channel, r.sender_id, r.created_at) for r in rows] == [
        ("GATEWAY", f"gateway:{device.id}", e.instant()) for e in entries]
    again = gateway.receive(runtime, device.id, entries)  # the link dropped before the kiosk heard the answer
    assert {r.refused for r in again} == {"replayed: this entry was received already"}
    assert count(runtime.db, Registration) == before + 5


def test_tampered_reordered_and_revoked_queues_are_refused(runtime, kiosk):
    device, key = kiosk
    first, second, third = offline(runtime, key, 3)
    before = count(runtime.db, Registration)
    tampered = replace(first, inss=crew_inss(9))
    assert gateway.receive(runtime, device.id, [tampered])[0].refused.startswith("forged")
    assert gateway.receive(runtime, device.id, [second])[0].refused.startswith("out of order")
    assert [r.refused for r in gateway.receive(runtime, device.id, [first, third])] == [
        None, "out of order: an entry before it is missing"]
    gateway.revoke_device(runtime, CONTRACTOR, device.id)
    assert gateway.receive(runtime, device.id, [second])[0].refused == "the kiosk is revoked"
    assert count(runtime.db, Registration) == before + 1


def test_only_the_declaring_contractor_enrols_a_kiosk_with_an_ec_key(runtime):
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(NotAllowed):
        gateway.enrol_device(runtime, Caller.enterprise_account("0566988259", (Role.REGISTRAR,)), PUBLIC_WORKPLACE,
                             "hut", pem(key))
    with pytest.raises(InvalidRequest):
        gateway.enrol_device(runtime, CONTRACTOR, PUBLIC_WORKPLACE, "hut",
                             pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    assert [d.name for d in gateway.devices_of(runtime, CONTRACTOR)] == []


def test_the_green_light_says_before_the_checks_what_covers_a_person_today(runtime):
    from presence.sources.simulation import PUBLIC_INSS, _scenario_inss

    covered = gateway.coverage(runtime, PUBLIC_WORKPLACE, PUBLIC_INSS, None, PUBLIC_ENTERPRISE)
    assert covered.covered and covered.declaration and covered.employment
    without_dimona = gateway.coverage(runtime, PUBLIC_WORKPLACE, _scenario_inss(3), None, PUBLIC_ENTERPRISE)
    assert (without_dimona.covered, without_dimona.declaration, without_dimona.employment) == (False, True, False)
    assert [str(code) for code in without_dimona.remarks] == ["CAW_01"]
    elsewhere = gateway.coverage(runtime, PUBLIC_WORKPLACE, PUBLIC_INSS, None, "0566988259")
    assert not elsewhere.declaration  # not in the workplace's chain
