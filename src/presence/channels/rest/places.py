"""`GET /placesOfWork/addresses`: the addresses associated with the coordinates of a place of work (our path;
the official documentation names the operation, not its path). A time clock sends its GPS position and gets the declared
cleaning workplaces within `radius` metres that its enterprise works on (client, declaring contractor or
subcontractor), nearest first, each with its `contractualRelationshipReference` and address, and the
nearest locality with its municipality and postal codes. Offline: the localities ship with the package.
(No `from __future__ import annotations`: FastAPI resolves the route's annotations.)"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from ...domain.sectors import Sector
from ...services.declarations.places import DEFAULT_RADIUS_M, MAX_PLACES, MAX_RADIUS_M, NearbyWorkplace, places_near
from .dependencies import Consultant, RuntimeDep, problem_responses
from .schemas import AddressOut, CoordinatesOut, Out


class MunicipalityName(Out):
    nl: str
    fr: str


class Municipality(Out):
    code: str = Field(description="REFNIS (NIS) code of the municipality")
    name: MunicipalityName


class Locality(Out):
    name: str
    distance: int = Field(description="metres from the point to the locality's centre")
    municipality: Municipality = Field(description="the municipality the locality belongs to (for a locality "
                                                   "that is not a municipality's seat, an estimate)")
    post_codes: list[str] = Field(description="the municipality's postal codes")


class NearbyPlaceOfWork(Out):
    contractual_relationship_reference: str = Field(description="the work-declaration number to register with")
    address: AddressOut
    coordinates: CoordinatesOut
    distance: int = Field(description="metres from the point")
    start_date: date
    end_date: date | None = None


class Addresses(Out):
    coordinates: CoordinatesOut
    radius: int
    locality: Locality | None = Field(None, description="absent when the point is not in or near Belgium")
    places_of_work: list[NearbyPlaceOfWork] = Field(description=f"nearest first, at most {MAX_PLACES}")


def _place(workplace: NearbyWorkplace) -> NearbyPlaceOfWork:
    place = workplace.place
    return NearbyPlaceOfWork(
        contractual_relationship_reference=workplace.number,
        address=AddressOut(post_code=place.post_code, municipality_name=place.municipality,
                           street_name=place.street, house_number=place.house_number),
        coordinates=CoordinatesOut(longitude=place.longitude, latitude=place.latitude),
        distance=round(workplace.distance_m), start_date=workplace.starts_on, end_date=workplace.ends_on)


router = APIRouter()


@router.get("/placesOfWork/addresses", operation_id="getAddressesForCoordinates", response_model=Addresses,
            response_model_exclude_none=True, responses=problem_responses(400, 401, 403), tags=["placesOfWork"],
            summary="The declared workplaces and the locality around the GPS coordinates of a place of work")
def addresses(caller: Consultant, runtime: RuntimeDep,
              longitude: Annotated[float, Query(ge=-180, le=180, description="WGS84")],
              latitude: Annotated[float, Query(ge=-90, le=90, description="WGS84")],
              radius: Annotated[int, Query(ge=1, le=MAX_RADIUS_M, description="metres")] = DEFAULT_RADIUS_M):
    found = places_near(runtime, caller, latitude, longitude, radius, sectors=[Sector.CLEANING])
    locality = None
    if found.locality is not None:
        town = found.locality.municipality
        locality = Locality(name=found.locality.name, distance=round(found.locality_distance_m),
                            municipality=Municipality(code=town.code, name=MunicipalityName(
                                nl=town.name_nl, fr=town.name_fr)),
                            post_codes=list(town.postal_codes))
    return Addresses(coordinates=CoordinatesOut(longitude=longitude, latitude=latitude), radius=radius,
                     locality=locality, places_of_work=[_place(w) for w in found.workplaces])
