from datetime import timedelta

import pytest

from presence.domain.registration import Submission
from presence.domain.remarks import RemarkCode
from presence.domain.statuses import SoapStatus
from presence.domain.visibility import Caller
from presence.services.errors import InvalidRequest, NotAllowed
from presence.services.registrations.consulting import (
    MAX_RESULTS,
    Page,
    SearchCriteria,
    Sort,
    SortKey,
    search_presences,
)

from ...conftest import TODAY
from ...helpers import CLIENT, EMPLOYER, EMPLOYER_ACCOUNT, POSTED, WORKER, employee_today, register, run_checks

TOMORROW = TODAY + timedelta(days=1)


def today_only(**criteria):
    return SearchCriteria(periods=[(TODAY, TODAY)], **criteria)


def ids(result):
    return [p.id for p in result.items]


@pytest.fixture
def three(runtime):
    """Today: a clean one and its duplicate; tomorrow: the posted worker."""
    outcomes = register(runtime, employee_today(), employee_today(),
                        Submission(registration_date=TOMORROW, limosa_id=POSTED, workplace="1Y1000003EQCZ"))
    run_checks(runtime)
    return [o.presence.id for o in outcomes]


def test_periods_are_mandatory_and_bounded(runtime):
    for periods in ([], [(TODAY, TODAY)] * 32, [(TOMORROW, TODAY)]):
        with pytest.raises(InvalidRequest):
            search_presences(runtime, EMPLOYER_ACCOUNT, SearchCriteria(periods=periods))


def test_criteria(runtime, three):
    clean, duplicate, posted = three
    both_days = [(TODAY, TODAY), (TOMORROW, TOMORROW)]
    search = lambda **c: ids(search_presences(runtime, EMPLOYER_ACCOUNT, SearchCriteria(periods=both_days, **c)))  # noqa: E731
    assert search() == [clean, duplicate, posted]
    assert search(inss=WORKER) == [clean, duplicate]
    assert search(limosa_id=POSTED) == [posted]
    assert search(enterprise_number=EMPLOYER) == [clean, duplicate]
    assert search(remarks=[RemarkCode.DUPLICATE]) == [duplicate]
    assert search(statuses=[SoapStatus.VALIDATED]) == [clean, posted]
    assert search(statuses=[SoapStatus.FAILED, SoapStatus.SUCCESSFULLY_CANCELLED]) == [duplicate]
    assert search(sector=1) == [clean, duplicate, posted]
    assert search(sector=3) == []
    assert search(workplace="1Y1003SQ5VSSZ") == []
    assert search(created_from=runtime.clock.now() + timedelta(seconds=1)) == []


def test_sorting_and_pagination(runtime, three):
    clean, duplicate, posted = three
    result = search_presences(runtime, EMPLOYER_ACCOUNT,
                              SearchCriteria(periods=[(TODAY, TOMORROW)]), Page(1, 1),
                              Sort(SortKey.REGISTRATION_DATE, descending=True))
    assert result.total == 3 and ids(result) == [duplicate]
    by_status = search_presences(runtime, EMPLOYER_ACCOUNT, SearchCriteria(periods=[(TODAY, TOMORROW)]),
                                 sort=Sort(SortKey.STATUS))
    assert ids(by_status) == [clean, posted, duplicate]  # validated before failed


def test_answers_hold_at_most_500(runtime):
    for _ in range(3):
        register(runtime, *[employee_today()] * 200)
    result = search_presences(runtime, EMPLOYER_ACCOUNT, today_only(), Page(0, 10_000))
    assert result.total == 600 and len(result.items) == MAX_RESULTS
    rest = search_presences(runtime, EMPLOYER_ACCOUNT, today_only(), Page(500, 500))
    assert len(rest.items) == 100


def test_scope(runtime, three):
    clean, duplicate, posted = three
    period = SearchCriteria(periods=[(TODAY, TOMORROW)])
    assert ids(search_presences(runtime, Caller.person(WORKER), period)) == [clean, duplicate]
    assert ids(search_presences(runtime, Caller.enterprise_account(CLIENT), period)) == three
    assert ids(search_presences(runtime, Caller.enterprise_account("0428759497"), period)) == []
    assert ids(search_presences(runtime, Caller.inspector(), period)) == three
    with pytest.raises(NotAllowed):
        search_presences(runtime, Caller.enterprise_account(EMPLOYER, roles=[]), period)


def test_history_and_worker_name_in_results(runtime, three):
    result = search_presences(runtime, EMPLOYER_ACCOUNT, today_only())
    assert result.items[0].worker is not None and result.items[0].worker.family_name
    assert len(result.items[0].history) == 1


def test_the_foreign_employer_sees_and_cancels_its_posted_workers_registrations(runtime, three):
    from presence.domain.channels import Channel
    from presence.services.registrations.cancelling import Cancelled, CancelRequest, cancel_presences
    from presence.sources.simulation import PUBLIC_FOREIGN_EMPLOYER

    clean, duplicate, posted = three
    employer = Caller.enterprise_account(PUBLIC_FOREIGN_EMPLOYER)
    result = search_presences(runtime, employer, SearchCriteria(periods=[(TODAY, TOMORROW)]))
    assert ids(result) == [posted]
    [outcome] = cancel_presences(runtime, employer, Channel.WEB_SERVICE, [CancelRequest(posted, "PLANNING")])
    assert isinstance(outcome, Cancelled)


def test_naive_instants_are_refused(runtime):
    from datetime import datetime

    with pytest.raises(InvalidRequest, match="offset"):
        search_presences(runtime, EMPLOYER_ACCOUNT, today_only(created_from=datetime(2026, 3, 3, 9)))


def test_status_sort_follows_the_soap_status(runtime, three):
    clean, duplicate, posted = three
    result = search_presences(runtime, EMPLOYER_ACCOUNT, SearchCriteria(periods=[(TODAY, TOMORROW)]),
                              sort=Sort(SortKey.STATUS, descending=True))
    assert ids(result) == [duplicate, posted, clean]  # failed, then validated (ids descending too)


def test_a_page_and_its_total_come_from_one_statement(runtime, three):
    """The search's filter runs once for a page and its total; past the last page the total is still given."""
    from sqlalchemy import event

    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM registration" in statement and "validation" not in statement:
            sent.append(statement)

    period = SearchCriteria(periods=[(TODAY, TOMORROW)])
    event.listen(runtime.db.engine, "before_cursor_execute", capture)
    try:
        first = search_presences(runtime, EMPLOYER_ACCOUNT, period, Page(0, 2))
        reading = list(sent)
        beyond = search_presences(runtime, EMPLOYER_ACCOUNT, period, Page(10, 2))
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", capture)
    assert (first.total, ids(first)) == (3, three[:2])
    assert len(reading) == 1 and "count(*) OVER ()" in reading[0]
    assert (beyond.total, ids(beyond)) == (3, [])
