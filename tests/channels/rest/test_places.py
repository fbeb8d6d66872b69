"""`GET /placesOfWork/addresses` over HTTP: what a time clock gets for its GPS position."""

import httpx

from ...helpers import CLEANING_SITE, CONSTRUCTION_SITE
from .test_routes import BASE, api, assert_problem, professional  # noqa: F401 - fixtures

PATH = "/placesOfWork/addresses"


def test_a_time_clock_gets_its_workplace_and_the_locality(api):  # noqa: F811
    answer = api.get(PATH, params={"longitude": 4.3517, "latitude": 50.8466})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["coordinates"] == {"longitude": 4.3517, "latitude": 50.8466} and body["radius"] == 250
    [place] = body["placesOfWork"]  # cleaning workplaces only: the construction site next door is left out
    assert place["contractualRelationshipReference"] == CLEANING_SITE != CONSTRUCTION_SITE
    assert place["address"]["postCode"] == "1000" and place["address"]["streetName"]
    assert 40 < place["distance"] < 80 and place["startDate"] == "2013-01-01" and "endDate" not in place
    locality = body["locality"]
    assert locality["municipality"] == {"code": "21004", "name": {"nl": "Brussel", "fr": "Bruxelles"}}
    assert "1000" in locality["postCodes"] and locality["distance"] < 1_000

    narrow = api.get(PATH, params={"longitude": 4.3517, "latitude": 50.8466, "radius": 20}).json()
    assert narrow["placesOfWork"] == [] and narrow["radius"] == 20
    abroad = api.get(PATH, params={"longitude": 2.3522, "latitude": 48.8566}).json()
    assert abroad["placesOfWork"] == [] and "locality" not in abroad


def test_another_enterprise_sees_only_its_own_workplaces(professional):  # noqa: F811
    body = professional.get(PATH, params={"longitude": 4.3517, "latitude": 50.8466}).json()
    assert body["placesOfWork"] == [] and body["locality"]["municipality"]["code"] == "21004"


def test_bad_coordinates_get_a_problem_naming_the_parameter(api, server):  # noqa: F811
    for params, name in (({"longitude": 4.35, "latitude": 91}, "latitude"),
                         ({"longitude": "east", "latitude": 50.8}, "longitude"),
                         ({"latitude": 50.8}, "longitude"),
                         ({"longitude": 4.35, "latitude": 50.8, "radius": 0}, "radius")):
        body = assert_problem(api.get(PATH, params=params), 400,
                              "urn:problem-type:belgif:badRequest")
        assert [(i["in"], i["name"]) for i in body["issues"]] == [("query", name)], body
    anonymous = httpx.get(server + BASE + PATH, params={"longitude": 4.35, "latitude": 50.8})
    assert_problem(anonymous, 401, "urn:problem-type:belgif:invalidAccessToken")
