"""A signed SOAP message is accepted once (services.replays): the same envelope sent again, by any process, at
once or later, is refused with SOA-01001 "message already received" and changes nothing."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from functools import cache

import httpx
import pytest
from lxml import etree

from presence.app import create_app
from presence.auth import wssecurity
from presence.auth.xml_namespaces import DS, ERRORS, PROTOCOL, SOAP_ENV, TYPES
from presence.channels.http.ratelimit import Limits
from presence.db.engine import Database
from presence.db.models import ReceivedMessage, Registration
from presence.domain.visibility import Caller
from presence.services.access import replays
from presence.services.access.certificates import register_certificate
from presence.services.registrations import registering
from presence.services.retention import purge_expired
from presence.services.runtime import Runtime
from presence.testing.wssecurity import make_certificate, pem, sign_envelope

from ...conftest import NOW, TODAY
from ...helpers import CONSTRUCTION_SITE, EMPLOYER, WORKER, count
from ..conftest import serving

ENDPOINT = "/PresenceRegistration/v1"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
# The order of the group of P-384, whose ECDSA signatures (r, s) and (r, n - s) both verify.
P384_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973


@cache
def certificate(kind: str = "rsa"):
    """One key pair of each kind per session (they are slow to make), valid around NOW."""
    return make_certificate(kind, not_before=NOW - timedelta(days=1))


def envelope(operation: str) -> bytes:
    body = {
        "register": "<p:RegisterPresencesRequest><p:PresenceRegistrationRequest>"
                    f"<t:INSS>{WORKER}</t:INSS><t:CompanyID>{int(EMPLOYER)}</t:CompanyID>"
                    f"<t:WorkPlaceId>{CONSTRUCTION_SITE}</t:WorkPlaceId>"
                    "</p:PresenceRegistrationRequest></p:RegisterPresencesRequest>",
        "search": "<p:SearchPresencesRequest><p:SearchPresenceRequest><t:SearchPresenceRegistrationCriteria>"
                  "<t:RegistrationPeriodList><t:RegistrationPeriod>"
                  f"<t:RegistrationPeriodStartDate>{TODAY}</t:RegistrationPeriodStartDate>"
                  f"<t:RegistrationPeriodEndDate>{TODAY}</t:RegistrationPeriodEndDate>"
                  "</t:RegistrationPeriod></t:RegistrationPeriodList>"
                  "</t:SearchPresenceRegistrationCriteria></p:SearchPresenceRequest></p:SearchPresencesRequest>",
    }[operation]
    return (f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:p="{PROTOCOL}" xmlns:t="{TYPES}">'
            f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>").encode()


def signed(operation: str = "register", kind: str = "rsa", **options) -> bytes:
    key, cert = certificate(kind)
    return sign_envelope(envelope(operation), key, cert, created=NOW, **options)


def register_client(runtime, kind: str = "rsa") -> None:
    register_certificate(runtime, Caller.operator(), EMPLOYER, pem(certificate(kind)[1]), f"{kind} client")


def send(server: str, raw: bytes) -> tuple[int, str | None, str | None]:
    """HTTP status, and the fault's code and message (None, None for an answer)."""
    response = httpx.post(server + ENDPOINT, content=raw, headers=HEADERS, timeout=60)
    fault = etree.fromstring(response.content).find(f".//{{{ERRORS}}}Code/..")
    if fault is None:
        return response.status_code, None, None
    return response.status_code, fault.findtext(f"{{{ERRORS}}}Code"), fault.findtext(f"{{{ERRORS}}}Message")


REPLAYED = (500, "SOA-01001", "Not authenticated: message already received")


def test_a_replayed_registration_is_refused_and_stored_once(server, runtime):
    register_client(runtime)
    message = signed()
    assert send(server, message) == (200, None, None)
    assert send(server, message) == REPLAYED
    assert count(runtime.db, Registration) == 1


def test_a_replayed_consultation_gets_no_answer(server, runtime):
    register_client(runtime)
    message = signed("search")
    assert send(server, message) == (200, None, None)
    assert send(server, message) == REPLAYED


