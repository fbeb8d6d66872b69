from datetime import UTC, date, datetime, timedelta

import pytest

from presence.clock import BRUSSELS
from presence.domain.channels import Channel
from presence.domain.errors import BatchSizeError, ErrorCode, check_batch_size
from presence.domain.registration import Address, CheckedSubmission, Submission, check_submission
from presence.domain.sectors import Regime

# 23:30 in Brussels on 2 March is 22:30 UTC: the Belgian date, not the UTC one, decides.
LATE_EVENING = datetime(2026, 3, 2, 23, 30, tzinfo=BRUSSELS)


def day(**values):
    values.setdefault("workplace", "1Y1000003EQCZ")
    values.setdefault("inss", "78012340961")
    values.setdefault("enterprise_number", "0448181966")
    return Submission(**values)


def codes(result):
    assert isinstance(result, list), result
    return {e.code for e in result}


def test_a_good_submission_is_normalised():
    result = check_submission(day(enterprise_number=448181966, workplace="1y1000003eqcz"), Regime.DAY,
                              Channel.WEB_SERVICE, LATE_EVENING)
    assert isinstance(result, CheckedSubmission)
    assert result.enterprise_number == "0448181966"
    assert result.workplace == "1Y1000003EQCZ"
    assert result.registration_date == date(2026, 3, 2)


@pytest.mark.parametrize("channel, offset, accepted", [
    (Channel.WEB_SERVICE, 0, True), (Channel.WEB_SERVICE, 1, True), (Channel.WEB_SERVICE, 2, False),
    (Channel.WEB_SERVICE, -1, False), (Channel.ONLINE, 35, True), (Channel.ONLINE, 36, False),
    (Channel.GATEWAY, 0, True), (Channel.GATEWAY, 1, False),
])
def test_date_windows_per_channel(channel, offset, accepted):
    result = check_submission(day(registration_date=date(2026, 3, 2) + timedelta(days=offset)), Regime.DAY,
                              channel, LATE_EVENING)
    assert isinstance(result, CheckedSubmission) == accepted
    if not accepted:
        assert codes(result) == {ErrorCode.DATE_OUT_OF_WINDOW}


def test_each_formal_error_has_its_code():
    cases = {
        ErrorCode.INSS_INVALID: day(inss="05011512379"),
        ErrorCode.ENTERPRISE_INVALID: day(enterprise_number="0431150351"),
        ErrorCode.WORKPLACE_INVALID: day(workplace="1Y1000003EQOZ"),
        ErrorCode.LIMOSA_INVALID: day(inss=None, enterprise_number=None, limosa_id="24910158641968061"),
        ErrorCode.PERSON_MISSING: day(inss=None),
        ErrorCode.ENTERPRISE_MISSING: day(enterprise_number=None),
        ErrorCode.FOREIGN_VAT_INVALID: day(enterprise_number=None, foreign_vat="DE136695977"),
        ErrorCode.REFERENCE_INVALID: day(client_reference="x" * 51),
    }
    for code, submission in cases.items():
        assert codes(check_submission(submission, Regime.DAY, Channel.WEB_SERVICE, LATE_EVENING)) == {code}


def test_both_person_identifiers_are_refused():
    result = check_submission(day(limosa_id="24910158641968060"), Regime.DAY, Channel.WEB_SERVICE, LATE_EVENING)
    assert codes(result) == {ErrorCode.PERSON_MISSING}


def test_limosa_registration_names_no_enterprise():
    ok = check_submission(day(inss=None, enterprise_number=None, limosa_id="24910158641968060"), Regime.DAY,
                          Channel.WEB_SERVICE, LATE_EVENING)
    assert isinstance(ok, CheckedSubmission) and ok.limosa_id == "24910158641968060"
    refused = check_submission(day(inss=None, limosa_id="24910158641968060"), Regime.DAY, Channel.WEB_SERVICE,
                               LATE_EVENING)
    assert codes(refused) == {ErrorCode.ENTERPRISE_MISSING}


