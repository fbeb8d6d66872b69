"""Search identifiers, parsed once for every channel (`services.search_criteria`)."""

from __future__ import annotations

import pytest

from presence.domain.errors import ErrorCode
from presence.services.errors import InvalidRequest
from presence.services.registrations.search_criteria import search_criteria

from ...conftest import TODAY

PERIODS = [(TODAY, TODAY)]


def test_identifiers_are_parsed_as_registrations_are():
    criteria = search_criteria(PERIODS, inss="78.01.23-409.61", enterprise_number="448181966",
                               workplace="1y1000003eqcz")
    assert (criteria.inss, criteria.enterprise_number, criteria.workplace) == (
        "78012340961", "0448181966", "1Y1000003EQCZ")
    assert criteria.periods == PERIODS and criteria.foreign_vat is None


def test_an_enterprise_is_belgian_or_foreign_as_its_number_says():
    assert search_criteria(PERIODS, enterprise="BE0448181966").enterprise_number == "0448181966"
    foreign = search_criteria(PERIODS, enterprise="DE800010107")
    assert (foreign.enterprise_number, foreign.foreign_vat) == (None, "DE800010107")


def test_other_criteria_are_passed_on():
    assert search_criteria(PERIODS, direction="in", activity="OFFICE").direction == "in"


@pytest.mark.parametrize(("given", "field", "code"), [
    ({"inss": "78012340962"}, "criteria.inss", ErrorCode.INSS_INVALID),
    ({"enterprise_number": "0448181967"}, "criteria.enterprise_number", ErrorCode.ENTERPRISE_INVALID),
    ({"enterprise": "0448181967"}, "criteria.enterprise", ErrorCode.ENTERPRISE_INVALID),
    ({"foreign_vat": "BE0448181966"}, "criteria.foreign_vat", ErrorCode.FOREIGN_VAT_INVALID),
    ({"workplace": "1Y10"}, "criteria.workplace", ErrorCode.WORKPLACE_INVALID),
])
def test_a_malformed_identifier_is_refused_naming_its_field_never_its_value(given, field, code):
    with pytest.raises(InvalidRequest) as refused:
        search_criteria(PERIODS, **given)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert list(given.values())[0] not in str(refused.value)