def test_simultaneous_sends_to_two_processes_register_once(runtime, clock):
    """Two serving processes (each its own Database, as `presence serve --workers 2`), three threads sending the
    same envelope to each at the same moment: one registration, five refusals."""
    register_client(runtime)
    message = signed()
    other = Database(runtime.db.url)
    try:
        with serving(create_app(runtime, limits=Limits.none())) as first, \
                serving(create_app(Runtime(db=other, clock=clock), limits=Limits.none())) as second:
            start = threading.Barrier(6)
            answers = []

            def sender(server: str) -> None:
                start.wait()
                answers.append(send(server, message))

            threads = [threading.Thread(target=sender, args=(server,)) for server in [first, second] * 3]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        other.dispose()
    assert sorted(answers, key=str) == [(200, None, None)] + [REPLAYED] * 5
    assert count(runtime.db, Registration) == 1


def test_a_request_that_fails_authentication_is_not_recorded(server, runtime):
    """Neither a message from a certificate not (yet) registered nor a tampered copy uses up the message."""
    message = signed()
    tampered = message.replace(CONSTRUCTION_SITE.encode(), b"1Y1003SQ5VSSZ")
    assert send(server, message)[1:] == ("SOA-01001", "Not authenticated: certificate not registered")
    register_client(runtime)
    assert send(server, tampered)[1:] == ("SOA-01001", "Not authenticated: the Body was altered after signing "
                                                       "(digest mismatch)")
    assert count(runtime.db, ReceivedMessage) == 0
    assert send(server, message) == (200, None, None)
    assert count(runtime.db, Registration) == 1


def test_a_message_that_failed_with_a_server_error_may_be_sent_again(server, runtime, monkeypatch):
    """SOA-00001 says the message may be retried as it is: its record was rolled back with the registration."""
    register_client(runtime)
    message = signed()
    store = registering.insert_registrations
    failures = []

    def fail_once(session, rows):
        if not failures:
            failures.append(True)
            raise RuntimeError("the database went away")
        return store(session, rows)

    monkeypatch.setattr(registering, "insert_registrations", fail_once)
    assert send(server, message)[:2] == (500, "SOA-00001")
    assert count(runtime.db, Registration) == 0 and count(runtime.db, ReceivedMessage) == 0
    assert send(server, message) == (200, None, None)
    assert send(server, message) == REPLAYED
    assert count(runtime.db, Registration) == 1


def test_an_ecdsa_signature_with_the_other_s_is_the_same_message(server, runtime):
    """(r, s) and (r, n - s) both verify: a replay re-encoding the signature is still a replay."""
    register_client(runtime, "ec")
    message = signed(kind="ec", signature_method="ecdsa-sha384")
    tree = etree.fromstring(message)
    value = tree.find(f".//{{{DS}}}SignatureValue")
    raw = base64.b64decode(value.text)
    r, s = raw[:48], int.from_bytes(raw[48:], "big")
    value.text = base64.b64encode(r + (P384_ORDER - s).to_bytes(48, "big")).decode()
    variant = etree.tostring(tree)
    assert variant != message

    original = wssecurity.authenticate(etree.fromstring(message), runtime.db, NOW)
    assert wssecurity.authenticate(etree.fromstring(variant), runtime.db, NOW).message == original.message
    assert send(server, message) == (200, None, None)
    assert send(server, variant) == REPLAYED
    assert count(runtime.db, Registration) == 1


@pytest.mark.parametrize(("expires", "kept"), [
    (timedelta(minutes=5), timedelta(minutes=10)),  # Expires + the 5-minute skew
    (None, timedelta(minutes=20)),  # no Expires: Created + the 15-minute age, + the skew
    (timedelta(days=1), timedelta(minutes=20)),  # a far Expires: never past the age limit, + the skew
])
def test_a_message_is_remembered_while_a_replay_could_pass_the_freshness_check(runtime, clock, expires, kept):
    register_client(runtime)
    options = {"with_expires": False} if expires is None else {"expires": NOW + expires}
    message = wssecurity.authenticate(etree.fromstring(signed(**options)), runtime.db, NOW).message
    assert message.keep_until == NOW + kept

    replays.record_alone(runtime.db, message, NOW)
    with runtime.db.writing() as session:
        assert replays.prune(session, NOW + kept) == 0
    with pytest.raises(replays.AlreadyReceived):
        replays.record_alone(runtime.db, message, NOW)
    clock.advance(kept + timedelta(seconds=1))
    assert purge_expired(runtime, Caller.operator(), dry_run=True).received_messages == 1
    assert purge_expired(runtime, Caller.operator()).received_messages == 1
    assert count(runtime.db, ReceivedMessage) == 0
