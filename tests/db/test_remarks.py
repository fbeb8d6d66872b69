"""Searches by remark: on PostgreSQL the remark index table answers them and its triggers keep it equal to the
registrations' remarks through checks, corrections, cancellations and the purge; on both engines a search by
remark finds exactly the registrations whose remarks include one of the codes, counted and paged by receipt
number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from presence.db.models import Registration
from presence.domain.channels import Channel
from presence.domain.remarks import RemarkCode
from presence.domain.visibility import Caller
from presence.services.registrations.cancelling import CancelRequest, cancel_presences
from presence.services.registrations.consulting import Page, SearchCriteria, Sort, SortKey, search_presences
from presence.services.registrations.correcting import Correction, correct_presence
from presence.services.retention import purge_expired

from ..conftest import TODAY
from ..helpers import CONSTRUCTION_SITE, EMPLOYER_ACCOUNT, employee_today, register_one, run_checks

UNKNOWN_SITE = "1Y1000003EQDZ"  # no declaration: the checks remark it
WEEK = [(TODAY - timedelta(days=6), TODAY + timedelta(days=6))]


def _remarked(runtime, clock, days: int = 6) -> list[int]:
    """Registrations made day after day from TODAY, half of them on a workplace without declaration, checked;
    the clock back at TODAY."""
    ids = []
    for _ in range(days):
        for workplace in (UNKNOWN_SITE, CONSTRUCTION_SITE):
            ids.append(register_one(runtime, employee_today(workplace=workplace)))
        clock.advance(timedelta(days=1))
    clock.advance(timedelta(days=-days))
    run_checks(runtime)
    return ids


def _expected(db, codes: set[str], periods) -> list[int]:
    with db.reading() as session:
        rows = session.execute(select(Registration.id, Registration.registration_date, Registration.remark_codes)
                               .order_by(Registration.id)).all()
    return [r.id for r in rows if codes & set(r.remark_codes.split())
            and any(first <= r.registration_date <= last for first, last in periods)]


def _index_is_faithful(db) -> None:
    """PostgreSQL: the remark index table holds exactly a row per remark of each registration."""
    if not db.is_postgresql:
        return
    with db.engine.connect() as connection:
        index = set(connection.execute(text(
            "SELECT code, registration_date, registration_id FROM registration_remark")).all())
        wanted = set(connection.execute(text(
            "SELECT unnest(string_to_array(remark_codes, ' ')), registration_date, id FROM registration "
            "WHERE remark_codes <> ''")).all())
    assert index == wanted


def test_a_search_by_remark_finds_counts_and_pages_exactly_those_registrations(runtime, clock):
    _remarked(runtime, clock)
    with runtime.db.reading() as session:
        codes = {c for (text_,) in session.execute(select(Registration.remark_codes)) for c in text_.split()}
    assert str(RemarkCode.DECLARATION_UNKNOWN) in codes
    for wanted in ({str(RemarkCode.DECLARATION_UNKNOWN)}, codes):
        expected = _expected(runtime.db, wanted, WEEK)
        assert expected
        for descending in (False, True):
            criteria = SearchCriteria(periods=WEEK, remarks=[RemarkCode(c) for c in sorted(wanted)])
            found, first = [], 0
            while True:
                result = search_presences(runtime, Caller.back_office(), criteria, Page(first, 4),
                                          Sort(SortKey.ID, descending))
                assert result.total == len(expected)
                found += [item.id for item in result.items]
                first += 4
                if first >= result.total:
                    break
            assert found == (expected[::-1] if descending else expected)
    past_the_end = search_presences(runtime, Caller.back_office(), SearchCriteria(
        periods=WEEK, remarks=[RemarkCode.DECLARATION_UNKNOWN]), Page(1000, 10))
    assert past_the_end.items == [] and past_the_end.total == len(
        _expected(runtime.db, {str(RemarkCode.DECLARATION_UNKNOWN)}, WEEK))
    # With another criterion too, and for a caller with a narrower view, the same condition holds.
    narrow = search_presences(runtime, EMPLOYER_ACCOUNT, SearchCriteria(
        periods=WEEK, remarks=[RemarkCode.DECLARATION_UNKNOWN], workplace=UNKNOWN_SITE))
    assert [item.id for item in narrow.items] == _expected(runtime.db, {str(RemarkCode.DECLARATION_UNKNOWN)}, WEEK)


def test_the_remark_index_follows_checks_corrections_cancellations_and_the_purge(runtime, clock):
    if not runtime.db.is_postgresql:
        pytest.skip("the remark index table is PostgreSQL's")
    ids = _remarked(runtime, clock)
    _index_is_faithful(runtime.db)
    back_office = Caller.back_office(sender_id="agent")
    correct_presence(runtime, back_office, ids[0], Correction(workplace=CONSTRUCTION_SITE), "contract shown")
    _index_is_faithful(runtime.db)  # remarks cleared until checked again
    correct_presence(runtime, back_office, ids[2], Correction(registration_date=TODAY - timedelta(days=5)),
                     "site diary")  # another month: the registration moves to February's partition
    run_checks(runtime)
    _index_is_faithful(runtime.db)
    cancel_presences(runtime, EMPLOYER_ACCOUNT, Channel.WEB_SERVICE, [CancelRequest(ids[4], None)])
    run_checks(runtime)
    _index_is_faithful(runtime.db)
    clock.advance(timedelta(days=7 * 366 + 3))  # the March registrations past 7 years go row by row
    purge_expired(runtime, Caller.operator())
    _index_is_faithful(runtime.db)
    with runtime.db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM registration_remark")) == 0
