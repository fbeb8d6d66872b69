"""A kiosk's entries over real HTTP (both engines): the registry stopped meanwhile, five people registered on the
kiosk arrive when the link returns, with their original instants, exactly once; a malformed body is named by field
without echoing a national number; a revoked kiosk is refused at once."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from presence.db.models import Registration
from presence.domain.gateway_entries import GENESIS, Entry, sign, sign_request
from presence.domain.visibility import Caller, Role
from presence.services.registrations import gateway
from presence.sources.simulation import PUBLIC_ENTERPRISE, PUBLIC_WORKPLACE, crew_inss

from ..helpers import count

CONTRACTOR = Caller.enterprise_account(PUBLIC_ENTERPRISE, (Role.REGISTRAR,), sender_id="user:3", user_type="PERSON")


def enrol(runtime, clock):
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    device = gateway.enrol_device(runtime, CONTRACTOR, PUBLIC_WORKPLACE, "site hut", public)
    clock.advance(timedelta(hours=1))
    return device, key


def queue(clock, key, n: int = 5) -> list[dict]:
    entries, previous = [], GENESIS
    for k in range(1, n + 1):
        entry = sign(Entry(k, (clock.now() - timedelta(minutes=30 - k)).isoformat(), PUBLIC_WORKPLACE,
                           crew_inss(k), None, PUBLIC_ENTERPRISE, previous), key)
        entries.append(asdict(entry))
        previous = entry.digest()
    return entries


def test_a_kiosks_queue_arrives_once_with_its_instants(server, runtime, clock):
    device, key = enrol(runtime, clock)
    url = f"{server}/gateway/v1/kiosks/{device.id}/entries"
    entries = queue(clock, key)
    before = count(runtime.db, Registration)
    answer = httpx.post(url, json={"entries": entries})
    assert answer.status_code == 200, answer.text
    receipts = [r["receipt"] for r in answer.json()["results"]]
    assert all(receipts) and count(runtime.db, Registration) == before + 5
    with runtime.db.reading() as session:
        made = [session.get(Registration, r).created_at.isoformat() for r in receipts]
    assert made == [e["made_at"] for e in entries]
    again = httpx.post(url, json={"entries": entries}).json()["results"]  # the answer was lost on the way
    assert {r["refused"] for r in again} == {"replayed: this entry was received already"}
    assert count(runtime.db, Registration) == before + 5


def test_bad_bodies_unknown_and_revoked_kiosks(server, runtime, clock):
    device, key = enrol(runtime, clock)
    url = f"{server}/gateway/v1/kiosks/{device.id}/entries"
    entries = queue(clock, key, 2)
    malformed = httpx.post(url, json={"entries": [{**entries[0], "inss": "7801234096178012340961"}]})
    assert malformed.status_code == 400 and malformed.json()["fields"] == ["entries.0.inss"]
    assert "78012340961" not in malformed.text
    assert httpx.post(f"{server}/gateway/v1/kiosks/999999/entries", json={"entries": entries}).status_code == 404
    gateway.revoke_device(runtime, CONTRACTOR, device.id)
    refused = httpx.post(url, json={"entries": entries}).json()["results"]
    assert [r["refused"] for r in refused] == ["the kiosk is revoked"] * 2


def signed(key, kiosk: int, purpose: str, clock, **fields) -> dict:
    at = clock.now().isoformat()
    return {"at": at, **fields, "signature": sign_request(key, kiosk, purpose, at, fields)}


def test_a_kiosk_learns_where_it_stands_and_who_a_person_is_only_with_its_key(server, runtime, clock):
    device, key = enrol(runtime, clock)
    base = f"{server}/gateway/v1/kiosks/{device.id}"
    state = httpx.post(f"{base}/state", json=signed(key, device.id, "state", clock)).json()
    assert (state["workplace"], state["revoked"], state["counter"]) == (PUBLIC_WORKPLACE, False, 0)
    assert PUBLIC_ENTERPRISE in {e["number"] for e in state["chain"]}
    found = httpx.post(f"{base}/people", json=signed(key, device.id, "person", clock, inss=crew_inss(3))).json()
    assert found["found"] and found["name"].endswith(".") and len(found["name"].split()) == 2
    assert [e["number"] for e in found["enterprises"]] == [PUBLIC_ENTERPRISE]
    other = ec.generate_private_key(ec.SECP256R1())
    forged = httpx.post(f"{base}/people", json=signed(other, device.id, "person", clock, inss=crew_inss(3)))
    assert forged.status_code == 403 and "forged" in forged.json()["error"]
    stale = signed(key, device.id, "person", clock, inss=crew_inss(3))
    clock.advance(timedelta(minutes=5))
    assert httpx.post(f"{base}/people", json=stale).status_code == 403
    assert httpx.post(f"{server}/gateway/v1/kiosks/999999/state",
                      json=signed(key, 999999, "state", clock)).status_code == 404
    gateway.revoke_device(runtime, CONTRACTOR, device.id)
    assert httpx.post(f"{base}/state", json=signed(key, device.id, "state", clock)).json()["revoked"]
    refused = httpx.post(f"{base}/people", json=signed(key, device.id, "person", clock, inss=crew_inss(3)))
    assert refused.status_code == 403 and refused.json()["error"] == "the kiosk is revoked"


def test_a_malformed_lookup_is_named_by_field_without_the_number(server, runtime, clock):
    device, key = enrol(runtime, clock)
    base = f"{server}/gateway/v1/kiosks/{device.id}"
    for body in ({"at": clock.now().isoformat(), "inss": "1234", "signature": "x"},
                 {"at": clock.now().isoformat(), "inss": crew_inss(3), "limosa_id": "24910158641968060",
                  "signature": "x"},
                 {"inss": crew_inss(3)}):
        answer = httpx.post(f"{base}/people", json=body)
        assert answer.status_code == 400 and answer.json()["fields"]
        assert crew_inss(3) not in answer.text and "1234" not in answer.text
