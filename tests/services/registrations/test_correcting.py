from datetime import timedelta

import pytest

from presence.domain.remarks import RemarkCode
from presence.domain.statuses import Lifecycle, SoapStatus
from presence.domain.visibility import Caller
from presence.services.errors import InvalidRequest, NotAllowed
from presence.services.registrations.consulting import get_presence
from presence.services.registrations.correcting import Correction, correct_presence

from ...conftest import TODAY
from ...helpers import (
    CONSTRUCTION_SITE,
    EMPLOYER,
    EMPLOYER_ACCOUNT,
    POSTED,
    WORKER,
    employee_today,
    register_one,
    run_checks,
)

BACK_OFFICE = Caller.back_office(sender_id="onss-agent-7")


def test_back_office_correction_keeps_the_original(runtime):
    wrong = register_one(runtime, employee_today(workplace="1Y1000003EQDZ"))  # a typo: unknown workplace
    run_checks(runtime)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, wrong).remarks == (RemarkCode.DECLARATION_UNKNOWN,)

    corrected = correct_presence(runtime, BACK_OFFICE, wrong, Correction(workplace=CONSTRUCTION_SITE),
                                 "employer's request 2026/123 with the site's contract")
    assert corrected.lifecycle is Lifecycle.EDITED
    run_checks(runtime)
    presence = get_presence(runtime, EMPLOYER_ACCOUNT, wrong)
    assert presence.workplace == CONSTRUCTION_SITE and presence.status is SoapStatus.VALIDATED
    [revision] = presence.revisions
    assert revision.before == {"workplace": "1Y1000003EQDZ"} and revision.after == {"workplace": CONSTRUCTION_SITE}
    assert revision.actor == "onss-agent-7"
    assert [v.trigger for v in presence.history] == ["registration", "correction"]


def test_only_the_back_office_corrects(runtime):
    presence = register_one(runtime, employee_today())
    with pytest.raises(NotAllowed):
        correct_presence(runtime, EMPLOYER_ACCOUNT, presence, Correction(workplace=CONSTRUCTION_SITE), "x")


def test_corrections_within_30_days_and_well_formed(runtime, clock):
    presence = register_one(runtime, employee_today())
    with pytest.raises(InvalidRequest, match="INSS"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(inss="05011512379"), "request 1")
    with pytest.raises(InvalidRequest, match="justification"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(workplace=CONSTRUCTION_SITE), " ")
    clock.advance(timedelta(days=31))
    with pytest.raises(InvalidRequest, match="30 days"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(workplace=CONSTRUCTION_SITE), "late")
    assert get_presence(runtime, EMPLOYER_ACCOUNT, presence).lifecycle is Lifecycle.REGISTERED


def test_a_request_made_in_time_is_applied_even_if_handled_later(runtime, clock):
    presence = register_one(runtime, employee_today())
    clock.advance(timedelta(days=35))
    corrected = correct_presence(runtime, BACK_OFFICE, presence, Correction(workplace=CONSTRUCTION_SITE),
                                 "request of day 29", requested_on=TODAY + timedelta(days=29))
    assert corrected.lifecycle is Lifecycle.EDITED
    with pytest.raises(InvalidRequest, match="future"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(workplace=CONSTRUCTION_SITE), "x",
                         requested_on=TODAY + timedelta(days=40))


def test_a_correction_keeps_the_registration_whole(runtime):
    presence = register_one(runtime, employee_today())
    with pytest.raises(InvalidRequest, match="not a field of a day registration"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(direction="in"), "x")
    # A Limosa number replaces the INSS and the enterprise.
    corrected = correct_presence(runtime, BACK_OFFICE, presence, Correction(limosa_id=POSTED), "posted worker")
    assert (corrected.inss, corrected.enterprise_number, corrected.limosa_id) == (None, None, POSTED)
    with pytest.raises(InvalidRequest, match="Limosa number names no INSS"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(enterprise_number=EMPLOYER), "x")
    # Back to an INSS: it needs its enterprise in the same correction.
    with pytest.raises(InvalidRequest, match="one enterprise"):
        correct_presence(runtime, BACK_OFFICE, presence, Correction(inss=WORKER), "x")
    corrected = correct_presence(runtime, BACK_OFFICE, presence,
                                 Correction(inss=WORKER, enterprise_number=EMPLOYER), "not posted after all")
    assert (corrected.inss, corrected.limosa_id) == (WORKER, None)
    run_checks(runtime)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, presence).status is SoapStatus.VALIDATED


def test_correcting_the_first_of_two_frees_the_duplicate(runtime):
    first = register_one(runtime, employee_today())
    second = register_one(runtime, employee_today())
    run_checks(runtime)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, second).remarks == (RemarkCode.DUPLICATE,)
    correct_presence(runtime, BACK_OFFICE, first, Correction(registration_date=TODAY + timedelta(days=1)),
                     "was for tomorrow")
    run_checks(runtime)
    assert get_presence(runtime, EMPLOYER_ACCOUNT, second).remarks == ()
    assert get_presence(runtime, EMPLOYER_ACCOUNT, first).remarks == ()
