"""Check In and Out at Work on the worker's phone, as the services see it (both engines): for whom he works, his
state on a workplace, his position kept as his employer decided; and errors and corrections: a report within
30 days, a request by the employer with documents judged by their content, the back office's decision."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from presence.db.models import CorrectionDocument, CorrectionRequest, ErrorReport, Registration
from presence.domain.channels import Channel
from presence.domain.statuses import Lifecycle
from presence.domain.visibility import Caller, Role
from presence.services.errors import NotAllowed, NotFound
from presence.services.registrations import clocking, corrections
from presence.services.registrations.consulting import get_presence
from presence.services.registrations.registering import Accepted

from ...helpers import CLEANING_SITE, EMPLOYER, WORKER, a_pdf, count

ME = Caller.person(WORKER, sender_id="user:7")
EMPLOYER_REGISTRAR = Caller.enterprise_account(EMPLOYER, (Role.REGISTRAR,), sender_id="user:8", user_type="PERSON")
BACK_OFFICE = Caller.back_office(sender_id="user:9")


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, format=kind)
    return out.getvalue()


def check(runtime, moment, at=None, position=None):
    place = clocking.cleaning_place(runtime, CLEANING_SITE)
    outcome = clocking.clock(runtime, ME, Channel.MOBILE, place, moment, EMPLOYER, at or runtime.clock.now(),
                             position)
    assert isinstance(outcome, Accepted), outcome
    return outcome.presence


def test_the_worker_works_for_his_employers_of_the_day(runtime):
    assert [e.number for e in clocking.employers_of(runtime, WORKER, runtime.clock.now().date())] == [EMPLOYER]


def test_his_state_follows_what_he_taps(runtime, clock):
    assert not clocking.state_of(runtime, ME, CLEANING_SITE).checked_in
    check(runtime, "in")
    assert clocking.state_of(runtime, ME, CLEANING_SITE).checked_in
    clock.advance(timedelta(hours=2))
    out = check(runtime, "break")
    state = clocking.state_of(runtime, ME, CLEANING_SITE)
    assert (state.checked_in, state.on_break, out.client_reference) == (False, True, "BREAK")
    clock.advance(timedelta(minutes=30))
    check(runtime, "back")
    clock.advance(timedelta(hours=2))
    check(runtime, "out")
    state = clocking.state_of(runtime, ME, CLEANING_SITE)
    assert (state.checked_in, state.on_break) == (False, False)
    assert state.shift.worked == timedelta(hours=4) and len(state.shift.breaks) == 1


def test_a_position_is_kept_only_as_within_the_radius_unless_the_employer_keeps_positions(runtime):
    place = clocking.cleaning_place(runtime, CLEANING_SITE)
    near = clocking.Position(place.latitude + 0.0005, place.longitude)  # about 55 m
    far = clocking.Position(place.latitude + 0.01, place.longitude)  # about 1.1 km
    assert [(p.within_radius, p.latitude) for p in (check(runtime, "in", position=near),
                                                    check(runtime, "out", position=far))] == [(True, None),
                                                                                              (False, None)]
    clocking.set_keep_positions(runtime, Caller.enterprise_account(EMPLOYER, (Role.ACCESS_MANAGER,)), True)
    kept = check(runtime, "in", position=near)
    assert (kept.within_radius, kept.latitude) == (True, near.latitude)
    assert check(runtime, "out").within_radius is None  # no consent: nothing of where


def test_only_the_worker_himself_checks_in(runtime):
    place = clocking.cleaning_place(runtime, CLEANING_SITE)
    with pytest.raises(NotAllowed):
        clocking.clock(runtime, EMPLOYER_REGISTRAR, Channel.ONLINE, place, "in", EMPLOYER, runtime.clock.now())


@pytest.mark.parametrize(("content", "expected"), [
    (a_pdf(), "application/pdf"), (image("JPEG"), "image/jpeg"), (image("PNG"), "image/png"),
    (b"MZ\x90\x00" + bytes(100), None),  # a Windows program, whatever its name
    (b"%PDF-1.7 but nothing of a PDF after", None), (b"\x89PNG\r\n\x1a\n" + bytes(50), None), (b"", None),
])
def test_documents_are_judged_by_their_content(content, expected):
    assert corrections.document_type(content) == expected


def test_a_report_then_a_request_then_the_back_office_approves_and_history_keeps_both(runtime, clock):
    checked_in = check(runtime, "in")
    report = corrections.report_error(runtime, ME, checked_in.id, "I came earlier", "08:00")
    assert [r.id for r in corrections.reports_for(runtime, EMPLOYER_REGISTRAR)] == [report]
    wanted = checked_in.clocked_at - timedelta(minutes=20)
    request = corrections.request_correction(
        runtime, EMPLOYER_REGISTRAR, checked_in.id, corrections.Requested(wanted, None, "forgot to check in"),
        [corrections.Document("proof.pdf", a_pdf())], report)
    assert [q.id for q in corrections.requests_for(runtime, BACK_OFFICE)] == [request]
    with pytest.raises(NotAllowed):
        corrections.approve(runtime, EMPLOYER_REGISTRAR, request)
    corrections.approve(runtime, BACK_OFFICE, request)
    corrected = get_presence(runtime, BACK_OFFICE, checked_in.id)
    assert corrected.lifecycle is Lifecycle.EDITED and corrected.clocked_at == wanted
    assert f"correction request {request}" in corrected.revisions[0].justification
    assert corrections.request_of(runtime, ME, request).status == "approved"  # the worker sees the outcome
    assert corrections.requests_for(runtime, BACK_OFFICE) == []


def test_bad_requests_store_nothing(runtime, clock):
    checked_in = check(runtime, "in")
    asked = corrections.Requested(checked_in.clocked_at - timedelta(minutes=5), None, "forgot")
    before = count(runtime.db, CorrectionRequest), count(runtime.db, CorrectionDocument)
    refusals = [
        (EMPLOYER_REGISTRAR, [corrections.Document("proof.pdf", b"MZ" + bytes(100))], corrections.RequestRefused),
        (EMPLOYER_REGISTRAR, [corrections.Document("big.pdf", b"%PDF-" + bytes(6 * 1024 * 1024))],
         corrections.RequestRefused),
        (EMPLOYER_REGISTRAR, [], corrections.RequestRefused),
        (Caller.enterprise_account("0566988259", (Role.REGISTRAR,)), [corrections.Document("p.pdf", a_pdf())],
         NotFound),  # not his worker
    ]
    for caller, documents, refusal in refusals:
        with pytest.raises(refusal):
            corrections.request_correction(runtime, caller, checked_in.id, asked, documents)
    clock.advance(timedelta(days=31))
    with pytest.raises(corrections.RequestRefused):
        corrections.request_correction(runtime, EMPLOYER_REGISTRAR, checked_in.id, asked,
                                       [corrections.Document("p.pdf", a_pdf())])
    with pytest.raises(corrections.RequestRefused):
        corrections.report_error(runtime, ME, checked_in.id, "late", "early")
    assert (count(runtime.db, CorrectionRequest), count(runtime.db, CorrectionDocument)) == before
    with runtime.db.reading() as session:
        assert session.scalars(select(ErrorReport)).all() == []
        assert session.get(Registration, checked_in.id).lifecycle == "registered"


def test_an_employee_reports_to_his_employer_and_a_request_is_decided_once(runtime):
    checked_in = check(runtime, "in")
    asked = corrections.Requested(checked_in.clocked_at - timedelta(minutes=5), None, "forgot")
    with pytest.raises(NotFound):  # he is an employee: his employer asks, not he
        corrections.request_correction(runtime, ME, checked_in.id, asked, [corrections.Document("p.pdf", a_pdf())])
    request = corrections.request_correction(runtime, EMPLOYER_REGISTRAR, checked_in.id, asked,
                                             [corrections.Document("p.pdf", a_pdf())])
    corrections.reject(runtime, BACK_OFFICE, request, "no proof of the hour")
    with pytest.raises(NotFound):  # decided already: an approval racing the rejection applies nothing
        corrections.approve(runtime, BACK_OFFICE, request)
    assert get_presence(runtime, BACK_OFFICE, checked_in.id).lifecycle is Lifecycle.REGISTERED
    assert corrections.request_of(runtime, ME, request).decision_reason == "no proof of the hour"
    consultant_less = Caller.enterprise_account(EMPLOYER, (Role.TECHNICAL_MANAGER,))
    with pytest.raises(NotFound):  # a role that sees no registration sees no request either
        corrections.request_of(runtime, consultant_less, request)