def test_several_errors_are_all_reported():
    result = check_submission(day(inss="1", enterprise_number="2", workplace="3"), Regime.DAY,
                              Channel.WEB_SERVICE, LATE_EVENING)
    assert codes(result) == {ErrorCode.INSS_INVALID, ErrorCode.ENTERPRISE_INVALID, ErrorCode.WORKPLACE_INVALID}


def test_error_messages_never_quote_the_inss():
    result = check_submission(day(inss="05011512379"), Regime.DAY, Channel.WEB_SERVICE, LATE_EVENING)
    assert all("05011512379" not in e.message for e in result)


def clocking(at, **values):
    values.setdefault("direction", "IN")
    values.setdefault("latitude", 50.8466)
    values.setdefault("longitude", 4.3528)
    return day(clocked_at=at, **values)


NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("delta, accepted", [
    (timedelta(0), True), (timedelta(minutes=-10), True), (timedelta(minutes=-11), False),
    (timedelta(minutes=2), True), (timedelta(minutes=3), False), (timedelta(days=1), False),
])
def test_cleaning_is_real_time(delta, accepted):
    result = check_submission(clocking(NOW + delta), Regime.CLOCKING, Channel.REST, NOW)
    assert isinstance(result, CheckedSubmission) == accepted
    if accepted:
        assert result.direction == "in"
    else:
        assert codes(result) == {ErrorCode.INSTANT_OUT_OF_WINDOW}


def test_cleaning_needs_an_instant_with_offset_a_direction_and_a_place():
    assert codes(check_submission(clocking(NOW.replace(tzinfo=None)), Regime.CLOCKING, Channel.REST, NOW)) == {
        ErrorCode.INSTANT_OUT_OF_WINDOW}
    assert codes(check_submission(clocking(NOW, direction="pause"), Regime.CLOCKING, Channel.REST, NOW)) == {
        ErrorCode.DIRECTION_INVALID}
    assert codes(check_submission(clocking(NOW, latitude=None, longitude=None), Regime.CLOCKING, Channel.REST,
                                  NOW)) == {ErrorCode.PLACE_OF_WORK_INVALID}
    assert codes(check_submission(clocking(NOW, latitude=48.85, longitude=2.35), Regime.CLOCKING, Channel.REST,
                                  NOW)) == {ErrorCode.PLACE_OF_WORK_INVALID}  # Paris
    both = clocking(NOW, address=Address("1000", "Bruxelles", "Rue Haute", "1"))
    assert codes(check_submission(both, Regime.CLOCKING, Channel.REST, NOW)) == {ErrorCode.PLACE_OF_WORK_INVALID}


def test_cleaning_by_address():
    result = check_submission(clocking(NOW, latitude=None, longitude=None,
                                       address=Address("1000", "Bruxelles", " Rue Haute ", "12", "")),
                              Regime.CLOCKING, Channel.REST, NOW)
    assert result.address == Address("1000", "Bruxelles", "Rue Haute", "12", None)
    bad = clocking(NOW, latitude=None, longitude=None, address=Address("0999", "X", "Y", "1"))
    assert codes(check_submission(bad, Regime.CLOCKING, Channel.REST, NOW)) == {ErrorCode.PLACE_OF_WORK_INVALID}


def test_unknown_activity():
    result = check_submission(clocking(NOW, activity="juggling"), Regime.CLOCKING, Channel.REST, NOW)
    assert codes(result) == {ErrorCode.ACTIVITY_UNKNOWN}


@pytest.mark.parametrize("size, ok", [(0, False), (1, True), (200, True), (201, False)])
def test_batch_sizes(size, ok):
    if ok:
        check_batch_size(size)
    else:
        with pytest.raises(BatchSizeError, match="1 to 200"):
            check_batch_size(size)


def test_address_parts_fit_what_is_stored():
    long_house_number = clocking(NOW, latitude=None, longitude=None,
                                 address=Address("1000", "Bruxelles", "Rue Haute", "16 boîte 3, appartement 12B"))
    [error] = check_submission(long_house_number, Regime.CLOCKING, Channel.REST, NOW)
    assert error.code is ErrorCode.PLACE_OF_WORK_INVALID and "house number (at most 20)" in error.message
