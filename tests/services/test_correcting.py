from datetime import timedelta

import pytest

from presence.domain.remarks import RemarkCode
from presence.domain.statuses import Lifecycle, SoapStatus
from presence.domain.visibility import Caller
from presence.services.consulting import get_presence
from presence.services.correcting import Correction, correct_presence
from presence.services.errors import InvalidRequest, NotAllowed

from ..helpers import CONSTRUCTION_SITE, EMPLOYER_ACCOUNT, employee_today, register_one, run_checks

BACK_OFFICE = Caller.back_office(sender_id="onss-agent-7")


def test_back_office_correction_keeps_the_original(registry):
    wrong = register_one(registry, employee_today(workplace="1Y1000003EQDZ"))  # a typo: unknown workplace
    run_checks(registry)
    assert get_presence(registry, EMPLOYER_ACCOUNT, wrong).remarks == (RemarkCode.DECLARATION_UNKNOWN,)

    corrected = correct_presence(registry, BACK_OFFICE, wrong, Correction(workplace=CONSTRUCTION_SITE),
                                 "employer's request 2026/123 with the site's contract")
    assert corrected.lifecycle is Lifecycle.EDITED
    run_checks(registry)
    presence = get_presence(registry, EMPLOYER_ACCOUNT, wrong)
    assert presence.workplace == CONSTRUCTION_SITE and presence.status is SoapStatus.VALIDATED
    [revision] = presence.revisions
    assert revision.before == {"workplace": "1Y1000003EQDZ"} and revision.after == {"workplace": CONSTRUCTION_SITE}
    assert revision.actor == "onss-agent-7"
    assert [v.trigger for v in presence.history] == ["registration", "correction"]


def test_only_the_back_office_corrects(registry):
    presence = register_one(registry, employee_today())
    with pytest.raises(NotAllowed):
        correct_presence(registry, EMPLOYER_ACCOUNT, presence, Correction(workplace=CONSTRUCTION_SITE), "x")


def test_corrections_within_30_days_and_well_formed(registry, clock):
    presence = register_one(registry, employee_today())
    with pytest.raises(InvalidRequest, match="INSS"):
        correct_presence(registry, BACK_OFFICE, presence, Correction(inss="05011512379"), "request 1")
    with pytest.raises(InvalidRequest, match="justification"):
        correct_presence(registry, BACK_OFFICE, presence, Correction(workplace=CONSTRUCTION_SITE), " ")
    clock.advance(timedelta(days=31))
    with pytest.raises(InvalidRequest, match="30 days"):
        correct_presence(registry, BACK_OFFICE, presence, Correction(workplace=CONSTRUCTION_SITE), "late")
    assert get_presence(registry, EMPLOYER_ACCOUNT, presence).lifecycle is Lifecycle.REGISTERED
