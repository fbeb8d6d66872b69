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
from presence.gateway.link import Refused
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
    assert (tmp_path / "kiosk" / "kiosk-key.pem").stat().st_mode & 0o077 == 0  # the private key: its owner's only


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
    registry.start()
    kiosk.send()
    reasons = sorted(r.reason.split(":")[0] for r in kiosk.store.refusals())
    assert reasons == ["forged", "out of order", "out of order", "replayed"]
    assert all(crew_inss(k) not in str(kiosk.store.refusals()) for k in range(20, 31))  # never who
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
