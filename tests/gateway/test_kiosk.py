"""The kiosk program against the registry over real HTTP (both engines), without its screen: set up with its own
key; a registration sent at once gets its receipt and its green light; while the registry is stopped the
registrations wait on disk, then arrive with their original instants, exactly once; a queue spoilt on disk
(tampered, reordered, replayed) is refused entry by entry and reported, and the kiosk goes on; a revoked kiosk
is refused and says so."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select

from presence.clock import FrozenClock
from presence.db.models import Registration
from presence.domain.remarks import RemarkCode
from presence.gateway.kiosk import Kiosk
from presence.gateway.link import Refused, RegistryLink, Unreachable
from presence.gateway.store import KioskStore
from presence.services.registrations import gateway
from presence.sources.simulation import PUBLIC_ENTERPRISE, SCENARIO_BUILDER, crew_inss

from ..helpers import count
from .conftest import CONTRACTOR, COVERED, NO_DIMONA, POSTED_LIMOSA


@pytest.fixture
def kiosk(registry, site, tmp_path, clock):
    """A kiosk set up for the site by its declaring contractor, as the registry's set-up page does."""
    store = KioskStore(tmp_path / "kiosk")
    kiosk = Kiosk(store, registry.url, clock, timeout=2.0)
    device = gateway.enrol_device(registry.runtime, CONTRACTOR, site, "site hut", store.public_pem)
    kiosk.enrol(device.id)
    yield kiosk
    store.close()


def registrations(runtime, receipts):
    with runtime.db.reading() as session:
        return session.scalars(select(Registration).where(Registration.id.in_(receipts))
                               .order_by(Registration.id)).all()


def test_set_up_with_its_own_key_and_only_with_it(registry, site, tmp_path, clock):
    store = KioskStore(tmp_path / "kiosk")
    other = KioskStore(tmp_path / "other")
    device = gateway.enrol_device(registry.runtime, CONTRACTOR, site, "gate", store.public_pem)
    with pytest.raises(Refused):  # another machine cannot pass for the kiosk the registry enrolled
        Kiosk(other, registry.url, clock).enrol(device.id)
    assert other.enrolment() is None
    enrolment = Kiosk(store, registry.url, clock).enrol(device.id)
    assert (enrolment.workplace, enrolment.enterprise, enrolment.name) == (site, SCENARIO_BUILDER, "gate")
    assert {e["number"] for e in enrolment.chain} >= {SCENARIO_BUILDER, PUBLIC_ENTERPRISE}
    for private in ("", "kiosk-key.pem", "kiosk.db"):  # the key and the queue: their owner's only
        assert (tmp_path / "kiosk" / private).stat().st_mode & 0o077 == 0


def test_a_registration_sent_at_once_has_its_receipt_and_its_green_light(kiosk, registry):
    found = kiosk.find(inss=COVERED)
    assert found.online and found.known and found.name.endswith(".")  # a first name and an initial, no more
    assert [number for number, _ in found.enterprises] == [PUBLIC_ENTERPRISE]
    covered = kiosk.register(COVERED, None, PUBLIC_ENTERPRISE)
    assert covered.sent and covered.refused is None
    assert covered.coverage == {"covered": True, "declaration": True, "employment": True, "already": False,
                                "remarks": []}
    again = kiosk.register(COVERED, None, PUBLIC_ENTERPRISE)  # twice the same day: still covered, said so
    assert again.coverage["covered"] and again.coverage["already"]
    no_dimona = kiosk.register(NO_DIMONA, None, SCENARIO_BUILDER)
    assert no_dimona.coverage["declaration"] and not no_dimona.coverage["employment"]
    assert RemarkCode.DIMONA_NOT_OK in no_dimona.coverage["remarks"]
    posted = kiosk.register(None, POSTED_LIMOSA, None)
    assert posted.coverage["covered"]
    rows = registrations(registry.runtime, [covered.receipt, again.receipt, no_dimona.receipt, posted.receipt])
    assert [(r.channel, r.workplace) for r in rows] == [("GATEWAY", kiosk.enrolment.workplace)] * 4
    assert kiosk.status().waiting == 0


def test_while_the_registry_is_stopped_registrations_wait_then_arrive_once_with_their_instants(kiosk, registry,
                                                                                               clock):
    registry.stop()
    made = []
    for k in range(5):
        outcome = kiosk.register(crew_inss(10 + k), None, PUBLIC_ENTERPRISE)
        assert not outcome.sent and outcome.receipt is None
        made.append(outcome.entry)
        clock.advance(timedelta(minutes=3))
    assert kiosk.status().waiting == 5 and kiosk.online is False
    before = count(registry.runtime.db, Registration)
    clock.advance(timedelta(minutes=40))
    registry.start()
    answers = kiosk.send()
    assert [answers[e.counter]["refused"] for e in made] == [None] * 5
    rows = registrations(registry.runtime, [answers[e.counter]["receipt"] for e in made])
    assert [(r.channel, r.created_at) for r in rows] == [("GATEWAY", e.instant()) for e in made]
    assert kiosk.send() == {} and kiosk.status().waiting == 0  # nothing sent twice
    assert count(registry.runtime.db, Registration) == before + 5
    # Once sent, nothing of them is left on the kiosk's disk (SQLite overwrites what it deletes).
    on_disk = b"".join(path.read_bytes() for path in kiosk.store.folder.iterdir() if path.is_file())
    assert not any(crew_inss(10 + k).encode() in on_disk for k in range(5))


