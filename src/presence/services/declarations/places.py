"""The addresses associated with the coordinates of a place of work: the declared workplaces near that point
that the caller may use, nearest first, and the nearest locality (offline data, `domain.localities`)."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_, select

from ...clock import belgian_today
from ...domain.localities import Locality, bounding_box, distance_m, nearest_locality
from ...domain.places import Place
from ...domain.sectors import Sector
from ...domain.visibility import Caller, workplace_visibility
from ...sources.models import Contract, WorkDeclaration
from ..errors import InvalidRequest, NotAllowed
from ..runtime import Runtime

DEFAULT_RADIUS_M = 250
MAX_RADIUS_M = 5_000
MAX_PLACES = 50


@dataclass(frozen=True)
class NearbyWorkplace:
    number: str  # the work-declaration number (`contractualRelationshipReference`)
    sector: Sector
    place: Place
    distance_m: float
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True)
class PlacesNear:
    latitude: float
    longitude: float
    radius_m: int
    locality: Locality | None
    locality_distance_m: float | None
    workplaces: list[NearbyWorkplace]


def places_near(runtime: Runtime, caller: Caller, latitude: float, longitude: float,
                radius_m: int = DEFAULT_RADIUS_M, on: date | None = None,
                sectors: Collection[Sector] = tuple(Sector)) -> PlacesNear:
    """What is around a point on day `on` (default today): workplaces declared active that day within
    `radius_m` metres (at most `MAX_PLACES`, nearest first) and the nearest locality."""
    visibility = workplace_visibility(caller)
    if visibility is None:
        raise NotAllowed("this caller may not look up workplaces")
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if not (math.isfinite(value) and -limit <= value <= limit):
            raise InvalidRequest(f"{name}: between -{limit} and {limit} degrees (WGS84) required", field=name)
    if not 1 <= radius_m <= MAX_RADIUS_M:
        raise InvalidRequest(f"radius: from 1 to {MAX_RADIUS_M} metres", field="radius")
    on = on or belgian_today(runtime.clock)

    south, north, west, east = bounding_box(latitude, longitude, radius_m)
    query = select(WorkDeclaration).where(
        WorkDeclaration.latitude.between(south, north),
        WorkDeclaration.longitude.between(west, east),
        WorkDeclaration.sector.in_([int(sector) for sector in sectors]),
        WorkDeclaration.starts_on <= on,
        or_(WorkDeclaration.ends_on.is_(None), WorkDeclaration.ends_on >= on),
    )
    if not visibility.everything:
        enterprise = visibility.enterprise
        in_chain = exists().where(Contract.declaration_number == WorkDeclaration.number,
                                  Contract.enterprise == enterprise)
        query = query.where(or_(WorkDeclaration.client == enterprise,
                                WorkDeclaration.declaring_contractor == enterprise, in_chain))
    with runtime.db.reading() as session:
        declarations = session.scalars(query).all()
    workplaces = sorted(
        (NearbyWorkplace(d.number, Sector(d.sector),
                         d.place,
                         distance_m(latitude, longitude, d.latitude, d.longitude), d.starts_on, d.ends_on)
         for d in declarations),
        key=lambda workplace: (workplace.distance_m, workplace.number))
    workplaces = [w for w in workplaces if w.distance_m <= radius_m][:MAX_PLACES]

    nearest = nearest_locality(latitude, longitude)
    return PlacesNear(latitude, longitude, radius_m, nearest[0] if nearest else None,
                      nearest[1] if nearest else None, workplaces)
