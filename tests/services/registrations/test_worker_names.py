"""Whose name a consultation shows (`domain.visibility.may_see_name`): a name must never answer "who is this
national number?" to an enterprise with no link to the person."""

from __future__ import annotations

from sqlalchemy import select

from presence.domain.channels import Channel
from presence.domain.registration import Submission
from presence.domain.visibility import Caller
from presence.services.registrations.consulting import SearchCriteria, get_presence, search_presences
from presence.sources import simulation
from presence.sources.models import Mandate

from ...conftest import TODAY
from ...helpers import (
    CLIENT,
    CONSTRUCTION_SITE,
    EMPLOYER_ACCOUNT,
    POSTED,
    WORKER,
    employee_today,
    register_one,
    run_checks,
)

STRANGER = simulation.PUBLIC_OTHER_ENTERPRISE  # an employer linked neither to WORKER nor to POSTED
FOREIGN_EMPLOYER = simulation.PUBLIC_FOREIGN_EMPLOYER  # posts POSTED (Limosa); a subcontractor on CONSTRUCTION_SITE


def posted_today() -> Submission:
    return Submission(registration_date=TODAY, limosa_id=POSTED, workplace=CONSTRUCTION_SITE)


def as_enterprise(number: str) -> Caller:
    return Caller.enterprise_account(number)


def family_name_seen(runtime, caller, registration_id) -> str | None:
    presence = get_presence(runtime, caller, registration_id)
    assert presence is not None  # the caller consults the registration: only the name is at stake
    return presence.worker.family_name if presence.worker else None


def test_registering_someone_does_not_tell_who_he_is(runtime):
    """B registers A's worker by INSS and a posted worker by Limosa number: it consults both registrations,
    without the names."""
    stranger = as_enterprise(STRANGER)
    by_inss = register_one(runtime, employee_today(enterprise_number=STRANGER), caller=stranger)
    by_limosa = register_one(runtime, posted_today(), caller=stranger)
    run_checks(runtime)
    assert family_name_seen(runtime, stranger, by_inss) is None
    assert family_name_seen(runtime, stranger, by_limosa) is None
    found = search_presences(runtime, stranger, SearchCriteria(periods=[(TODAY, TODAY)])).items
    assert {p.id for p in found} == {by_inss, by_limosa}
    assert [p.worker for p in found] == [None, None]
    # Those the people are linked to see who B registered.
    assert family_name_seen(runtime, EMPLOYER_ACCOUNT, by_inss) == "Janssens"
    assert family_name_seen(runtime, as_enterprise(FOREIGN_EMPLOYER), by_limosa) == "Kowalski"


def test_the_linked_enterprises_the_person_and_the_inspector_see_the_name(runtime):
    employee = register_one(runtime, employee_today())  # WORKER, Jan Janssens: a Dimona with EMPLOYER
    posted = register_one(runtime, posted_today())  # POSTED, Piotr Kowalski: a Limosa of FOREIGN_EMPLOYER
    client = as_enterprise(CLIENT)  # of CONSTRUCTION_SITE, declared by EMPLOYER, FOREIGN_EMPLOYER its subcontractor
    assert family_name_seen(runtime, EMPLOYER_ACCOUNT, employee) == "Janssens"  # the employer
    assert family_name_seen(runtime, client, employee) == "Janssens"  # the chain holds the employer
    assert family_name_seen(runtime, Caller.person(WORKER), employee) == "Janssens"
    assert family_name_seen(runtime, Caller.inspector(), employee) == "Janssens"
    assert family_name_seen(runtime, as_enterprise(FOREIGN_EMPLOYER), posted) == "Kowalski"  # the employer
    # EMPLOYER has no link of its own with POSTED: it sees him as the declaring contractor.
    assert family_name_seen(runtime, EMPLOYER_ACCOUNT, posted) == "Kowalski"
    assert family_name_seen(runtime, client, posted) == "Kowalski"
    assert family_name_seen(runtime, Caller.inspector(), posted) == "Kowalski"


def scenario(remark: str | None) -> simulation.Scenario:
    return next(s for s in simulation.scenarios(TODAY) if s.expected_remark == remark)


def register_scenario(runtime, s: simulation.Scenario, **changes) -> int:
    values = dict(workplace=s.workplace, inss=s.inss, limosa_id=s.limosa_id, enterprise_number=s.enterprise_number,
                  foreign_vat=s.foreign_vat, registration_date=TODAY) | changes
    return register_one(runtime, Submission(**values), caller=Caller.operator(), channel=Channel.ONLINE)


def test_a_link_counts_on_the_dates_it_covers(runtime):
    """The scenarios whose link ended before today: the enterprise, still named by the registration, is no
    longer told the name."""
    ended = {
        "CAW_03": lambda s: s.enterprise_number,  # the mandate ended 200 days ago
        "CAW_16": lambda s: s.enterprise_number,  # the Dimona ended 100 days ago
        "CAW_09": lambda s: s.foreign_vat,  # the Limosa declaration ended 20 days ago
        "CAW_17": lambda s: simulation.SCENARIO_BUILDER,  # the subcontract of the employer ended 30 days ago
    }
    seen = {remark: family_name_seen(runtime, as_enterprise(reader(scenario(remark))),
                                     register_scenario(runtime, scenario(remark)))
            for remark, reader in ended.items()}
    assert seen == dict.fromkeys(ended)
    # Still linked today: the employer of CAW_17 by its Dimona, the founder of a company by his mandate.
    assert family_name_seen(runtime, as_enterprise(scenario("CAW_17").enterprise_number),
                            register_scenario(runtime, scenario("CAW_17")))
    company = scenario("CAW_02").enterprise_number
    with runtime.db.reading() as session:
        founder = session.scalar(select(Mandate.inss).where(Mandate.enterprise == company))
    assert family_name_seen(runtime, as_enterprise(company), register_scenario(runtime, scenario("CAW_02"),
                                                                                  inss=founder))