def test_an_answer_lost_on_the_way_back_is_no_refusal(kiosk, registry, monkeypatch):
    """The registry took the entry but the kiosk never heard it: sent again, it is "received already", which
    for an entry the kiosk had sent is its delivery, not a refusal; registered once."""
    real = RegistryLink.send

    def lost(link, entries, cover=False):
        real(link, entries, cover)
        raise Unreachable("ReadTimeout")

    monkeypatch.setattr(RegistryLink, "send", lost)
    before = count(registry.runtime.db, Registration)
    outcome = kiosk.register(crew_inss(50), None, PUBLIC_ENTERPRISE)
    assert not outcome.sent and kiosk.status().waiting == 1
    monkeypatch.undo()
    kiosk.send()
    assert kiosk.status().waiting == 0 and kiosk.store.refusals() == []
    assert count(registry.runtime.db, Registration) == before + 1
    assert kiosk.register(crew_inss(51), None, PUBLIC_ENTERPRISE).receipt is not None


def test_an_entry_the_registry_cannot_read_is_refused_alone(kiosk, registry):
    registry.stop()
    for k in range(3):
        kiosk.register(crew_inss(60 + k), None, PUBLIC_ENTERPRISE)
    spoil(kiosk.store.folder, lambda db, rows: db.execute(  # still an entry, but no national number's shape
        "update queue set entry = replace(entry, ?, ?) where position = ?", (crew_inss(61), "1" * 30, rows[1][0])))
    registry.start()
    before = count(registry.runtime.db, Registration)
    kiosk.send()
    assert [r.reason for r in kiosk.store.refusals()][-1].startswith("spoilt")
    assert kiosk.status().waiting == 0
    # The first was taken; the third followed the spoilt one in the chain: refused, listed, and the kiosk goes on.
    assert count(registry.runtime.db, Registration) == before + 1
    assert kiosk.register(crew_inss(63), None, PUBLIC_ENTERPRISE).receipt is not None


def spoil(folder, how):
    """Change the kiosk's queue on disk, as someone with the disk but not the key could."""
    db = sqlite3.connect(folder / "kiosk.db", isolation_level=None)
    rows = db.execute("select position, entry from queue order by position").fetchall()
    how(db, rows)
    db.close()


def test_a_queue_spoilt_on_disk_is_refused_and_reported_and_the_kiosk_goes_on(kiosk, registry, clock):
    sent = kiosk.register(crew_inss(20), None, PUBLIC_ENTERPRISE)
    registry.stop()
    for k in range(21, 24):
        kiosk.register(crew_inss(k), None, PUBLIC_ENTERPRISE)
        clock.advance(timedelta(minutes=1))
    before = count(registry.runtime.db, Registration)

    def tamper_and_swap(db, rows):
        (first, text1), (second, text2), (third, text3) = rows
        tampered = json.loads(text1) | {"inss": crew_inss(30)}  # someone else put in his place
        db.execute("update queue set entry = ? where position = ?", (json.dumps(tampered), first))
        db.execute("update queue set entry = ? where position = ?", (text3, second))  # the last two swapped
        db.execute("update queue set entry = ? where position = ?", (text2, third))
        db.execute("insert into queue (counter, entry) values (?, ?)",  # and the one sent before, again
                   (sent.entry.counter, json.dumps(sent.entry.__dict__)))

    spoil(kiosk.store.folder, tamper_and_swap)
    assert kiosk.send() == {}  # tried while the registry is still away: nothing reached it, nothing is "sent"
    registry.start()
    kiosk.send()
    reasons = sorted(r.reason.split(":")[0] for r in kiosk.store.refusals())
    assert reasons == ["forged", "out of order", "out of order", "replayed"]
    assert count(registry.runtime.db, Registration) == before
    # The kiosk goes on from the last entry the registry took.
    after = kiosk.register(crew_inss(25), None, PUBLIC_ENTERPRISE)
    assert after.receipt is not None and after.entry.counter == 5
    assert count(registry.runtime.db, Registration) == before + 1


def test_a_revoked_kiosk_is_refused_and_knows_it(kiosk, registry):
    registry.stop()
    kiosk.register(crew_inss(40), None, PUBLIC_ENTERPRISE)
    gateway.revoke_device(registry.runtime, CONTRACTOR, kiosk.enrolment.kiosk)
    registry.start()
    before = count(registry.runtime.db, Registration)
    kiosk.send()
    assert [r.reason for r in kiosk.store.refusals()] == ["the kiosk is revoked"]
    assert kiosk.enrolment.revoked
    assert count(registry.runtime.db, Registration) == before


def test_a_kiosk_whose_clock_is_wrong_is_told_so(kiosk, registry, clock):
    wrong = Kiosk(kiosk.store, registry.url, FrozenClock(clock.now() + timedelta(minutes=5)), timeout=2.0)
    found = wrong.find(inss=COVERED)
    assert not found.online and found.name is None
    assert wrong.status().problem == "the kiosk's clock is wrong: set it right"
    assert kiosk.find(inss=COVERED).online and kiosk.status().problem is None


def test_set_up_anew_after_revocation_with_a_new_key_and_what_waited_listed(kiosk, registry, clock):
    gateway.revoke_device(registry.runtime, CONTRACTOR, kiosk.enrolment.kiosk)
    kiosk.refresh()
    assert kiosk.enrolment.revoked
    registry.stop()  # what waits cannot even be sent
    kiosk.store.make(clock.now(), kiosk.enrolment.workplace, crew_inss(70), None, PUBLIC_ENTERPRISE)
    old = kiosk.store.fingerprint
    kiosk.store.start_again(clock.now())
    assert kiosk.enrolment is None and kiosk.store.fingerprint != old
    assert [r.reason for r in kiosk.store.refusals()] == ["not sent: the kiosk was set up anew"]
    assert kiosk.store.count_waiting() == 0 and kiosk.store.head()[0] == 0
