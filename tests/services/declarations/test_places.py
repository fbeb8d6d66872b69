"""Places near a point: the declared workplaces a caller may use, and the nearest locality."""

from datetime import date

import pytest

from presence.domain.sectors import Sector
from presence.domain.visibility import Caller
from presence.services.declarations.places import places_near
from presence.services.errors import InvalidRequest, NotAllowed

from ...helpers import CLEANING_SITE, CLIENT, CONSTRUCTION_SITE, EMPLOYER_ACCOUNT, WORKER

GRAND_PLACE = (50.8466, 4.3517)  # about 60 m from both public workplaces


def numbers(found):
    return [workplace.number for workplace in found.workplaces]


def test_the_employer_finds_its_workplaces_nearest_first(runtime):
    found = places_near(runtime, EMPLOYER_ACCOUNT, *GRAND_PLACE)
    assert {CLEANING_SITE, CONSTRUCTION_SITE} <= set(numbers(found))
    distances = [workplace.distance_m for workplace in found.workplaces]
    assert distances == sorted(distances) and all(d <= 250 for d in distances)
    cleaning = next(w for w in found.workplaces if w.number == CLEANING_SITE)
    assert 40 < cleaning.distance_m < 80
    assert (cleaning.place.post_code, cleaning.place.municipality) == ("1000", "Bruxelles")
    assert found.locality.municipality.code == "21004" and "1000" in found.locality.municipality.postal_codes

    cleaning_only = places_near(runtime, EMPLOYER_ACCOUNT, *GRAND_PLACE, sectors=[Sector.CLEANING])
    assert CLEANING_SITE in numbers(cleaning_only) and CONSTRUCTION_SITE not in numbers(cleaning_only)


def test_only_workplaces_of_the_callers_chains(runtime):
    # The construction client sees its own workplace, not the cleaning workplace of another client.
    client = Caller.enterprise_account(CLIENT)
    found = places_near(runtime, client, *GRAND_PLACE)
    assert CONSTRUCTION_SITE in numbers(found) and CLEANING_SITE not in numbers(found)
    stranger = Caller.enterprise_account("0428759497")
    assert {CLEANING_SITE, CONSTRUCTION_SITE}.isdisjoint(numbers(places_near(runtime, stranger, *GRAND_PLACE)))
    inspector = places_near(runtime, Caller.inspector(), *GRAND_PLACE)
    assert {CLEANING_SITE, CONSTRUCTION_SITE} <= set(numbers(inspector))
    with pytest.raises(NotAllowed):
        places_near(runtime, Caller.person(WORKER), *GRAND_PLACE)


def test_radius_day_and_far_points(runtime):
    assert CLEANING_SITE not in numbers(places_near(runtime, EMPLOYER_ACCOUNT, *GRAND_PLACE, radius_m=30))
    # Before the declarations' start (2013-01-01) nothing was declared there.
    assert numbers(places_near(runtime, EMPLOYER_ACCOUNT, *GRAND_PLACE, on=date(2012, 12, 31))) == []
    paris = places_near(runtime, EMPLOYER_ACCOUNT, 48.8566, 2.3522)
    assert paris.locality is None and paris.workplaces == []


@pytest.mark.parametrize(("point", "radius", "field"), [
    ((91.0, 4.0), 250, "latitude"), ((50.0, -181.0), 250, "longitude"), ((float("nan"), 4.0), 250, "latitude"),
    (GRAND_PLACE, 0, "radius"), (GRAND_PLACE, 5_001, "radius"),
])
def test_bad_points_are_refused(runtime, point, radius, field):
    with pytest.raises(InvalidRequest) as refused:
        places_near(runtime, EMPLOYER_ACCOUNT, *point, radius_m=radius)
    assert refused.value.field == field
