"""The offline localities behind the address lookup."""

import pytest

from presence.domain.localities import bounding_box, distance_m, localities, nearest_locality


def test_the_shipped_data_covers_belgium():
    places = localities()
    assert len(places) > 2_000
    municipalities = {place.municipality.code for place in places}
    assert len(municipalities) > 500  # of 565 after the 2025 mergers
    assert all(49.4 < p.latitude < 51.6 and 2.5 < p.longitude < 6.5 for p in places)
    assert all(place.municipality.postal_codes for place in places)


@pytest.mark.parametrize(("point", "municipality", "name_fr", "post_code"), [
    ((51.0543, 3.7174), "44021", "Gand", "9000"),  # Gent, Korenmarkt
    ((51.0008, 3.7075), "44021", "Gand", "9052"),  # Zwijnaarde: part of Gent, nearer another seat
    ((50.8467, 4.3525), "21004", "Bruxelles", "1000"),  # Grand-Place
    ((50.6300, 6.0310), "63023", "Eupen", "4700"),
    ((50.9945, 3.7462), "44088", "Merelbeke-Melle", "9820"),  # merged on 1 January 2025
])
def test_nearest_locality_names_its_municipality_and_postal_codes(point, municipality, name_fr, post_code):
    locality, distance = nearest_locality(*point)
    assert locality.municipality.code == municipality
    assert locality.municipality.name_fr == name_fr
    assert post_code in locality.municipality.postal_codes
    assert distance < 3_000


def test_no_locality_far_from_belgium():
    assert nearest_locality(48.8566, 2.3522) is None  # Paris
    assert nearest_locality(0.0, 0.0) is None


def test_distances_and_boxes():
    assert distance_m(50.8467, 4.3525, 51.2194, 4.4025) == pytest.approx(41_600, rel=0.01)  # Brussels–Antwerp
    assert distance_m(50.0, 4.0, 50.0, 4.0) == 0
    south, north, west, east = bounding_box(50.8467, 4.3525, 1_000)
    # Every point 1 km away in any direction lies inside the box.
    assert distance_m(50.8467, 4.3525, north, 4.3525) == pytest.approx(1_000, rel=0.001)
    assert distance_m(50.8467, 4.3525, 50.8467, east) == pytest.approx(1_000, rel=0.001)
    assert south < 50.8467 < north and west < 4.3525 < east
