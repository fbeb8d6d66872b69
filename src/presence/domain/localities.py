"""Belgian localities, for the address lookup of a place of work's coordinates: the nearest populated place,
its municipality and postal codes. The data ships with the package (`presence/data/localities.csv`, built by
`tools/build_localities.py` from GeoNames and Statbel; sources and licences in `presence/data/NOTICE`), so the
lookup needs no network."""

from __future__ import annotations

import csv
import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

EARTH_RADIUS_M = 6_371_000
# Belgium's farthest point is a few kilometres from a place of 500 inhabitants; beyond this a point is not in
# Belgium (or not near enough to name a locality for it).
MAX_LOCALITY_DISTANCE_M = 25_000


@dataclass(frozen=True)
class Municipality:
    code: str  # REFNIS (NIS) code
    name_nl: str
    name_fr: str
    postal_codes: tuple[str, ...]


@dataclass(frozen=True)
class Locality:
    name: str
    latitude: float
    longitude: float
    municipality: Municipality


def distance_m(latitude_a: float, longitude_a: float, latitude_b: float, longitude_b: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi_a, phi_b = math.radians(latitude_a), math.radians(latitude_b)
    d_phi, d_lambda = phi_b - phi_a, math.radians(longitude_b - longitude_a)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@cache
def localities() -> tuple[Locality, ...]:
    text = files("presence.data").joinpath("localities.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    municipalities: dict[str, Municipality] = {}
    found = []
    for row in rows:
        municipality = municipalities.setdefault(row["municipality"], Municipality(
            row["municipality"], row["municipality_nl"], row["municipality_fr"], tuple(row["postal_codes"].split())))
        found.append(Locality(row["name"], float(row["latitude"]), float(row["longitude"]), municipality))
    return tuple(found)


def nearest_locality(latitude: float, longitude: float) -> tuple[Locality, float] | None:
    """The nearest Belgian locality and its distance in metres; None when the point is not near Belgium."""
    # A plane approximation ranks the ~2,300 places; the haversine gives the distance of the one chosen.
    scale = math.cos(math.radians(latitude))
    best = min(localities(), key=lambda place: (place.latitude - latitude) ** 2
               + ((place.longitude - longitude) * scale) ** 2)
    distance = distance_m(latitude, longitude, best.latitude, best.longitude)
    return (best, distance) if distance <= MAX_LOCALITY_DISTANCE_M else None


def bounding_box(latitude: float, longitude: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) in degrees around a point: a cheap first filter before the real distance."""
    d_latitude = math.degrees(radius_m / EARTH_RADIUS_M)
    d_longitude = d_latitude / max(math.cos(math.radians(latitude)), 1e-6)
    return latitude - d_latitude, latitude + d_latitude, longitude - d_longitude, longitude + d_longitude


def _plain(text: str) -> str:
    """A name compared without case, accents or punctuation ("Liège" = "liege", "Sint-Niklaas" = "sint niklaas")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c)).split())


def locality_of(post_code: str, name: str = "") -> Locality | None:
    """The locality an address names, to place a workplace without a map: among the localities of the post code's
    municipality, the one called `name` (or its municipality so called), else the one that gives the municipality
    its name, else the first. None when no municipality has this post code."""
    candidates = [place for place in localities() if post_code.strip() in place.municipality.postal_codes]
    if not candidates:
        return None
    wanted = _plain(name)
    by_name = [place for place in candidates if wanted and _plain(place.name) == wanted]
    by_municipality = [place for place in candidates if wanted in (_plain(place.municipality.name_fr),
                                                                   _plain(place.municipality.name_nl))]
    main = [place for place in candidates if _plain(place.name) in (_plain(place.municipality.name_fr),
                                                                    _plain(place.municipality.name_nl))]
    return (by_name or [p for p in by_municipality if p in main] or by_municipality or main or candidates)[0]
